"""Check runs on the simulated GitHub: one per (head, gate), outputs sent once, annotations 50 per request and
never twice, summaries cut to GitHub's limit, words held until the grace is over then shown in progress, a
create's mark and the one list call it costs, the buttons."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from ghapp.core.decisions import Conclusion, Finding, Gate, GateResult
from ghapp.core.gates.summary import SUMMARY_LIMIT
from ghapp.github.errors import GitHubError
from ghapp.github.publish import (
    REQUEST_REVIEWS,
    RERUN,
    CheckPublisher,
    Target,
    annotation,
    default_actions,
    gate_of,
)
from ghapp.store.database import Database, open_database
from ghapp.store.migrations import upgrade
from tests.ghsim import GitHubSim

T = TypeVar("T")


@pytest.fixture
def database(tmp_path: Path) -> Database:
    db = open_database(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(db)
    return db


def publish(sim: GitHubSim, db: Database, body: Callable[[CheckPublisher], Awaitable[T]]) -> T:
    head = sim.state.repo("acme/payments").branches["main"]

    async def main() -> T:
        async with sim.github_app() as app:
            checks = CheckPublisher(
                app.installation(next(iter(sim.state.installations))),
                db,
                Target("acme", "payments", head, 7, "https://ghapp.example.test/installations/1"),
            )
            return await body(checks)

    return asyncio.run(main())


def world(sim: GitHubSim) -> None:
    sim.state.create_installation("acme")
    sim.state.create_repo("acme/payments")


def findings(count: int, start: int = 1) -> tuple[Finding, ...]:
    return tuple(Finding("a.py", line, "E1", f"problem {line}") for line in range(start, start + count))


def test_one_run_per_gate_and_unchanged_results_are_not_resent(ghsim_inprocess: GitHubSim, database: Database) -> None:
    world(ghsim_inprocess)
    ok = GateResult(Gate.LINT, Conclusion.SUCCESS, "No findings", "All good.")
    assert publish(ghsim_inprocess, database, lambda c: c.complete(ok)) is True
    assert publish(ghsim_inprocess, database, lambda c: c.complete(ok)) is False
    bad = GateResult(Gate.LINT, Conclusion.FAILURE, "1 finding", "Bad.", findings(1))
    assert publish(ghsim_inprocess, database, lambda c: c.complete(bad)) is True
    (run,) = ghsim_inprocess.state.check_runs_for("acme/payments")
    assert (run.name, run.conclusion, run.external_id) == ("prompt-to-pr / lint", "failure", "pr:7")
    assert run.details_url == "https://ghapp.example.test/installations/1"
    assert [a["identifier"] for a in run.actions] == ["rerun"]
    assert len(ghsim_inprocess.state.requests("POST", "/check-runs$")) == 1


def test_annotations_go_50_a_request_and_never_twice(ghsim_inprocess: GitHubSim, database: Database) -> None:
    world(ghsim_inprocess)
    many = GateResult(Gate.LINT, Conclusion.FAILURE, "120 findings", "Many.", findings(120))
    publish(ghsim_inprocess, database, lambda c: c.complete(many))
    sizes = [
        len(r.body["output"]["annotations"])
        for r in ghsim_inprocess.state.requests(None, "/check-runs")
        if r.method != "GET"
    ]
    assert sizes == [50, 50, 20]
    more = GateResult(Gate.LINT, Conclusion.FAILURE, "125 findings", "More.", findings(125))
    publish(ghsim_inprocess, database, lambda c: c.complete(more))
    (run,) = ghsim_inprocess.state.check_runs_for("acme/payments")
    assert len(run.annotations) == 125
    assert sorted(a["start_line"] for a in run.annotations) == list(range(1, 126))


def test_runs_are_capped_at_500_annotations_and_say_so(ghsim_inprocess: GitHubSim, database: Database) -> None:
    world(ghsim_inprocess)
    publish(
        ghsim_inprocess,
        database,
        lambda c: c.complete(GateResult(Gate.SEMGREP, Conclusion.FAILURE, "t", "s", findings(620))),
    )
    (run,) = ghsim_inprocess.state.check_runs_for("acme/payments")
    assert len(run.annotations) == 500 and "620 findings; the first 500" in run.output["summary"]


def test_a_summary_over_githubs_limit_is_cut_with_a_note(ghsim_inprocess: GitHubSim, database: Database) -> None:
    world(ghsim_inprocess)
    publish(
        ghsim_inprocess, database, lambda c: c.complete(GateResult(Gate.TYPES, Conclusion.FAILURE, "t", "x" * 70_000))
    )
    (run,) = ghsim_inprocess.state.check_runs_for("acme/payments")
    assert len(run.output["summary"]) == SUMMARY_LIMIT and run.output["summary"].endswith("65,535 characters._")


def test_a_held_word_is_created_once_completed_or_shown_in_progress_once_revealed(
    ghsim_inprocess: GitHubSim, database: Database
) -> None:
    world(ghsim_inprocess)

    async def fast(checks: CheckPublisher) -> list[Gate]:
        hidden = await checks.hold([Gate.LINT], "Running", "now")
        await checks.complete(GateResult(Gate.LINT, Conclusion.SUCCESS, "done", "ok"))
        return hidden

    assert publish(ghsim_inprocess, database, fast) == [Gate.LINT]
    writes = [r for r in ghsim_inprocess.state.requests(None, "/check-runs") if r.method != "GET"]
    assert [(r.method, r.body["status"]) for r in writes] == [("POST", "completed")]  # one call, no list

    async def slow(checks: CheckPublisher) -> None:
        hidden = await checks.hold([Gate.TYPES], "Running", "now")
        assert hidden == [Gate.TYPES] and not ghsim_inprocess.state.requests(None, "/check-runs$")[1:]
        await checks.reveal(hidden)  # the grace is over
        await checks.complete(GateResult(Gate.TYPES, Conclusion.SUCCESS, "done", "ok"))
        again = await checks.hold([Gate.TYPES], "Running again", "now")  # a re-run: the run exists, shown at once
        assert again == []
        await checks.complete(GateResult(Gate.TYPES, Conclusion.SUCCESS, "done", "ok"))

    publish(ghsim_inprocess, database, slow)
    statuses = [r.body["status"] for r in ghsim_inprocess.state.requests(None, "/check-runs") if r.method != "GET"]
    assert statuses == ["completed", "in_progress", "completed", "in_progress", "completed"]
    assert len(ghsim_inprocess.state.check_runs_for("acme/payments")) == 2
    assert not ghsim_inprocess.state.requests("GET", "/check-runs")


def test_a_create_whose_answer_was_lost_is_adopted_after_one_list(
    ghsim_inprocess: GitHubSim, database: Database
) -> None:
    """The ledger is marked before each create: the next publisher finds the mark without a run id, lists the
    head's runs once (with the App's id), and updates the run GitHub made instead of creating a second."""
    world(ghsim_inprocess)
    ok = GateResult(Gate.LINT, Conclusion.SUCCESS, "No findings", "All good.")
    ghsim_inprocess.faults.add(r"/check-runs$", "5xx", count=None, method="POST")  # stop before any run exists

    async def marked(checks: CheckPublisher) -> None:
        with pytest.raises(GitHubError):
            await checks.complete(ok)

    publish(ghsim_inprocess, database, marked)
    ghsim_inprocess.faults.clear()
    head = ghsim_inprocess.state.repo("acme/payments").branches["main"]
    made = ghsim_inprocess.state.add_check_run(
        "acme/payments", head, "prompt-to-pr / lint", app_id=ghsim_inprocess.state.app_id
    )  # as if one of those creates had reached GitHub
    assert publish(ghsim_inprocess, database, lambda c: c.complete(ok)) is True
    (run,) = ghsim_inprocess.state.check_runs_for("acme/payments")
    assert run.id == made.id and run.conclusion == "success"
    listed = ghsim_inprocess.state.requests("GET", "/commits/[0-9a-f]+/check-runs$")
    assert len(listed) == 1 and listed[0].query.get("app_id") == str(ghsim_inprocess.state.app_id)
    assert len(ghsim_inprocess.state.requests("GET", "/annotations$")) == 1  # what the adopted run holds
    bad = GateResult(Gate.LINT, Conclusion.FAILURE, "1 finding", "Bad.", findings(1))
    publish(ghsim_inprocess, database, lambda c: c.complete(bad))  # recorded now: nothing more read
    assert len(ghsim_inprocess.state.requests("GET", "/check-runs")) == 2


def test_annotations_whose_answer_was_lost_are_not_sent_twice(ghsim_inprocess: GitHubSim, database: Database) -> None:
    """GitHub appends the annotations of every update: after an update whose answer was lost (GitHub acted),
    the next try reads the run's annotations and sends only those GitHub does not hold."""
    world(ghsim_inprocess)
    publish(
        ghsim_inprocess,
        database,
        lambda c: c.show("in_progress", GateResult(Gate.LINT, Conclusion.NEUTRAL, "t", "s"), []),
    )
    many = GateResult(Gate.LINT, Conclusion.FAILURE, "120 findings", "Many.", findings(120))
    ghsim_inprocess.faults.add(r"/check-runs/\d+$", "5xx", count=None, method="PATCH", status=502)

    async def second_batch_lost(checks: CheckPublisher) -> None:
        with pytest.raises(GitHubError):
            await checks.complete(many)

    (run,) = ghsim_inprocess.state.check_runs_for("acme/payments")
    run.annotations.extend(annotation(f) for f in findings(50))  # as if the first update's answer was lost
    publish(ghsim_inprocess, database, second_batch_lost)
    ghsim_inprocess.faults.clear()
    publish(ghsim_inprocess, database, lambda c: c.complete(many))
    assert sorted(a["start_line"] for a in run.annotations) == list(range(1, 121))
    assert run.conclusion == "failure"
    assert len(ghsim_inprocess.state.requests("GET", "/annotations$")) == 1


