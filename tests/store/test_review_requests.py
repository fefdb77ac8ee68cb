"""Review requests: recorded once per head and reviewer, so nobody is asked twice for the same head."""

from __future__ import annotations

from ghapp.store.database import Database
from ghapp.store.review_requests import asked, record_asked

REPO, HEAD = "acme/payments", "a" * 40


def test_each_reviewer_is_recorded_once_per_head(db: Database) -> None:
    record_asked(db, REPO, 1, HEAD, [("user", "carol"), ("team", "security")])
    record_asked(db, REPO, 1, HEAD, [("user", "carol"), ("user", "dave")])
    assert sorted(asked(db, REPO, 1, HEAD)) == [("team", "security"), ("user", "carol"), ("user", "dave")]


def test_another_head_or_pull_request_starts_afresh(db: Database) -> None:
    record_asked(db, REPO, 1, HEAD, [("user", "carol")])
    assert asked(db, REPO, 1, "b" * 40) == []
    assert asked(db, REPO, 2, HEAD) == []
    assert asked(db, "acme/other", 1, HEAD) == []
