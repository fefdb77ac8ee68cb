"""`GitHubApp`: the one place that builds githubkit clients and sends GitHub API calls under our retry policy."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from githubkit import AppAuthStrategy, GitHub, Response, TokenAuthStrategy
from githubkit.cache import MemCacheStrategy
from githubkit.config import Config, get_config
from githubkit.exception import RequestError
from pydantic import ValidationError

from ghapp.github.api import InstallationAPI
from ghapp.github.auth import InstallationToken, TokenCache, parse_token_reply
from ghapp.github.counter import CallCounter
from ghapp.github.errors import GitHubError, RateLimited, ValidationFailed
from ghapp.github.etag import ETagCache
from ghapp.github.retry import CircuitBreaker, RetryPlan, RetryPolicy, classify
from ghapp.github.transport import CURRENT_ATTEMPT, Attempt, CountingTransport

if TYPE_CHECKING:
    from ghapp.github.cache import Cache
    from ghapp.observability.tracing import Tracing
    from ghapp.settings import Settings

AnyGitHub = GitHub[Any]
# A githubkit call, given the client and extra request headers (e.g. If-None-Match).
Call = Callable[[AnyGitHub, dict[str, str]], Awaitable[Response[Any]]]


@dataclass
class _LoopResources:
    transport: CountingTransport
    config: Config
    owns_pool: bool


@dataclass
class _Tally:
    """Attempts and waits so far within one call."""

    attempts: int = 0
    backoff: float = 0.0
    rate_waits: float = 0.0
    reauthed: bool = False


class GitHubApp:
    """GitHub as seen by the App: JWT-authenticated app calls and installation-token calls.

    One instance per process (or per worker thread); it keeps one connection pool per event loop.
    `transport` replaces the network (tests pass `httpx.ASGITransport(simulator)`); `counter` sees every call;
    `tracing` adds a span per request; `cache` (from `ghapp.github.cache.cache_from_settings`) holds installation
    tokens, ETag-revalidated responses and team memberships for every process sharing it (without it, tokens
    and ETags stay in this instance and memberships are asked each time).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        token_cache: TokenCache | None = None,
        cache: Cache | None = None,
        counter: CallCounter | None = None,
        tracing: Tracing | None = None,
        policy: RetryPolicy | None = None,
        timeout_s: float = 15.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not settings.app_id or not settings.private_key:
            raise GitHubError("GitHub App credentials are not configured (GHAPP_APP_ID, GHAPP_PRIVATE_KEY)")
        self._auth = AppAuthStrategy(settings.app_id, settings.private_key)
        self.app_id = str(settings.app_id)  # the App's own id: its check runs are the ones it may adopt
        self._base = get_config(base_url=settings.github_api_url).base_url
        self._transport = transport
        self.cache = cache
        self.tokens = token_cache or TokenCache(shared=cache)
        self.counter = counter
        self.tracing = tracing
        self.policy = policy or RetryPolicy()
        self._timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
        self._jwt_cache = MemCacheStrategy()  # isolated: githubkit's default cache is process-global
        self.etags = ETagCache(shared=cache)
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopResources] = weakref.WeakKeyDictionary()

    @property
    def api_url(self) -> str:
        return str(self._base)

    @property
    def api_base(self) -> httpx.URL:
        return self._base

    def breaker(self, host: str | None = None) -> CircuitBreaker:
        host = host or self._base.host
        with self._lock:
            if host not in self._breakers:
                self._breakers[host] = CircuitBreaker(self.policy.breaker_threshold, self.policy.breaker_cooldown_s)
            return self._breakers[host]

    def _resources(self) -> _LoopResources:
        loop = asyncio.get_running_loop()
        with self._lock:  # worker threads each run their own loop
            return self._loops.get(loop) or self._new_resources(loop)

    def _new_resources(self, loop: asyncio.AbstractEventLoop) -> _LoopResources:
        owns = self._transport is None
        inner = self._transport or httpx.AsyncHTTPTransport(retries=0, limits=httpx.Limits(keepalive_expiry=4.0))
        counting = CountingTransport(inner, self._base, self.counter, self.tracing)
        config = get_config(
            base_url=self._base,
            timeout=self._timeout,
            async_transport=counting,
            cache_strategy=self._jwt_cache,
            http_cache=False,
            auto_retry=False,
            user_agent="prompt-to-pr",
        )
        res = self._loops[loop] = _LoopResources(counting, config, owns)
        return res

    def app_client(self) -> GitHub[AppAuthStrategy]:
        """A githubkit client authenticated as the App (`Authorization: Bearer <JWT>`); call inside the loop."""
        return GitHub(self._auth, config=self._resources().config)

    async def installation_client(self, installation_id: int) -> GitHub[TokenAuthStrategy]:
        """A githubkit client with the installation's token (fetched once, reused until shortly before expiry)."""
        token = await self.tokens.get(installation_id, self._fetch_token)
        return GitHub(TokenAuthStrategy(token), config=self._resources().config)

    async def installation_permissions(self, installation_id: int) -> Mapping[str, str] | None:
        """What the installation granted (`{"security_events": "write", ...}`), as its token reply says."""
        return await self.tokens.permissions(installation_id, self._fetch_token)

    def installation(self, installation_id: int) -> InstallationAPI:
        return InstallationAPI(self, installation_id)

    async def _fetch_token(self, installation_id: int) -> InstallationToken:
        async def app() -> AnyGitHub:
            return self.app_client()

        reply = await self.send(
            "POST",
            "POST /app/installations/{installation_id}/access_tokens",
            app,
            lambda gh, _: gh.arequest("POST", f"/app/installations/{installation_id}/access_tokens"),
        )
        return parse_token_reply(reply.json())

    async def app_request(
        self, method: str, route: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> httpx.Response:
        """A raw call authenticated as the App (the `/app/...` and `/repos/{o}/{r}/installation` routes)."""

        async def app() -> AnyGitHub:
            return self.app_client()

        return await self.send(
            method,
            f"{method} {route}",
            app,
            lambda gh, headers: gh.arequest(method, path, params=params, json=json, headers=headers),
        )

    async def send(
        self,
        method: str,
        route: str,
        client: Callable[[], Awaitable[AnyGitHub]],
        call: Call,
        *,
        reauth: Callable[[], None] | None = None,
        etag_key: str | None = None,
        safe: bool = False,
    ) -> httpx.Response:
        """Run `call` with retries, rate-limit waits and the circuit breaker; return the raw httpx response.

        With `etag_key`, a cached response is revalidated with `If-None-Match` and reused on 304. `safe`: the call
        changes nothing whatever its method (a GraphQL query), so a connection lost mid-answer is retried.
        """
        breaker = self.breaker()
        cached = self.etags.get(etag_key) if etag_key else None
        tally = _Tally()
        while True:
            gh = await client()
            breaker.before_call(self._base.host)
            attempt_token = CURRENT_ATTEMPT.set(Attempt(route))
            settled = False  # did GitHub tell us anything about its health?
            response: httpx.Response | None = None
            try:
                headers = {"If-None-Match": cached.etag} if cached is not None else {}
                response = (await call(gh, headers)).raw_response
                settled = True
            except ValidationError as exc:  # githubkit's own body check (e.g. > 50 annotations): never sent
                raise ValidationFailed(f"{route}: request body rejected before sending: {exc}") from None
            except RequestError as exc:
                settled = True
                plan: RetryPlan = classify(exc, "GET" if safe else method, self._clock(), self.policy)
                last: Exception = exc
            finally:
                CURRENT_ATTEMPT.reset(attempt_token)
                if not settled:
                    breaker.abandon()
            if response is not None:
                breaker.success()
                if response.status_code == 304 and cached is not None:
                    return cached.response(response.request)
                if etag_key:
                    self.etags.put(etag_key, response)
                return response
            if plan.breaker_failure:
                breaker.failure()
            else:
                breaker.success()
            await self._after_failure(plan, tally, reauth, last)

    async def _after_failure(
        self, plan: RetryPlan, tally: _Tally, reauth: Callable[[], None] | None, cause: Exception
    ) -> None:
        """Wait before the next attempt, or raise: rate-limit waits beyond the cap become `RateLimited`."""
        tally.attempts += 1
        if plan.action == "reauth" and reauth is not None and not tally.reauthed:
            reauth()  # GitHub refused the token (revoked, expired early): fetch a new one once
            tally.reauthed = True
            return
        if plan.action == "wait":
            tally.rate_waits += plan.wait_s
            if tally.rate_waits > self.policy.rate_limit_wait_cap_s or tally.attempts >= self.policy.attempts:
                raise RateLimited(str(plan.error), retry_after_s=plan.wait_s, status=plan.error.status) from cause
            await self._sleep(plan.wait_s)
            return
        if plan.action == "retry" and tally.attempts < self.policy.attempts:
            delay = self.policy.backoff_s(tally.attempts - 1, self._rng)
            if tally.backoff + delay <= self.policy.total_wait_cap_s:
                tally.backoff += delay
                await self._sleep(delay)
                return
        raise plan.error from cause

    async def aclose(self) -> None:
        """Close the connection pool this event loop uses (call before the loop ends)."""
        with self._lock:
            res = self._loops.pop(asyncio.get_running_loop(), None)
        if res is not None and res.owns_pool:
            await res.transport.close_pool()

    async def __aenter__(self) -> GitHubApp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
