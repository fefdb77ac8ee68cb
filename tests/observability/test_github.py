"""GitHub calls made through the real client show up in the metrics, by route template and status class."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from ghapp.github.errors import NotFound
from ghapp.observability.github import MetricsCounter
from ghapp.observability.metrics import Metrics
from ghapp.observability.tracing import setup_tracing
from tests.ghsim import GitHubSim


def test_client_calls_are_counted_by_route(ghsim_inprocess: GitHubSim) -> None:
    inst = ghsim_inprocess.state.create_installation("acme")
    ghsim_inprocess.state.create_repo("acme/app", files={"README.md": "hi"})
    metrics = Metrics(CollectorRegistry())
    counter = MetricsCounter(metrics)

    async def calls() -> None:
        async with ghsim_inprocess.github_app(counter=counter) as app:
            api = app.installation(inst.id)
            await api.get_repo("acme", "app")
            await api.get_repo("acme", "app")
            with pytest.raises(NotFound):
                await api.get_repo("acme", "missing")

    asyncio.run(calls())
    value = metrics.registry.get_sample_value
    assert value("ghapp_github_api_calls_total", {"route": "GET /repos/{owner}/{repo}", "status": "2xx"}) == 2
    assert value("ghapp_github_api_calls_total", {"route": "GET /repos/{owner}/{repo}", "status": "4xx"}) == 1
    token_route = "POST /app/installations/{installation_id}/access_tokens"
    assert value("ghapp_github_api_calls_total", {"route": token_route, "status": "2xx"}) == 1
    remaining = value("ghapp_github_ratelimit_remaining", {})
    assert remaining is not None and 4990 <= remaining < 5000
    assert counter.total == 4  # the client's own tally still works


def test_each_github_request_gets_a_span_under_the_job(ghsim_inprocess: GitHubSim) -> None:
    inst = ghsim_inprocess.state.create_installation("acme")
    ghsim_inprocess.state.create_repo("acme/app", files={"README.md": "hi"})
    exporter = InMemorySpanExporter()
    tracing = setup_tracing("", exporter)

    async def calls() -> None:
        async with ghsim_inprocess.github_app(tracing=tracing) as app:
            with tracing.job("d-9"):
                await app.installation(inst.id).get_repo("acme", "app")

    asyncio.run(calls())
    spans = {s.name: s for s in exporter.get_finished_spans()}
    job = spans["job"]
    repo = spans["GitHub GET /repos/{owner}/{repo}"]
    token = spans["GitHub POST /app/installations/{installation_id}/access_tokens"]
    assert repo.parent.span_id == job.context.span_id and token.parent.span_id == job.context.span_id  # type: ignore[union-attr]
    assert repo.attributes == {
        "http.request.method": "GET",
        "url.template": "/repos/{owner}/{repo}",
        "http.response.status_code": 200,
    }
    assert token.attributes["http.response.status_code"] == 201
