"""A policy edit's check: the edited file's own problems are shown; of the files it is layered with, only
whether they resolve and are valid."""

from __future__ import annotations

import pytest

from ghapp.core.policy.edit import edit_issues
from ghapp.core.policy.located_yaml import PolicyIssue

OWN = ".github/prompt-to-pr.yml"
MINE = PolicyIssue(OWN, 3, 5, "unknown key 'colour'")
THEIRS = PolicyIssue("acme/private:secret.yml", 1, 1, "unknown key 'db_password'; value hunter2")
HIDDEN = (
    "the policy files this one is layered with (the files `_extends` names, and the org's policy) do not all "
    "resolve to valid policy files: {} there, not shown, as the App reads them with its own access"
)


@pytest.mark.parametrize(
    ("text", "issues", "expected"),
    [
        ("mode: report\n", (), []),
        ("colour: red\n", (MINE,), [str(MINE)]),
        ("mode: report\n_extends: private:secret.yml\n", (THEIRS,), [f"{OWN}:2:11: " + HIDDEN.format("1 problem")]),
        ("colour: red\n", (MINE, THEIRS, THEIRS), [str(MINE), f"{OWN}:1:1: " + HIDDEN.format("2 problems")]),
        (None, (THEIRS,), [f"{OWN}:1:1: " + HIDDEN.format("1 problem")]),  # the PR deletes the file
    ],
)
def test_only_the_edited_file_is_quoted(text: str | None, issues: tuple[PolicyIssue, ...], expected: list[str]) -> None:
    shown = [str(issue) for issue in edit_issues(text, OWN, issues)]
    assert shown == expected
    assert not any("db_password" in line or "hunter2" in line or "acme/private" in line for line in shown)
