"""Observability across the layers: one delivery through the real webhook route and the worker leaves one trace,
JSON log lines carrying its context, and the metrics that count it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from ghapp.app import create_app
from ghapp.core.decisions import Gate, ToolReport
from ghapp.observability import Telemetry, configure_logging
from ghapp.observability.reports import observe_reports
from ghapp.runtime.jobs import JobContext
from ghapp.runtime.worker import Worker
from ghapp.settings import Settings
from tests.conftest import delivery_headers, load_webhook
from tests.web.asgi import Client

pytestmark = pytest.mark.anyio


async def test_one_delivery_one_trace_logged_and_counted(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    exporter = InMemorySpanExporter()
    telemetry = Telemetry.create(settings, registry=CollectorRegistry(), span_exporter=exporter)
    seen: list[str] = []

    async def handler(ctx: JobContext) -> None:
        ctx.log.info("evaluating")
        seen.append(ctx.delivery.delivery_id)
        # what the enforcement pipeline does with the tools' reports, through the handler's context
        observe_reports(
            [ToolReport(Gate.LINT, "ruff", duration_s=0.2, files=("a.py", "b.py"))], ctx.metrics, ctx.tracing
        )

    handlers = {("pull_request", "ready_for_review"): handler}
    app = create_app(settings, telemetry=telemetry, handlers=handlers, run_worker=False)
    stream = io.StringIO()
    log_handler = configure_logging("INFO", stream=stream)
    app.state.recorder.start()
    try:
        body = load_webhook("pull_request", "ready_for_review.with-installation")
        headers = delivery_headers("pull_request", body, delivery_id="d-trace-1")
        response = await Client(app).client.post("/api/github/webhooks", content=body, headers=headers)
        assert response.status_code == 202
        worker = Worker(
            settings,
            app.state.inbox,
            app.state.queue,
            handlers=handlers,
            periodic=False,
            metrics=telemetry.metrics,
            tracing=telemetry.tracing,
        )
        assert await worker.process("d-trace-1") == "done"
    finally:
        app.state.recorder.stop()
        logging.getLogger().removeHandler(log_handler)
    assert seen == ["d-trace-1"]
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"webhook", "job", "runner ruff"}
    assert spans["webhook"].attributes["ghapp.outcome"] == "accepted"
    assert spans["job"].parent.span_id == spans["webhook"].context.span_id  # type: ignore[union-attr]
    assert spans["runner ruff"].parent.span_id == spans["job"].context.span_id  # type: ignore[union-attr]
    assert spans["job"].attributes["ghapp.outcome"] == "done"
    payload = json.loads(body)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    evaluating = next(line for line in lines if line["msg"] == "evaluating")
    assert evaluating["delivery_id"] == "d-trace-1"
    assert evaluating["repo"] == payload["repository"]["full_name"]
    assert evaluating["pr"] == payload["number"] and evaluating["installation_id"] == payload["installation"]["id"]
    value = telemetry.metrics.registry.get_sample_value
    assert value("ghapp_deliveries_total", {"event": "pull_request", "outcome": "accepted"}) == 1
    assert value("ghapp_deliveries_total", {"event": "pull_request", "outcome": "processed"}) == 1
    assert value("ghapp_webhook_ack_seconds_count", {}) == 1
    assert value("ghapp_job_duration_seconds_count", {"gate": "lint"}) == 1
