"""Counts GitHub API calls per delivery (by method and route template) for metrics and the API-calls benchmark."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class CallSnapshot:
    """A copy of a counter's figures at one moment."""

    calls: dict[str, int]
    not_modified: int
    rate_remaining: int | None
    graphql_points: int = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class CallCounter:
    """Thread-safe tally of HTTP requests sent to GitHub: `"GET /repos/{owner}/{repo}/pulls/{pull_number}"` -> n.

    304 answers are counted as calls and also in `not_modified` (GitHub does not charge them to the primary
    rate limit). `rate_remaining` is the last `x-ratelimit-remaining` GitHub sent for REST calls;
    `graphql_points` adds up what GraphQL queries cost (their own hourly budget of points).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._not_modified = 0
        self._remaining: int | None = None
        self._points = 0

    def record(self, route: str, status: int, remaining: int | None) -> None:
        with self._lock:
            self._calls[route] += 1
            if status == 304:
                self._not_modified += 1
            if remaining is not None:
                self._remaining = remaining

    def add_points(self, cost: int) -> None:
        with self._lock:
            self._points += cost

    def snapshot(self) -> CallSnapshot:
        with self._lock:
            return CallSnapshot(dict(self._calls), self._not_modified, self._remaining, self._points)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._calls.values())

    def count(self, route: str) -> int:
        with self._lock:
            return self._calls[route]

    @contextmanager
    def bind(self) -> Iterator[CallCounter]:
        """Count every call made in this context (this task and the tasks it starts) here as well."""
        token = _BOUND.set((*_BOUND.get(), self))
        try:
            yield self
        finally:
            _BOUND.reset(token)


_BOUND: ContextVar[tuple[CallCounter, ...]] = ContextVar("ghapp_github_counters", default=())


def bound_counters() -> tuple[CallCounter, ...]:
    """The counters bound in the current context, innermost last."""
    return _BOUND.get()
