"""Turns the scanners' reports of one evaluation into metrics (time per gate, failures per tool) and trace spans."""

from __future__ import annotations

import time
from collections.abc import Sequence

from opentelemetry.trace import Status, StatusCode

from ghapp.core.decisions import ToolReport
from ghapp.observability.metrics import Metrics
from ghapp.observability.tracing import Tracing


def observe_reports(reports: Sequence[ToolReport], metrics: Metrics | None, tracing: Tracing | None) -> None:
    """Call once with the reports a run of the tools returned. A report that is not `ok` (the tool crashed,
    timed out, or its output could not be read) counts as a runner failure with that status as the reason.

    Runners run in their own processes and report their own duration, so each span is drawn afterwards from
    it, ending now, as a child of the current (job) span."""
    now_ns = time.time_ns()
    for report in reports:
        if metrics is not None:
            metrics.job_duration_seconds.labels(gate=report.gate.value).observe(report.duration_s)
            if report.status != "ok":
                metrics.runner_failure(report.tool, report.status)
        if tracing is not None:
            span = tracing.tracer.start_span(
                f"runner {report.tool}",
                start_time=now_ns - int(report.duration_s * 1e9),
                attributes={
                    "ghapp.tool": report.tool,
                    "ghapp.gate": report.gate.value,
                    "ghapp.files": len(report.files),
                    "ghapp.findings": len(report.findings),
                    "ghapp.tool_version": report.version,
                    "ghapp.status": report.status,
                },
            )
            if report.status != "ok":
                span.set_status(Status(StatusCode.ERROR, report.error[:200] or report.status))
            span.end(end_time=now_ns)
