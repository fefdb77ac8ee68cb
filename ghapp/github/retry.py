"""Our retry policy for GitHub calls: which failures are retried, how long to wait, and a per-host circuit breaker.

githubkit runs with `auto_retry=False`; its own policy sleeps 14 s on a 5xx and until the rate-limit reset on a
403, which would stall a worker. Here waits are capped and anything longer becomes a `Reschedulable` error.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from githubkit.exception import RequestError, RequestFailed

from ghapp.github.errors import (
    Forbidden,
    GitHubError,
    GitHubUnavailable,
    NotFound,
    RateLimited,
    ValidationFailed,
)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
PROBE_WAIT_S = 1.0  # half-open, a probe out: how soon others look again


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries per call, the first included
    base_delay_s: float = 0.25
    max_delay_s: float = 2.0
    total_wait_cap_s: float = 4.0  # backoff sleeps of one call, added up
    rate_limit_wait_cap_s: float = 10.0  # a longer rate-limit wait reschedules the job instead
    secondary_default_wait_s: float = 60.0  # GitHub: no retry-after on a secondary limit -> wait at least 1 min
    breaker_threshold: int = 5  # consecutive 5xx/connection failures that open the breaker
    breaker_cooldown_s: float = 30.0

    def backoff_s(self, retry: int, rng: random.Random) -> float:
        """Equal-jitter exponential backoff for the `retry`-th retry (0-based), capped at `max_delay_s`."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0**retry)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


Action = Literal["retry", "wait", "reauth", "fail"]


@dataclass(frozen=True)
class RetryPlan:
    """What to do after a failed attempt."""

    action: Action
    error: GitHubError
    wait_s: float = 0.0
    breaker_failure: bool = False  # counts towards opening the circuit breaker


def classify(exc: RequestError[Any], method: str, now: float, policy: RetryPolicy | None = None) -> RetryPlan:
    """Decide on a githubkit error. `now` is the wall clock (epoch seconds) used for `x-ratelimit-reset`."""
    default_wait = (policy or RetryPolicy()).secondary_default_wait_s
    if isinstance(exc, RequestFailed):
        return _classify_response(exc.response.raw_response, now, default_wait)
    origin = exc.exc
    if isinstance(origin, RequestFailed):  # raised inside an httpx auth flow and wrapped once more
        return _classify_response(origin.response.raw_response, now, default_wait)
    error = GitHubUnavailable(f"GitHub unreachable: {type(origin).__name__}: {origin}", retry_after_s=30.0)
    if isinstance(origin, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return RetryPlan("retry", error, breaker_failure=True)  # the request never reached GitHub
    if isinstance(origin, httpx.TransportError):
        # The request may have been processed: only repeat what is safe to repeat.
        action: Action = "retry" if method in IDEMPOTENT else "fail"
        return RetryPlan(action, error, breaker_failure=True)
    return RetryPlan("fail", GitHubError(f"GitHub request failed: {type(origin).__name__}: {origin}"))


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("message", "")) if isinstance(body, dict) else ""


def rate_limit_wait(response: httpx.Response, now: float, default_s: float) -> float | None:
    """Seconds GitHub asks us to wait, or None when the 403/429 is not a rate limit."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    if "retry-after" in headers:
        try:
            return max(0.0, float(headers["retry-after"]))
        except ValueError:
            return default_s
    if headers.get("x-ratelimit-remaining") == "0":
        try:
            return max(1.0, float(headers.get("x-ratelimit-reset", "")) - now)
        except ValueError:
            return default_s
    if "rate limit" in _message(response).lower() or response.status_code == 429:
        return default_s
    return None


def _classify_response(response: httpx.Response, now: float, default_wait: float) -> RetryPlan:
    status = response.status_code
    message = f"{response.request.method} {response.request.url.path}: {status} {_message(response)}".strip()
    wait = rate_limit_wait(response, now, default_wait)
    if wait is not None:
        return RetryPlan("wait", RateLimited(message, retry_after_s=wait, status=status), wait_s=wait)
    if status >= 500:
        return RetryPlan("retry", GitHubUnavailable(message, retry_after_s=30.0, status=status), breaker_failure=True)
    if status == 401:
        return RetryPlan("reauth", GitHubError(message, status=status))
    errors: dict[int, type[GitHubError]] = {404: NotFound, 403: Forbidden, 422: ValidationFailed}
    return RetryPlan("fail", errors.get(status, GitHubError)(message, status=status))


class CircuitBreaker:
    """Closed -> (N consecutive failures) -> open for a cool-down -> half-open: one probe decides."""

    def __init__(self, threshold: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._threshold = threshold
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> Literal["closed", "open", "half-open"]:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if self._clock() - self._opened_at >= self._cooldown_s else "open"

    def retry_in(self) -> float:
        """Seconds before a call could reach GitHub: 0 when closed, or half-open with no probe out; the rest
        of the cool-down while open; a short look-again while another caller's probe decides."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            remaining = self._opened_at + self._cooldown_s - self._clock()
            if remaining > 0:
                return remaining
            return PROBE_WAIT_S if self._probing else 0.0

    def before_call(self, host: str) -> None:
        """Raise `GitHubUnavailable` while open; let exactly one probe through once the cool-down is over."""
        with self._lock:
            if self._opened_at is None:
                return
            remaining = self._opened_at + self._cooldown_s - self._clock()
            if remaining <= 0 and not self._probing:
                self._probing = True
                return
            wait = max(remaining, 1.0)
            raise GitHubUnavailable(f"circuit open for {host}: GitHub kept failing", retry_after_s=wait)

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def abandon(self) -> None:
        """An attempt ended without news about GitHub's health (refused before sending, cancelled): if it was
        the half-open probe, let the next call probe instead of keeping the breaker open for ever."""
        with self._lock:
            self._probing = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self._threshold:
                self._opened_at = self._clock()
                self._probing = False
