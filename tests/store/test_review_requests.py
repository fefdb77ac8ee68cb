"""Review requests: recorded once per head and reviewer, so nobody is asked twice for the same head; the App's
requests on every head of a pull request, forgotten (withdrawn ones with an audit event) when taken back."""

from __future__ import annotations

from ghapp.store.audit import Filters, export
from ghapp.store.database import Database
from ghapp.store.review_requests import asked, asked_on_pull, forget, record_asked

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


def test_forgetting_takes_a_reviewer_off_every_head_and_audits_a_withdrawal(db: Database) -> None:
    record_asked(db, REPO, 1, HEAD, [("user", "carol"), ("team", "security"), ("user", "dave")])
    record_asked(db, REPO, 1, "b" * 40, [("user", "carol")])
    record_asked(db, REPO, 2, HEAD, [("user", "carol")])
    assert sorted(asked_on_pull(db, REPO, 1)) == [
        (HEAD, "team", "security"),
        (HEAD, "user", "carol"),
        (HEAD, "user", "dave"),
        ("b" * 40, "user", "carol"),
    ]
    forget(db, REPO, 1, "b" * 40, [("user", "dave")], withdrawn=[("user", "carol")])
    assert asked_on_pull(db, REPO, 1) == [(HEAD, "team", "security")]
    assert asked_on_pull(db, REPO, 2) == [(HEAD, "user", "carol")]  # another pull request keeps its own
    withdrawn = [e for e in export(db, Filters(kind="review_request")) if e.outcome == "withdrawn"]
    assert [(e.people, e.head_sha, e.pr_number) for e in withdrawn] == [(("carol",), "b" * 40, 1)]
    forget(db, REPO, 1, HEAD, [])  # nothing to forget: nothing happens
    assert asked_on_pull(db, REPO, 1) == [(HEAD, "team", "security")]
