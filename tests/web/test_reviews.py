"""Reading recorded reasons: the evidence lines shown, and whether a PR waits for a given user or team."""

from __future__ import annotations

import json

import pytest

from ghapp.web.reviews import evidence, naming, parse_reasons


@pytest.mark.parametrize(
    ("reasons", "login", "teams", "expected"),
    [
        ([{"missing": ["@alice"], "request_users": ["alice"]}], "Alice", (), ("@alice",)),
        (
            [{"missing": ["1 more of @acme/security"], "request_teams": ["acme/security"]}],
            "sam",
            ("acme/security",),
            ("1 more of @acme/security",),
        ),
        ([{"missing": ["1 more of @acme/security"]}], "sam", ("ACME/Security",), ("1 more of @acme/security",)),
        ([{"missing": [], "request_users": ["bob"]}], "bob", (), ("bob",)),  # asked, nothing else said
        ([{"missing": ["@alice"], "satisfied": True}], "alice", (), ()),  # a satisfied category asks nobody
        ([{"missing": ["@alicex"]}], "alice", (), ()),  # not a prefix match
        (["needs @acme/billing and @carol"], "carol", (), ("needs @acme/billing and @carol",)),
        (["plain text, nobody named"], "carol", (), ()),
        ([{"missing": ["@a"]}, {"missing": ["@b", "@acme/x"]}], "b", ("acme/x",), ("@b", "@acme/x")),
    ],
)
def test_naming(reasons: list[object], login: str, teams: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert naming(reasons, login, teams) == expected


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        (
            json.dumps([{"category": "billing", "files": ["a.py", "b.py"], "missing": [], "note": None}]),
            ["category: billing; files: a.py, b.py"],
        ),
        (json.dumps(["ruff: 2 findings", 3]), ["ruff: 2 findings", "3"]),
        (json.dumps({"single": "object"}), ["single: object"]),
        ("not json at all", ["not json at all"]),
        ("[]", []),
    ],
)
def test_evidence_lines(text: str, lines: list[str]) -> None:
    assert evidence(text) == lines


def test_parse_reasons_wraps_non_lists() -> None:
    assert parse_reasons('"x"') == ["x"]
