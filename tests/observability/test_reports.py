"""Tool reports become per-gate durations, per-tool failures and runner spans under the job's span."""

from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from ghapp.core.decisions import Finding, Gate, ToolReport
from ghapp.observability.metrics import Metrics
from ghapp.observability.reports import observe_reports
from ghapp.observability.tracing import setup_tracing

REPORTS = (
    ToolReport(
        Gate.LINT,
        "ruff",
        "0.17.6",
        files=("a.py", "b.py"),
        duration_s=0.4,
        findings=(Finding("a.py", 3, "F401", "unused import"),),
    ),
    ToolReport(Gate.SEMGREP, "semgrep", "1.185.0", status="timeout", error="no answer in 300 s", duration_s=2.5),
    ToolReport(Gate.TYPES, "mypy", "2.4.1", status="error", error="", duration_s=1.0),
)


def test_durations_failures_and_spans() -> None:
    metrics = Metrics()
    exporter = InMemorySpanExporter()
    tracing = setup_tracing("", exporter)
    with tracing.job("d-1"):
        observe_reports(REPORTS, metrics, tracing)
    value = metrics.registry.get_sample_value
    assert value("ghapp_job_duration_seconds_sum", {"gate": "lint"}) == 0.4
    assert value("ghapp_job_duration_seconds_count", {"gate": "semgrep"}) == 1
    assert value("ghapp_runner_failures_total", {"tool": "semgrep", "reason": "timeout"}) == 1
    assert value("ghapp_runner_failures_total", {"tool": "mypy", "reason": "error"}) == 1
    assert value("ghapp_runner_failures_total", {"tool": "ruff", "reason": "error"}) is None
    spans = {s.name: s for s in exporter.get_finished_spans()}
    job = spans["job"]
    ruff, semgrep, mypy = spans["runner ruff"], spans["runner semgrep"], spans["runner mypy"]
    assert all(s.parent is not None and s.parent.span_id == job.context.span_id for s in (ruff, semgrep, mypy))
    assert ruff.end_time - ruff.start_time == 400_000_000  # type: ignore[operator]
    assert ruff.attributes["ghapp.files"] == 2 and ruff.attributes["ghapp.findings"] == 1
    assert ruff.status.status_code is StatusCode.UNSET
    assert semgrep.status.status_code is StatusCode.ERROR and semgrep.status.description == "no answer in 300 s"
    assert mypy.status.description == "error"


def test_either_side_may_be_off() -> None:
    metrics = Metrics()
    observe_reports(REPORTS, metrics, None)
    observe_reports(REPORTS, None, setup_tracing(""))
    assert metrics.registry.get_sample_value("ghapp_job_duration_seconds_count", {"gate": "types"}) == 1
