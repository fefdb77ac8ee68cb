"""The App's Prometheus metrics, on a registry of its own, and the `/metrics` endpoint that exposes them.

The processes of one `ghapp serve` (its web processes and its worker child) count together: each keeps its
values in a file of one shared directory (prometheus_client's multiprocess mode, `SHARED_DIR`), and any of
their `/metrics` shows the sums, so one scrape sees them all and a counter never goes back because another
process answered it.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
    values,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

# Webhook acknowledgement has a 250 ms p95 target: resolve finely below a second.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 10.0)
# Gates range from a few milliseconds (provenance) to minutes (semgrep on a big diff).
_JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


# prometheus_client's own variable: the directory where the processes that count together keep their values.
SHARED_DIR = "PROMETHEUS_MULTIPROC_DIR"


def _shared_dir() -> str | None:
    """The directory this process counts in, if any. prometheus_client picks its value class when it is first
    imported; `ghapp serve` names the directory after that, so the class is switched here, before any metric."""
    directory = os.environ.get(SHARED_DIR)
    if directory and values.ValueClass is values.MutexValue:
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    return directory or None


class _QueueDepth(Collector):
    """`ghapp_queue_depth`, read from the inbox at every scrape: one figure for every process that shares it,
    so it is never summed."""

    def __init__(self) -> None:
        self.depth: Callable[[], int] | None = None

    def collect(self) -> Iterator[Metric]:
        value = float(self.depth()) if self.depth is not None else 0.0
        yield GaugeMetricFamily("ghapp_queue_depth", "Inbox rows waiting or leased, not yet done.", value=value)


class Metrics:
    """Every metric the App exports. Create one per process (tests: one per test) with its own registry;
    `registry` holds this process's own values, `exposed` what its `/metrics` serves (the sums of every
    process counting in `SHARED_DIR` when it is set)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        shared = _shared_dir()
        self.registry = registry if registry is not None else CollectorRegistry()
        self.http_port: int | None = None  # set by `serve_metrics`
        self._delivery_counters: dict[tuple[str, str], Counter] = {}
        r = self.registry
        self.deliveries = Counter(
            "ghapp_deliveries_total",
            "Webhook deliveries by event and outcome "
            "(accepted, duplicate, bad_signature, rejected, processed, failed).",
            ["event", "outcome"],
            registry=r,
        )
        self.webhook_ack_seconds = Histogram(
            "ghapp_webhook_ack_seconds",
            "Time from request to the webhook's 2xx/4xx answer.",
            buckets=_ACK_BUCKETS,
            registry=r,
        )
        self._queue_depth = _QueueDepth()
        r.register(self._queue_depth)
        self.job_duration_seconds = Histogram(
            "ghapp_job_duration_seconds",
            "Time spent per gate of one evaluation.",
            ["gate"],
            buckets=_JOB_BUCKETS,
            registry=r,
        )
        self.github_api_calls = Counter(
            "ghapp_github_api_calls_total",
            "GitHub REST calls by route template and status class.",
            ["route", "status"],
            registry=r,
        )
        self.github_ratelimit_remaining = Gauge(
            "ghapp_github_ratelimit_remaining",
            "x-ratelimit-remaining of the last GitHub answer.",
            registry=r,
            multiprocess_mode="mostrecent",  # shared: the last answer any process had
        )
        self.runner_failures = Counter(
            "ghapp_runner_failures_total",
            "Scanner runs that crashed, timed out or produced unreadable output.",
            ["tool", "reason"],
            registry=r,
        )

        self.reviewer_outputs = Counter(
            "ghapp_reviewer_outputs_total",
            "What the App put where reviewers look: `kind` sarif (one per tool gate) or suggestions (one review "
            "per head), by outcome (uploaded/posted, skipped, refused, failed).",
            ["kind", "outcome"],
            registry=r,
        )
        self.exposed = r
        if shared is not None:
            self.exposed = CollectorRegistry()
            MultiProcessCollector(self.exposed, path=shared)  # type: ignore[no-untyped-call]
            self.exposed.register(self._queue_depth)

    def track_queue_depth(self, depth: Callable[[], int]) -> None:
        """Read the queue depth from `depth()` at every scrape (e.g. the inbox's count of open rows)."""
        self._queue_depth.depth = depth

    def delivery(self, event: str, outcome: str) -> None:
        key = (event or "unknown", outcome)
        counter = self._delivery_counters.get(key)
        if counter is None:  # one labels() look-up per event and outcome, not one per delivery
            counter = self._delivery_counters[key] = self.deliveries.labels(event=key[0], outcome=outcome)
        counter.inc()

    def github_call(self, route: str, status: int, remaining: int | None = None) -> None:
        """Count one GitHub call; `route` is the template (`GET /repos/{owner}/{repo}`), never the URL."""
        self.github_api_calls.labels(route=route, status=f"{status // 100}xx").inc()
        if remaining is not None:
            self.github_ratelimit_remaining.set(remaining)

    def reviewer_output(self, kind: str, outcome: str) -> None:
        self.reviewer_outputs.labels(kind=kind, outcome=outcome).inc()

    def runner_failure(self, tool: str, reason: str = "error") -> None:
        self.runner_failures.labels(tool=tool, reason=reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.exposed)


def metrics_endpoint(metrics: Metrics, token: str | None = None) -> Callable[[Request], Response]:
    """A Starlette endpoint serving the text exposition format; with `token`, only to a request carrying
    `Authorization: Bearer <token>` (Prometheus' `authorization: {credentials: ...}`), others get 401."""
    expected = f"Bearer {token}".encode() if token else None

    def endpoint(request: Request) -> Response:
        if expected is not None and not hmac.compare_digest(
            expected, request.headers.get("authorization", "").encode("utf-8", "replace")
        ):
            return Response(
                "metrics need a bearer token\n",
                status_code=401,
                media_type="text/plain",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return endpoint


def serve_metrics(metrics: Metrics, port: int, addr: str = "0.0.0.0") -> Callable[[], None]:  # noqa: S104
    """Serve `/metrics` on its own port in a daemon thread (for `ghapp worker`, which has no web server);
    returns the function that stops it. Port 0 picks a free port (tests read it from the returned server)."""
    server, thread = start_http_server(port, addr=addr, registry=metrics.exposed)
    metrics.http_port = server.server_port

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
