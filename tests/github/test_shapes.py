"""GitHub's JSON to core facts: files (renames, binaries, big diffs), reviews in both spellings, forks, labels."""

from __future__ import annotations

from typing import Any

import pytest

from ghapp.core.facts import Actor, Assignment, ChangedFile
from ghapp.github import shapes

PATCH = "@@ -1,2 +1,3 @@\n a\n-b\n+c\n+d"
POINTER = "Subproject commit " + "1" * 39
SUBMODULE = f"@@ -1 +1 @@\n-{POINTER}1\n+{POINTER}2"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"filename": "a.py", "status": "modified", "additions": 2, "deletions": 1, "changes": 3, "patch": PATCH},
            ChangedFile("a.py", "modified", None, 2, 1, frozenset({2, 3})),
        ),
        (
            {"filename": "new.py", "previous_filename": "old.py", "status": "renamed", "changes": 0},
            ChangedFile("new.py", "renamed", "old.py"),
        ),
        (
            {"filename": "logo.png", "status": "added", "changes": 0},
            ChangedFile("logo.png", "added", patch_missing=True, binary=True),
        ),
        (
            {"filename": "big.py", "status": "modified", "additions": 4000, "changes": 4000},
            ChangedFile("big.py", "modified", additions=4000, patch_missing=True),
        ),
        (
            {"filename": "gone.bin", "status": "removed", "changes": 0},
            ChangedFile("gone.bin", "removed", patch_missing=True),
        ),
        ({"filename": "x", "status": "weird", "patch": ""}, ChangedFile("x", "modified")),
        (  # a submodule's pointer moved, as GitHub lists it
            {"filename": "auth", "status": "modified", "additions": 1, "deletions": 1, "patch": SUBMODULE},
            ChangedFile("auth", "modified", None, 1, 1, frozenset({1}), submodule=True),
        ),
        (  # a submodule added
            {"filename": "vendor/lib", "status": "added", "additions": 1, "patch": f"@@ -0,0 +1 @@\n+{POINTER}2"},
            ChangedFile("vendor/lib", "added", None, 1, 0, frozenset({1}), submodule=True),
        ),
        (  # a file that says the same words among others is a file
            {"filename": "notes.md", "status": "modified", "additions": 2, "patch": f"@@ -1 +1,2 @@\n+{POINTER}2\n+x"},
            ChangedFile("notes.md", "modified", None, 2, 0, frozenset({1, 2})),
        ),
    ],
)
def test_changed_file(entry: dict[str, Any], expected: ChangedFile) -> None:
    assert shapes.changed_file(entry) == expected


@pytest.mark.parametrize(
    ("entry", "state"),
    [
        ({"state": "APPROVED", "user": {"login": "bob", "type": "User", "id": 7}, "commit_id": "abc"}, "APPROVED"),
        ({"state": "approved", "user": {"login": "bob"}}, "APPROVED"),
        ({"state": "changes_requested", "user": {"login": "bob"}}, "CHANGES_REQUESTED"),
        ({"state": "PENDING", "user": {"login": "bob"}}, None),
    ],
)
def test_review(entry: dict[str, Any], state: str | None) -> None:
    review = shapes.review(entry)
    assert (review.state if review else None) == state


def test_pull_request_from_a_fork_and_its_labels() -> None:
    pr = {
        "number": 3,
        "user": {"login": "copilot-swe-agent[bot]", "type": "Bot", "id": 1},
        "title": "T",
        "body": None,
        "head": {"ref": "f", "sha": "h", "repo": {"full_name": "someone/fork"}},
        "base": {"ref": "main", "sha": "b", "repo": {"full_name": "acme/payments"}},
        "labels": [{"name": "ai:copilot"}, {"name": "bug"}, {"name": "ai-suspected"}],
        "draft": True,
    }
    parsed = shapes.pull_request(pr)
    assert parsed.from_fork and parsed.draft and parsed.body == ""
    assert parsed.author.type == "Bot" and parsed.labels == ("bug",)
    assert not shapes.pull_request({**pr, "head": {**pr["head"], "repo": pr["base"]["repo"]}}).from_fork
    assert shapes.pull_request({**pr, "head": {"ref": "f", "sha": "h", "repo": None}}).from_fork  # deleted fork


def test_commits_in_rest_and_push_shapes() -> None:
    rest = shapes.commit(
        {
            "sha": "s",
            "commit": {
                "message": "m",
                "author": {"name": "A", "email": "a@x"},
                "committer": {"name": "C", "email": "c@x"},
            },
            "author": {"login": "alice"},
            "committer": None,
        }
    )
    assert (rest.author.login, rest.committer.login, rest.message) == ("alice", None, "m")
    pushed = shapes.push_commit(
        {
            "id": "s",
            "message": "m",
            "author": {"name": "A", "email": "a@x", "username": "al"},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        }
    )
    assert (pushed.sha, pushed.author.login, pushed.committer.login) == ("s", "al", None)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            {
                "event": "assigned",
                "actor": {"login": "mona"},
                "assignee": {"login": "Copilot", "type": "Bot"},
                "assigner": {"login": "mona", "type": "User"},
            },
            Assignment(Actor("Copilot", "Bot"), Actor("mona")),
        ),
        (
            {"event": "assigned", "actor": {"login": "mona"}, "assignee": {"login": "Copilot", "type": "Bot"}},
            Assignment(Actor("Copilot", "Bot"), Actor("mona")),
        ),  # no assigner: the actor assigned
        ({"event": "unassigned", "actor": {"login": "mona"}, "assignee": {"login": "Copilot"}}, None),
        ({"event": "assigned", "actor": {"login": "mona"}, "assignee": None}, None),
        ({"event": "labeled", "actor": {"login": "mona"}}, None),
    ],
)
def test_assignment(event: dict[str, Any], expected: Assignment | None) -> None:
    assert shapes.assignment(event) == expected
