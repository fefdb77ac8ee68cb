"""Direct pushes: one row per pushed head; a replayed push keeps the first record and its issue."""

from __future__ import annotations

import json

from ghapp.store.database import Database
from ghapp.store.direct_pushes import find_push, record_push, set_push_issue

REPO, AFTER = "acme/payments", "b" * 40


def _record(db: Database, pusher: str) -> None:
    record_push(
        db,
        repository=REPO,
        branch="main",
        before_sha="a" * 40,
        after_sha=AFTER,
        pusher=pusher,
        commits=json.dumps([{"sha": AFTER, "tools": ["claude"]}]),
    )


def test_a_push_is_recorded_once_with_its_issue(db: Database) -> None:
    assert find_push(db, REPO, AFTER) is None
    _record(db, "mallory")
    set_push_issue(db, REPO, AFTER, 42)
    _record(db, "someone-else")  # a replayed delivery changes nothing
    push = find_push(db, REPO, AFTER)
    assert push is not None
    assert (push.branch, push.before_sha, push.pusher, push.issue_number) == ("main", "a" * 40, "mallory", 42)
    assert json.loads(push.commits) == [{"sha": AFTER, "tools": ["claude"]}]
    assert find_push(db, "acme/other", AFTER) is None
