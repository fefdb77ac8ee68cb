"""Override comments: recorded once per comment (a replayed delivery adds nothing), judged later, read in order."""

from __future__ import annotations

from ghapp.store.database import Database
from ghapp.store.overrides import judge_override, overrides_on, save_override

REPO = "acme/payments"


def _save(db: Database, comment_id: int, pr_number: int = 1, gate: str = "lint") -> bool:
    return save_override(
        db,
        comment_id=comment_id,
        repository=REPO,
        pr_number=pr_number,
        head_sha="a" * 40,
        gate=gate,
        reason="false positive",
        login="carol",
        delivery_id=f"d{comment_id}",
    )


def test_a_replayed_comment_is_recorded_once(db: Database) -> None:
    assert _save(db, 100) is True
    assert _save(db, 100, gate="semgrep") is False  # the same comment cannot be recorded again, even altered
    rows = overrides_on(db, REPO, 1)
    assert [(r.comment_id, r.gate, r.accepted, r.verdict) for r in rows] == [(100, "lint", None, "")]


def test_overrides_are_read_oldest_first_per_pull_request(db: Database) -> None:
    for comment_id in (3, 1, 2):
        _save(db, comment_id)
    _save(db, 9, pr_number=2)
    assert [r.comment_id for r in overrides_on(db, REPO, 1)] == [3, 1, 2]
    assert [r.comment_id for r in overrides_on(db, REPO, 2)] == [9]
    assert overrides_on(db, "acme/other", 1) == []


def test_the_judgement_is_recorded(db: Database) -> None:
    _save(db, 7)
    judge_override(db, 7, False, "carol is not in @acme/security")
    [row] = overrides_on(db, REPO, 1)
    assert (row.accepted, row.verdict) == (False, "carol is not in @acme/security")
