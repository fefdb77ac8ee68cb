"""The httpx transport under every githubkit client: counts each request sent and keeps one pool per event loop."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

import httpx

from ghapp.github.counter import CallCounter, bound_counters
from ghapp.github.installation import graphql_url

if TYPE_CHECKING:
    from ghapp.observability.tracing import Tracing


class Attempt:
    """One attempt of a call: its route template, and whether its first request already went out (any later
    request of the same attempt follows a redirect, e.g. a tarball to codeload, not charged to the API)."""

    def __init__(self, route: str) -> None:
        self.route = route
        self.sent = False


# The attempt in flight, set by the client around each githubkit request.
CURRENT_ATTEMPT: ContextVar[Attempt | None] = ContextVar("ghapp_github_attempt", default=None)


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps the real transport. githubkit opens and closes an httpx client per call; closing it must not close
    the shared connection pool, so `aclose` here does nothing and the owner calls `close_pool`.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        api_base: httpx.URL,
        counter: CallCounter | None,
        tracing: Tracing | None = None,
    ) -> None:
        self._inner = inner
        self._api_prefix = str(api_base)
        self._graphql = str(graphql_url(api_base))  # outside the REST root on GitHub Enterprise Server
        self._counter = counter
        self._tracing = tracing  # a span per request sent, when tracing is on

    def _route(self, request: httpx.Request) -> str:
        attempt = CURRENT_ATTEMPT.get()
        url = str(request.url)
        if attempt is None or attempt.sent or not (url.startswith(self._api_prefix) or url == self._graphql):
            return f"{request.method} {request.url.host}"  # a redirect, off the API (tarballs go to codeload)
        attempt.sent = True
        return attempt.route

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        route = self._route(request)
        if self._tracing is None:
            response = await self._inner.handle_async_request(request)
        else:
            with self._tracing.github_call(route) as span:
                response = await self._inner.handle_async_request(request)
                span.set_attribute("http.response.status_code", response.status_code)
        raw = response.headers.get("x-ratelimit-remaining")
        remaining = int(raw) if raw is not None and raw.isdigit() else None
        if response.headers.get("x-ratelimit-resource") == "graphql":
            remaining = None  # GraphQL's points are another budget than the REST calls counted here
        for counter in (self._counter, *bound_counters()):
            if counter is not None:
                counter.record(route, response.status_code, remaining)
        return response

    async def aclose(self) -> None:
        return None

    async def close_pool(self) -> None:
        await self._inner.aclose()
