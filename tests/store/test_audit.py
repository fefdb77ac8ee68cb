"""The audit trail: each record the App makes leaves one event in the same transaction, filters find exactly
their events (a part of a name or a LIKE wildcard finds nothing), approval states are kept only when they
change, retention prunes old events, and SIEM tokens are kept hashed and stop at revocation."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ghapp.clock import utcnow
from ghapp.store import audit
from ghapp.store.audit import AUDIT_EVENTS, Entry, Filters, events, export, prune, record
from ghapp.store.audit_tokens import AUDIT_TOKENS, create_token, list_tokens, revoke_token, token_name
from ghapp.store.database import Database
from ghapp.store.direct_pushes import record_push
from ghapp.store.evaluations import GateEvaluation, record_evaluations
from ghapp.store.overrides import judge_override, save_override
from ghapp.store.review_requests import record_asked

REPO = "acme/payments"


def _kinds(db: Database, filters: Filters | None = None) -> list[tuple[str, str]]:
    return [(e.kind, e.outcome) for e in export(db, filters or Filters())]


def test_every_record_leaves_an_event(db: Database) -> None:
    assert save_override(
        db,
        comment_id=1,
        repository=REPO,
        pr_number=7,
        head_sha="a" * 40,
        gate="lint",
        reason="false positive",
        login="Carol",
        delivery_id="d1",
    )
    assert not save_override(
        db,
        comment_id=1,
        repository=REPO,
        pr_number=7,
        head_sha="a" * 40,
        gate="lint",
        reason="again",
        login="carol",
        delivery_id="d1",
    )  # a replay: no second event
    judge_override(db, 1, False, "carol is not in @acme/security")
    judge_override(db, 1, False, "carol is not in @acme/security")  # judged the same again: no event
    record_asked(db, REPO, 7, "a" * 40, [("team", "security"), ("user", "dave")])
    record_asked(db, REPO, 7, "a" * 40, [("user", "dave")])  # asked already
    record_push(
        db,
        repository=REPO,
        branch="main",
        before_sha="0" * 40,
        after_sha="c" * 40,
        pusher="mallory",
        commits=json.dumps([{"sha": "c" * 40, "tools": ["Claude Code"], "signals": ["M3"]}]),
    )
    record_push(
        db, repository=REPO, branch="main", before_sha="0" * 40, after_sha="c" * 40, pusher="mallory", commits="[]"
    )
    record_evaluations(
        db,
        delivery_id="d2",
        repository=REPO,
        pr_number=7,
        head_sha="a" * 40,
        results=[GateEvaluation("lint", "failure", "", "[]")],
        events=[Entry("decision", REPO, 7, "a" * 40, "lint", "failure", "ai", ("Claude Code",))],
    )
    assert _kinds(db) == [
        ("override", "said"),
        ("override", "refused"),
        ("review_request", "team"),
        ("review_request", "user"),
        ("direct_push", "pushed"),
        ("decision", "failure"),
    ]
    [push] = events(db, Filters(kind="direct_push"))
    assert push.tools == ("Claude Code",) and push.people == ("mallory",) and push.verdict == "ai"
    [said, refused] = export(db, Filters(kind="override"))
    assert said.people == ("carol",) and said.detail["reason"] == "false positive"
    assert refused.detail["why"] == "carol is not in @acme/security"


def test_an_event_is_not_kept_when_its_record_rolls_back(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as conn:
        audit.append(conn, [Entry("decision", REPO, 1)])
        raise RuntimeError("the evaluation failed to commit")
    assert _kinds(db) == []


def _seed(db: Database) -> None:
    record(
        db,
        [
            Entry(
                "decision",
                REPO,
                7,
                "a" * 40,
                "approvals",
                "action_required",
                "ai",
                ("Claude Code",),
                ("billing", "auth"),
                ("alice",),
            ),
            Entry("decision", REPO, 8, "b" * 40, "provenance", "success", "human", (), ("billing",), ("bob",)),
            Entry("decision", "acme/site", 2, "c" * 40, "provenance", "failure", "ai", ("Copilot",), (), ("alicia",)),
            Entry("override", REPO, 7, "a" * 40, "lint", "said", people=("carol",)),
        ],
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), 4),
        (Filters(repositories=(REPO,)), 3),
        (Filters(repositories=()), 0),
        (Filters(verdict="ai"), 2),
        (Filters(tool="Claude Code"), 1),
        (Filters(tool="Claude"), 0),  # a part of a name is not the name
        (Filters(category="billing"), 2),
        (Filters(category="bill%"), 0),  # LIKE wildcards are literal
        (Filters(category="_illing"), 0),
        (Filters(category="billing,auth"), 0),  # the separator cannot join two names
        (Filters(person="ALICE"), 1),  # logins compare without case
        (Filters(person="@alice"), 1),
        (Filters(person="ali"), 0),
        (Filters(kind="override"), 1),
        (Filters(gate="provenance", verdict="ai"), 1),
        (Filters(pr_number=7), 2),
        (Filters(repositories=(REPO,), category="billing", verdict="ai"), 1),
    ],
)
def test_filters(db: Database, filters: Filters, expected: int) -> None:
    _seed(db)
    assert len(events(db, filters)) == audit.count(db, filters) == expected


def test_time_filters_and_paging(db: Database) -> None:
    _seed(db)
    now = utcnow()
    old = now - timedelta(days=100)
    with db.write() as conn:
        conn.execute(update(AUDIT_EVENTS).where(AUDIT_EVENTS.c.pr_number == 8).values(created_at=old))
    assert [e.pr_number for e in events(db, Filters(since=now - timedelta(days=1)))] == [7, 2, 7]
    assert [e.pr_number for e in events(db, Filters(until=now - timedelta(days=1)))] == [8]
    newest = events(db, Filters(), limit=2)
    assert [e.pr_number for e in events(db, Filters(), before_id=newest[-1].id)] == [8, 7]
    first = next(iter(export(db, Filters())))
    assert [e.id for e in export(db, Filters(), after_id=first.id)] == [first.id + 1, first.id + 2, first.id + 3]


def test_export_reads_every_event_in_batches(db: Database) -> None:
    record(db, [Entry("decision", REPO, n) for n in range(audit.EXPORT_BATCH + 3)])
    assert [e.pr_number for e in export(db, Filters())] == list(range(audit.EXPORT_BATCH + 3))


def test_approval_states_are_kept_when_they_change(db: Database) -> None:
    def state(approved: list[str], head: str) -> Entry:
        return Entry(
            "approval",
            REPO,
            7,
            head,
            "approvals",
            "satisfied" if approved else "waiting",
            categories=("billing",),
            detail={"approved_by": approved},
        )

    record(db, [state([], "a" * 40)])
    record(db, [state([], "b" * 40)])  # a new head, the same state
    record(db, [state(["sam"], "b" * 40)])
    record(db, [state(["sam"], "b" * 40), Entry("approval", REPO, 7, "b" * 40, categories=("auth",))])
    record(db, [state([], "c" * 40)])  # the approval went stale
    assert [(e.categories, e.outcome) for e in export(db, Filters(kind="approval"))] == [
        (("billing",), "waiting"),
        (("billing",), "satisfied"),
        (("auth",), ""),
        (("billing",), "waiting"),
    ]


def test_prune_removes_only_events_older_than_retention(db: Database) -> None:
    _seed(db)
    with db.write() as conn:
        conn.execute(
            update(AUDIT_EVENTS).where(AUDIT_EVENTS.c.pr_number == 8).values(created_at=utcnow() - timedelta(days=31))
        )
    assert prune(db, utcnow() - timedelta(days=30)) == 1
    assert [e.pr_number for e in export(db, Filters())] == [7, 2, 7]


def test_tokens_are_stored_hashed_and_stop_when_revoked(db: Database) -> None:
    token = create_token(db, "siem")
    with db.read() as conn:
        stored = conn.execute(select(AUDIT_TOKENS.c.token_hash)).scalar_one()
    assert token not in stored and stored == hashlib.sha256(token.encode()).hexdigest()
    assert token_name(db, token) == "siem"
    assert list_tokens(db)[0].last_used_at is not None
    for wrong in ("", token[:-1], token + "x", stored, token.removeprefix("ptpa_")):
        assert token_name(db, wrong) is None
    [info] = list_tokens(db)
    assert revoke_token(db, info.id) and not revoke_token(db, info.id)
    assert token_name(db, token) is None
