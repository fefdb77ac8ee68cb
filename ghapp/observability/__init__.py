"""Telemetry for one process: JSON logs, Prometheus metrics and OpenTelemetry traces, built once and passed down.

telemetry = Telemetry.create(settings)             # in create_app / the worker's entry point
telemetry.metrics.delivery("pull_request", "accepted")
with telemetry.tracing.job(delivery_id, parent=row.trace), log_context(delivery_id=delivery_id, repo=repo):
    ...
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry

from ghapp.observability.logs import configure_logging, log_context
from ghapp.observability.metrics import Metrics
from ghapp.observability.tracing import Tracing, setup_tracing
from ghapp.settings import Settings

__all__ = ["Metrics", "Telemetry", "Tracing", "configure_logging", "log_context", "setup_tracing"]


@dataclass(frozen=True)
class Telemetry:
    """The metrics and the tracer of one process. Tests create their own with a fresh registry and exporter."""

    metrics: Metrics
    tracing: Tracing

    @classmethod
    def create(
        cls, settings: Settings, registry: CollectorRegistry | None = None, span_exporter: SpanExporter | None = None
    ) -> Telemetry:
        return cls(Metrics(registry), setup_tracing(settings.otlp_endpoint, span_exporter))

    @property
    def tracer(self) -> Tracer:
        return self.tracing.tracer


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """The configured secrets the log redactor must also hide, beyond anything token-shaped."""
    values = (
        settings.webhook_secret,
        settings.oauth_client_secret,
        settings.session_secret,
        settings.private_key,
        settings.metrics_token,
    )
    return tuple(v for v in values if v)
