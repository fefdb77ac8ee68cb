"""The httpx transport under every githubkit client: counts each request sent and keeps one pool per event loop."""

from __future__ import annotations

from contextvars import ContextVar

import httpx

from ghapp.github.counter import CallCounter, bound_counters

# The route template of the call in flight, set by the client around each githubkit request.
CURRENT_ROUTE: ContextVar[str] = ContextVar("ghapp_github_route", default="")


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps the real transport. githubkit opens and closes an httpx client per call; closing it must not close
    the shared connection pool, so `aclose` here does nothing and the owner calls `close_pool`.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, api_base: httpx.URL, counter: CallCounter | None) -> None:
        self._inner = inner
        self._api_prefix = str(api_base)
        self._counter = counter

    def _route(self, request: httpx.Request) -> str:
        if not str(request.url).startswith(self._api_prefix):
            # A redirect off the API (tarballs go to codeload): not charged to the API rate limit.
            return f"{request.method} {request.url.host}"
        return CURRENT_ROUTE.get() or f"{request.method} {request.url.path}"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        route = self._route(request)
        raw = response.headers.get("x-ratelimit-remaining")
        remaining = int(raw) if raw is not None and raw.isdigit() else None
        for counter in (self._counter, *bound_counters()):
            if counter is not None:
                counter.record(route, response.status_code, remaining)
        return response

    async def aclose(self) -> None:
        return None

    async def close_pool(self) -> None:
        await self._inner.aclose()
