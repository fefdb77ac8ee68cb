"""Feeds every GitHub API call the client counts into the Prometheus metrics (calls by route, rate limit left)."""

from __future__ import annotations

from ghapp.github.counter import CallCounter
from ghapp.observability.metrics import Metrics


class MetricsCounter(CallCounter):
    """A `CallCounter` for `GitHubApp(counter=...)` that also updates `ghapp_github_api_calls_total` and
    `ghapp_github_ratelimit_remaining`. Routes are templates ("GET /repos/{owner}/{repo}"), so the label
    set stays small."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self._metrics = metrics

    def record(self, route: str, status: int, remaining: int | None) -> None:
        super().record(route, status, remaining)
        self._metrics.github_call(route, status, remaining)
