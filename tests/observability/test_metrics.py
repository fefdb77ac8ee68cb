"""The metrics live on their own registry, count what the App does, and `/metrics` serves them to Prometheus;
processes sharing a directory serve the sums."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Route

from ghapp.observability.metrics import SHARED_DIR, Metrics, metrics_endpoint, serve_metrics
from tests.paths import ROOT


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_each_metric_counts_what_happened() -> None:
    m = Metrics()
    m.delivery("pull_request", "accepted")
    m.delivery("pull_request", "accepted")
    m.delivery("", "bad_signature")
    m.webhook_ack_seconds.observe(0.02)
    m.webhook_ack_seconds.observe(0.3)
    m.job_duration_seconds.labels(gate="semgrep").observe(4.2)
    m.github_call("/repos/{owner}/{repo}/pulls/{number}", 200, remaining=4999)
    m.github_call("/repos/{owner}/{repo}/pulls/{number}", 404)
    m.runner_failure("mypy", "timeout")
    got = samples(m)
    assert got[("ghapp_deliveries_total", (("event", "pull_request"), ("outcome", "accepted")))] == 2
    assert got[("ghapp_deliveries_total", (("event", "unknown"), ("outcome", "bad_signature")))] == 1
    assert got[("ghapp_webhook_ack_seconds_bucket", (("le", "0.025"),))] == 1
    assert got[("ghapp_webhook_ack_seconds_bucket", (("le", "0.5"),))] == 2
    assert got[("ghapp_webhook_ack_seconds_count", ())] == 2
    assert got[("ghapp_job_duration_seconds_sum", (("gate", "semgrep"),))] == 4.2
    route = ("route", "/repos/{owner}/{repo}/pulls/{number}")
    assert got[("ghapp_github_api_calls_total", (route, ("status", "2xx")))] == 1
    assert got[("ghapp_github_api_calls_total", (route, ("status", "4xx")))] == 1
    assert got[("ghapp_github_ratelimit_remaining", ())] == 4999
    assert got[("ghapp_runner_failures_total", (("reason", "timeout"), ("tool", "mypy")))] == 1


def test_queue_depth_is_read_at_scrape_time() -> None:
    depth = [3]
    m = Metrics()
    m.track_queue_depth(lambda: depth[0])
    assert samples(m)[("ghapp_queue_depth", ())] == 3
    depth[0] = 11
    assert samples(m)[("ghapp_queue_depth", ())] == 11


def test_registries_are_separate_and_never_the_global_one() -> None:
    registry = CollectorRegistry()
    a, b = Metrics(registry), Metrics()
    a.delivery("push", "accepted")
    assert a.registry is registry and b.registry is not REGISTRY
    assert ("ghapp_deliveries_total", (("event", "push"), ("outcome", "accepted"))) not in samples(b)
    assert REGISTRY.get_sample_value("ghapp_deliveries_total", {"event": "push", "outcome": "accepted"}) is None


def test_metrics_endpoint_serves_the_exposition_format() -> None:
    m = Metrics()
    m.delivery("check_run", "duplicate")
    app = Starlette(routes=[Route("/metrics", metrics_endpoint(m))])

    async def scrape() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return await client.get("/metrics")

    response = asyncio.run(scrape())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert 'ghapp_deliveries_total{event="check_run",outcome="duplicate"} 1.0' in response.text


def test_serve_metrics_on_a_port_of_its_own() -> None:
    m = Metrics()
    m.runner_failure("semgrep", "timeout")
    stop = serve_metrics(m, 0, addr="127.0.0.1")
    try:
        assert m.http_port
        body = httpx.get(f"http://127.0.0.1:{m.http_port}/metrics", timeout=5).text
    finally:
        stop()
    assert 'ghapp_runner_failures_total{reason="timeout",tool="semgrep"} 1.0' in body
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{m.http_port}/metrics", timeout=2)


# A process of its own, counting in the directory named by SHARED_DIR: argv is how many deliveries it accepts,
# one acknowledgement time, the rate limit it saw last and, with a fourth, the queue depth it reads; it prints
# what its /metrics would serve. prometheus_client is imported before the directory is named, as in `ghapp
# serve`'s first process.
PROCESS = """
import os, sys
import prometheus_client
os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[5]
from ghapp.observability.metrics import Metrics
m = Metrics()
for _ in range(int(sys.argv[1])):
    m.delivery("push", "accepted")
m.webhook_ack_seconds.observe(float(sys.argv[2]))
m.github_call("/rate_limit", 200, remaining=int(sys.argv[3]))
if sys.argv[4]:
    m.track_queue_depth(lambda: int(sys.argv[4]))
    sys.stdout.write(m.render().decode())
"""


def in_a_process(directory: Path, accepted: int, ack_s: float, remaining: int, depth: str = "") -> str:
    env = {k: v for k, v in os.environ.items() if k != SHARED_DIR}
    run = [sys.executable, "-c", PROCESS, str(accepted), str(ack_s), str(remaining), depth, str(directory)]
    return subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_processes_sharing_a_directory_serve_the_sums(tmp_path: Path) -> None:
    in_a_process(tmp_path, 2, 0.02, 4000)
    in_a_process(tmp_path, 3, 0.3, 3000)
    served = in_a_process(tmp_path, 1, 0.02, 2000, depth="7")
    got: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(served):
        for s in family.samples:
            assert (s.name, tuple(sorted(s.labels.items()))) not in got  # one figure each: no pid label
            got[(s.name, tuple(sorted(s.labels.items())))] = s.value
    assert got[("ghapp_deliveries_total", (("event", "push"), ("outcome", "accepted")))] == 6
    assert got[("ghapp_webhook_ack_seconds_count", ())] == 3
    assert got[("ghapp_webhook_ack_seconds_bucket", (("le", "0.025"),))] == 2
    assert got[("ghapp_github_ratelimit_remaining", ())] == 2000  # the last one seen, not a sum
    assert got[("ghapp_queue_depth", ())] == 7  # read live, once
    # a process that does not share the directory counts alone
    assert ("ghapp_deliveries_total", (("event", "push"), ("outcome", "accepted"))) not in samples(Metrics())
