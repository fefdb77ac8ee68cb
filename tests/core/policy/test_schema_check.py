"""The check of one layer against the schema: where each mistake is, and what it is called."""

from __future__ import annotations

import pytest

from ghapp.core.policy.located_yaml import read_yaml
from ghapp.core.policy.schema_check import _message, key_path, schema_issues


def _issues(text: str) -> list[str]:
    tree, issues = read_yaml(text, "p.yml")
    assert issues == () and tree is not None
    return [str(issue) for issue in schema_issues(tree)]


def test_several_mistakes_are_all_reported_in_file_order() -> None:
    found = _issues("zeta: 1\nmode: 3\ngates:\n  lint:\n    enabled: 2\nalpha: 2\n")
    assert [issue.split(": ", 1)[0] for issue in found] == ["p.yml:1:1", "p.yml:2:7", "p.yml:5:14", "p.yml:6:1"]


@pytest.mark.parametrize(
    ("path", "text"),
    [((), ""), (("mode",), "mode"), (("approvals", "auth", "paths", 2), "approvals.auth.paths[2]"), ((0,), "[0]")],
)
def test_key_path(path: tuple[str | int, ...], text: str) -> None:
    assert key_path(path) == text


def test_an_unexpected_keyword_still_gets_a_message() -> None:
    assert _message("x", "const", 1, 2, {}) == "x: 2 is invalid (const)"
    assert _message("x", "minItems", 2, [], {}) == "x must list at least 2 items"
