"""The check-run ledger: one row per (repository, head, gate), updated in place, annotations kept until replaced;
a create's mark never overwrites a recorded run."""

from __future__ import annotations

from ghapp.store.check_runs import CREATING, find_run, mark_create, run_statuses, save_run
from ghapp.store.database import Database

REPO, HEAD = "acme/payments", "a" * 40


def test_a_run_is_recorded_once_and_updated_in_place(db: Database) -> None:
    assert find_run(db, REPO, HEAD, "lint") is None
    save_run(db, REPO, HEAD, "lint", 11, status="queued", conclusion=None, digest=None)
    save_run(db, REPO, HEAD, "lint", 12, status="completed", conclusion="failure", digest="d1", annotations='["k1"]')
    run = find_run(db, REPO, HEAD, "lint")
    assert run is not None
    assert (run.check_run_id, run.status, run.conclusion, run.digest, run.annotations) == (
        12,
        "completed",
        "failure",
        "d1",
        '["k1"]',
    )
    assert run.updated_at.tzinfo is not None


def test_an_update_without_annotations_keeps_those_already_sent(db: Database) -> None:
    save_run(db, REPO, HEAD, "lint", 11, status="completed", conclusion="failure", digest="d1", annotations='["k1"]')
    save_run(db, REPO, HEAD, "lint", 11, status="in_progress", conclusion=None, digest=None)
    run = find_run(db, REPO, HEAD, "lint")
    assert run is not None and (run.status, run.digest, run.annotations) == ("in_progress", None, '["k1"]')


def test_runs_are_kept_apart_by_repository_head_and_gate(db: Database) -> None:
    save_run(db, REPO, HEAD, "lint", 1, status="completed", conclusion="success", digest=None)
    save_run(db, REPO, HEAD, "types", 2, status="in_progress", conclusion=None, digest=None)
    save_run(db, REPO, "b" * 40, "lint", 3, status="queued", conclusion=None, digest=None)
    save_run(db, "acme/other", HEAD, "lint", 4, status="queued", conclusion=None, digest=None)
    assert run_statuses(db, REPO, HEAD) == {"lint": "completed", "types": "in_progress"}
    assert run_statuses(db, REPO, "c" * 40) == {}
    other = find_run(db, "acme/other", HEAD, "lint")
    assert other is not None and other.check_run_id == 4


def test_a_create_is_marked_without_a_run_id_and_the_mark_never_hides_a_recorded_run(db: Database) -> None:
    mark_create(db, REPO, HEAD, "lint")
    run = find_run(db, REPO, HEAD, "lint")
    assert run is not None and (run.check_run_id, run.status) == (0, CREATING)
    assert run_statuses(db, REPO, HEAD) == {"lint": CREATING}
    save_run(db, REPO, HEAD, "lint", 12, status="completed", conclusion="success", digest="d1")
    mark_create(db, REPO, HEAD, "lint")  # a late mark (another worker): the recorded run stays
    run = find_run(db, REPO, HEAD, "lint")
    assert run is not None and (run.check_run_id, run.status) == (12, "completed")