@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        (
            Finding("a.py", 3, "E1", "m", "warning", None, 5, 9),
            {"start_line": 3, "end_line": 3, "start_column": 5, "end_column": 9, "annotation_level": "warning"},
        ),
        (Finding("a.py", 3, "E1", "m", "note", 6, 5), {"start_line": 3, "end_line": 6, "annotation_level": "notice"}),
        (Finding("a.py", 0, "file-level", ""), {"start_line": 1, "end_line": 1, "message": "file-level"}),
    ],
)
def test_annotation(finding: Finding, expected: dict[str, object]) -> None:
    note = annotation(finding)
    assert {k: note[k] for k in expected} == expected
    assert ("start_column" in note) == ("start_column" in expected)


def test_buttons_and_names() -> None:
    waiting = GateResult(Gate.APPROVALS, Conclusion.ACTION_REQUIRED, "t", "s")
    assert default_actions(waiting, can_request=True) == [REQUEST_REVIEWS, RERUN]
    assert default_actions(waiting, can_request=False) == [RERUN]
    assert default_actions(GateResult(Gate.LINT, Conclusion.SUCCESS, "t", "s"), can_request=True) == []
    report = GateResult(Gate.LINT, Conclusion.NEUTRAL, "t", "s", would_conclude=Conclusion.FAILURE)
    assert default_actions(report, can_request=False) == [RERUN]
    assert all(
        len(a["label"]) <= 20 and len(a["description"]) <= 40 and len(a["identifier"]) <= 20
        for a in (RERUN, REQUEST_REVIEWS)
    )
    assert gate_of("prompt-to-pr / dependency-audit") is Gate.DEPENDENCY_AUDIT
    assert gate_of("prompt-to-pr / nothing") is None and gate_of("ci") is None
