"""Evaluations (the audit trail of published decisions) and stored tool reports."""

from __future__ import annotations

from ghapp.store.database import Database
from ghapp.store.evaluations import (
    GateEvaluation,
    ReportText,
    gate_verdicts,
    recent_evaluations,
    record_evaluations,
    save_tool_reports,
    tool_reports,
)

REPO, HEAD = "acme/payments", "a" * 40


def _record(db: Database, repository: str, pr_number: int, *results: GateEvaluation) -> None:
    record_evaluations(db, delivery_id="d1", repository=repository, pr_number=pr_number, head_sha=HEAD, results=results)


def test_each_result_is_one_row_newest_first(db: Database) -> None:
    _record(
        db,
        REPO,
        1,
        GateEvaluation("lint", "success", "clean", "[]"),
        GateEvaluation("approvals", "action_required", "waiting", '["@carol"]'),
    )
    _record(db, REPO, 1, GateEvaluation("approvals", "success", "approved", "[]"))
    _record(db, "globex/secret", 3, GateEvaluation("lint", "failure", "globex's", "[]"))
    rows = recent_evaluations(db, [REPO], 10)
    assert [(r.gate, r.conclusion) for r in rows] == [
        ("approvals", "success"),
        ("approvals", "action_required"),
        ("lint", "success"),
    ]
    assert {r.delivery_id for r in rows} == {"d1"} and rows[0].created_at.tzinfo is not None
    assert [r.summary for r in recent_evaluations(db, [REPO], 1)] == ["approved"]
    assert recent_evaluations(db, [], 10) == []


def test_no_results_write_nothing(db: Database) -> None:
    _record(db, REPO, 1)
    assert recent_evaluations(db, [REPO], 10) == []


def test_gate_verdicts_read_one_gate_in_the_given_repositories(db: Database) -> None:
    _record(db, REPO, 1, GateEvaluation("approvals", "action_required", "x" * 1000, '["@carol"]'))
    _record(db, REPO, 2, GateEvaluation("lint", "failure", "", "[]"))
    _record(db, "globex/secret", 3, GateEvaluation("approvals", "action_required", "", "[]"))
    verdicts = gate_verdicts(db, "approvals", [REPO], 10)
    assert [(v.repository, v.pr_number, v.conclusion, v.reasons) for v in verdicts] == [
        (REPO, 1, "action_required", '["@carol"]')
    ]
    assert not hasattr(verdicts[0], "summary")  # summaries can be long: a scan of thousands leaves them out
    assert gate_verdicts(db, "approvals", [], 10) == []


def test_a_report_is_replaced_per_gate_and_kept_per_head(db: Database) -> None:
    save_tool_reports(db, REPO, HEAD, [ReportText("semgrep", "v1", '{"a": 1}'), ReportText("lint", "v1", "{}")])
    save_tool_reports(db, REPO, HEAD, [ReportText("semgrep", "v2", '{"a": 2}')])
    found = sorted(tool_reports(db, REPO, HEAD, ["semgrep", "lint", "types"]), key=lambda r: r.gate)
    assert found == [ReportText("lint", "v1", "{}"), ReportText("semgrep", "v2", '{"a": 2}')]
    assert tool_reports(db, REPO, "b" * 40, ["semgrep"]) == []
    assert tool_reports(db, REPO, HEAD, ["types"]) == []
