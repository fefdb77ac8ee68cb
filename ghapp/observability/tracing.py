"""OpenTelemetry traces from webhook to job to GitHub call to runner: OTLP over HTTP when configured, off otherwise.

The webhook and the job run in different processes with only the delivery id between them (the queue carries
nothing else), so both derive the trace from it: the webhook span gets ids computed from `X-GitHub-Delivery`,
and the job's span names that span as its parent. Every attempt of a delivery lands in the same trace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()
SERVICE_NAME = "prompt-to-pr"
_FORCED: ContextVar[tuple[int, int] | None] = ContextVar("ghapp_forced_span_ids", default=None)


def delivery_span_ids(delivery_id: str) -> tuple[int, int]:
    """(trace id, span id) of a delivery's webhook span: the same in every process that knows the id."""
    digest = hashlib.sha256(f"ghapp-trace:{delivery_id}".encode()).digest()
    return int.from_bytes(digest[:16], "big") or 1, int.from_bytes(digest[16:24], "big") or 1


class _DeliveryIds(IdGenerator):
    """Random ids, except for the one span being started while `_FORCED` holds a delivery's ids."""

    def __init__(self) -> None:
        self._random = RandomIdGenerator()

    def generate_span_id(self) -> int:
        forced = _FORCED.get()
        return forced[1] if forced else self._random.generate_span_id()

    def generate_trace_id(self) -> int:
        forced = _FORCED.get()
        return forced[0] if forced else self._random.generate_trace_id()


class Tracing:
    """A tracer of the App's own (never the process-global provider) and the span helpers the layers use."""

    def __init__(self, provider: TracerProvider | None) -> None:
        self._provider = provider
        self.tracer: trace.Tracer = provider.get_tracer("ghapp") if provider else trace.NoOpTracer()

    @property
    def enabled(self) -> bool:
        return self._provider is not None

    @contextmanager
    def span(
        self, name: str, attributes: Mapping[str, Any] | None = None, parent: Mapping[str, str] | None = None
    ) -> Iterator[trace.Span]:
        """A span named `name`; `parent` is a carrier from `carrier()` when the parent ran in another process."""
        ctx = _PROPAGATOR.extract(dict(parent)) if parent else None
        clean = {k: v for k, v in (attributes or {}).items() if v is not None}
        with self.tracer.start_as_current_span(name, context=ctx, attributes=clean) as span:
            yield span

    def carrier(self) -> dict[str, str]:
        """The current span as a W3C `traceparent` dict, to store with a queued job."""
        carrier: dict[str, str] = {}
        _PROPAGATOR.inject(carrier, otel_context.get_current())
        return carrier

    @contextmanager
    def webhook(self, event: str, delivery_id: str) -> Iterator[trace.Span]:
        """The root span of a delivery's trace, with ids derived from `delivery_id` (see the module doc)."""
        attributes = {"github.event": event, "github.delivery": delivery_id}
        token = _FORCED.set(delivery_span_ids(delivery_id) if delivery_id else None)
        try:
            span = self.tracer.start_span("webhook", context=otel_context.Context(), attributes=attributes)
        finally:
            _FORCED.reset(token)
        with trace.use_span(span, end_on_exit=True):
            yield span

    def job(
        self, delivery_id: str, parent: Mapping[str, str] | None = None, **attributes: Any
    ) -> AbstractContextManager[trace.Span]:
        """The worker's span for one attempt at a delivery, a child of its webhook span (or of `parent`, a
        carrier from `carrier()`); `attributes` (repo="o/r", pr=5) become `ghapp.*` attributes."""
        attrs = {"github.delivery": delivery_id, **{f"ghapp.{k}": v for k, v in attributes.items()}}
        if parent is None:
            trace_id, span_id = delivery_span_ids(delivery_id)
            remote = trace.SpanContext(
                trace_id, span_id, is_remote=True, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED)
            )
            parent = {}
            _PROPAGATOR.inject(parent, trace.set_span_in_context(trace.NonRecordingSpan(remote)))
        return self.span("job", attrs, parent=parent)

    def github_call(self, route: str) -> AbstractContextManager[trace.Span]:
        """A GitHub request; `route` is the client's "METHOD /template" (`GET /repos/{owner}/{repo}`)."""
        method, _, template = route.partition(" ")
        return self.span(f"GitHub {route}", {"http.request.method": method, "url.template": template})

    def runner(self, tool: str, files: int) -> AbstractContextManager[trace.Span]:
        return self.span(f"runner {tool}", {"ghapp.tool": tool, "ghapp.files": files})

    def shutdown(self) -> None:
        if self._provider is not None:
            self._provider.shutdown()


def otlp_traces_url(endpoint: str) -> str:
    """GHAPP_OTLP_ENDPOINT may be the collector's base URL (`http://collector:4318`) or the full traces URL."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


def setup_tracing(otlp_endpoint: str, exporter: SpanExporter | None = None) -> Tracing:
    """Tracing for this process: `exporter` (tests) or OTLP to `otlp_endpoint`; neither means no-op spans."""
    if exporter is None and not otlp_endpoint:
        return Tracing(None)
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}), id_generator=_DeliveryIds())
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_traces_url(otlp_endpoint))))
    return Tracing(provider)
