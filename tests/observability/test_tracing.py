"""Spans from webhook to job to GitHub call to runner, joined across the queue; no spans when tracing is off."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ghapp.observability import Telemetry
from ghapp.observability.tracing import delivery_span_ids, otlp_traces_url, setup_tracing
from ghapp.settings import Settings


def test_webhook_job_github_and_runner_spans_form_one_trace() -> None:
    exporter = InMemorySpanExporter()
    web = setup_tracing("", exporter)
    with web.webhook("pull_request", "d-1"):
        carrier = web.carrier()  # stored with the queued job
    assert carrier["traceparent"].startswith("00-")
    worker = setup_tracing("", exporter)  # another process in production
    with worker.job("d-1", parent=carrier, repo="octo/app", pr=5, skipped=None):
        with worker.github_call("GET /repos/{owner}/{repo}/pulls/{number}"):
            pass
        with worker.runner("ruff", files=3):
            pass
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"webhook", "job", "GitHub GET /repos/{owner}/{repo}/pulls/{number}", "runner ruff"}
    trace_ids = {s.context.trace_id for s in spans.values()}
    assert len(trace_ids) == 1
    job = spans["job"]
    assert job.parent is not None and job.parent.span_id == spans["webhook"].context.span_id
    assert dict(job.attributes or {}) == {"github.delivery": "d-1", "ghapp.repo": "octo/app", "ghapp.pr": 5}
    assert spans["runner ruff"].parent.span_id == job.context.span_id  # type: ignore[union-attr]
    assert spans["runner ruff"].attributes == {"ghapp.tool": "ruff", "ghapp.files": 3}
    assert spans["webhook"].resource.attributes["service.name"] == "prompt-to-pr"


def test_tracing_is_off_without_an_endpoint() -> None:
    tracing = Telemetry.create(Settings()).tracing
    assert not tracing.enabled
    with tracing.webhook("push", "d-2") as span:
        assert not span.get_span_context().is_valid
        assert tracing.carrier() == {}
    tracing.shutdown()


def test_an_otlp_endpoint_turns_on_batched_export() -> None:
    tracing = setup_tracing("http://collector:4318")
    try:
        assert tracing.enabled and isinstance(tracing.tracer, trace.Tracer)
        processors = tracing._provider._active_span_processor._span_processors  # type: ignore[union-attr]
        assert [type(p) for p in processors] == [BatchSpanProcessor]
        assert processors[0].span_exporter._endpoint == "http://collector:4318/v1/traces"  # type: ignore[attr-defined]
    finally:
        tracing._provider = None  # nothing to flush, and the collector does not exist


def test_otlp_url_accepts_base_or_full_url() -> None:
    assert otlp_traces_url("http://c:4318/") == "http://c:4318/v1/traces"
    assert otlp_traces_url("https://c/v1/traces") == "https://c/v1/traces"


def test_telemetry_bundles_metrics_and_tracer() -> None:
    exporter = InMemorySpanExporter()
    telemetry = Telemetry.create(Settings(otlp_endpoint=""), span_exporter=exporter)
    with telemetry.tracer.start_as_current_span("custom"):
        pass
    assert [s.name for s in exporter.get_finished_spans()] == ["custom"]
    assert telemetry.metrics.registry is not None


def test_a_job_finds_its_webhook_span_from_the_delivery_id_alone() -> None:
    exporter = InMemorySpanExporter()
    web, worker = setup_tracing("", exporter), setup_tracing("", exporter)  # two processes
    with web.webhook("pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958"), web.span("record"):
        pass
    for attempt in (1, 2):  # a retry joins the same trace
        with worker.job("72d3162e-cc78-11e3-81ab-4c9367dc0958", attempt=attempt), worker.runner("semgrep", 1):
            pass
    with web.webhook("push", "another-delivery"):
        pass
    spans = exporter.get_finished_spans()
    webhook = next(s for s in spans if s.name == "webhook" and s.attributes["github.event"] == "pull_request")
    jobs = [s for s in spans if s.name == "job"]
    assert len(jobs) == 2 and {j.attributes["ghapp.attempt"] for j in jobs} == {1, 2}
    assert all(j.parent is not None and j.parent.span_id == webhook.context.span_id for j in jobs)
    assert all(j.context.trace_id == webhook.context.trace_id for j in jobs)
    assert jobs[0].context.span_id != jobs[1].context.span_id
    assert (webhook.context.trace_id, webhook.context.span_id) == delivery_span_ids(
        "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    )
    record = next(s for s in spans if s.name == "record")
    assert record.parent.span_id == webhook.context.span_id  # type: ignore[union-attr]
    assert record.context.span_id != webhook.context.span_id  # only the webhook span's ids are derived
    other = next(s for s in spans if s.name == "webhook" and s.attributes["github.event"] == "push")
    assert other.context.trace_id != webhook.context.trace_id and other.parent is None


def test_shutdown_flushes_and_stops_export() -> None:
    exporter = InMemorySpanExporter()
    tracing = setup_tracing("", exporter)
    with tracing.span("before"):
        pass
    tracing.shutdown()
    with tracing.span("after"):
        pass
    assert [s.name for s in exporter.get_finished_spans()] == ["before"]
