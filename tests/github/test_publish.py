"""Check runs on the simulated GitHub: one per (head, gate), outputs sent once, annotations 50 per request and
never twice, summaries cut to GitHub's limit, the queued -> in_progress -> completed path, the buttons."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from ghapp.core.decisions import Conclusion, Finding, Gate, GateResult
from ghapp.core.gates.summary import SUMMARY_LIMIT
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
    ]  # the GET: runs already on the head, read once before the first create
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


def test_tool_runs_go_queued_then_in_progress_then_completed(ghsim_inprocess: GitHubSim, database: Database) -> None:
    world(ghsim_inprocess)

    async def flow(checks: CheckPublisher) -> None:
        await checks.queue([Gate.LINT], "Waiting", "soon")
        await checks.queue([Gate.LINT], "Waiting", "soon")  # exists: left as it is
        await checks.start([Gate.LINT], "Running", "now")
        await checks.complete(GateResult(Gate.LINT, Conclusion.SUCCESS, "done", "ok"))
        await checks.start([Gate.LINT], "Running again", "now")  # a re-run reopens the same run
        await checks.complete(GateResult(Gate.LINT, Conclusion.SUCCESS, "done", "ok"))

    publish(ghsim_inprocess, database, flow)
    statuses = [r.body["status"] for r in ghsim_inprocess.state.requests(None, "/check-runs") if r.method != "GET"]
    assert statuses == ["queued", "in_progress", "completed", "in_progress", "completed"]
    assert len(ghsim_inprocess.state.check_runs_for("acme/payments")) == 1


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
