"""The retry policy's decisions, table-driven: what is a rate limit, what is retried, backoff bounds, the breaker."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from githubkit import Response
from githubkit.exception import RequestError, RequestFailed

from ghapp.github.errors import Forbidden, GitHubError, GitHubUnavailable, NotFound, RateLimited, ValidationFailed
from ghapp.github.retry import PROBE_WAIT_S, CircuitBreaker, RetryPolicy, classify, rate_limit_wait

NOW = 1_700_000_000.0


def answer(status: int, headers: dict[str, str] | None = None, body: Any = None, method: str = "GET") -> httpx.Response:
    request = httpx.Request(method, "https://api.github.com/repos/o/r/pulls/1")
    return httpx.Response(
        status, headers=headers or {}, json=body if body is not None else {"message": "x"}, request=request
    )


def failed(status: int, headers: dict[str, str] | None = None, body: Any = None) -> RequestFailed:
    return RequestFailed(Response(answer(status, headers, body), Any))


@pytest.mark.parametrize(
    ("status", "headers", "body", "wait"),
    [
        (403, {"retry-after": "30"}, None, 30.0),
        (429, {"retry-after": "5"}, None, 5.0),
        (403, {"retry-after": "soon"}, None, 60.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 900)}, None, 900.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) - 5)}, None, 1.0),  # clock skew
        (403, {"x-ratelimit-remaining": "0"}, None, 60.0),
        (403, {}, {"message": "You have exceeded a secondary rate limit."}, 60.0),
        (429, {}, None, 60.0),
        (403, {"x-ratelimit-remaining": "12"}, {"message": "Resource not accessible by integration"}, None),
        (404, {"retry-after": "30"}, None, None),
    ],
)
def test_rate_limit_wait(status: int, headers: dict[str, str], body: Any, wait: float | None) -> None:
    assert rate_limit_wait(answer(status, headers, body), NOW, 60.0) == wait


@pytest.mark.parametrize(
    ("status", "headers", "action", "error", "breaker"),
    [
        (502, {}, "retry", GitHubUnavailable, True),
        (503, {}, "retry", GitHubUnavailable, True),
        (403, {"retry-after": "3"}, "wait", RateLimited, False),
        (401, {}, "reauth", GitHubError, False),
        (404, {}, "fail", NotFound, False),
        (403, {}, "fail", Forbidden, False),
        (422, {}, "fail", ValidationFailed, False),
        (409, {}, "fail", GitHubError, False),
    ],
)
def test_classify_answers(
    status: int, headers: dict[str, str], action: str, error: type[GitHubError], breaker: bool
) -> None:
    verdict = classify(failed(status, headers), "GET", NOW)
    assert (verdict.action, type(verdict.error), verdict.breaker_failure) == (action, error, breaker)
    assert verdict.error.status == status


@pytest.mark.parametrize(
    ("origin", "method", "action", "breaker"),
    [
        (httpx.ConnectError("refused"), "POST", "retry", True),  # never reached GitHub: safe to repeat
        (httpx.ConnectTimeout("slow"), "PATCH", "retry", True),
        (httpx.RemoteProtocolError("closed"), "GET", "retry", True),
        (httpx.ReadTimeout("slow"), "DELETE", "retry", True),
        (httpx.RemoteProtocolError("closed"), "POST", "fail", True),  # may have been created
        (httpx.ReadTimeout("slow"), "PATCH", "fail", True),  # annotations would be appended twice
        (ValueError("odd"), "GET", "fail", False),
    ],
)
def test_classify_transport_errors(origin: Exception, method: str, action: str, breaker: bool) -> None:
    verdict = classify(RequestError(origin), method, NOW)
    assert (verdict.action, verdict.breaker_failure) == (action, breaker)


def test_errors_from_inside_the_auth_flow_are_unwrapped() -> None:
    verdict = classify(RequestError(failed(503)), "GET", NOW)
    assert verdict.action == "retry" and verdict.error.status == 503


def test_a_policy_default_wait_applies() -> None:
    verdict = classify(failed(429), "GET", NOW, RetryPolicy(secondary_default_wait_s=90))
    assert verdict.wait_s == 90


@pytest.mark.parametrize("retry", range(6))
def test_backoff_is_jittered_within_half_to_full_capped_ceiling(retry: int) -> None:
    policy = RetryPolicy()
    ceiling = min(policy.max_delay_s, policy.base_delay_s * 2**retry)
    waits = {policy.backoff_s(retry, random.Random(seed)) for seed in range(20)}
    assert all(ceiling / 2 <= w <= ceiling for w in waits) and len(waits) > 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_threshold_and_lets_one_probe_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cooldown_s=10, clock=clock)
    for _ in range(2):
        breaker.failure()
    breaker.before_call("h")
    assert breaker.state == "closed"
    breaker.failure()
    assert breaker.state == "open"
    with pytest.raises(GitHubUnavailable) as fast:
        breaker.before_call("h")
    assert fast.value.retry_after_s == 10
    clock.now = 10
    assert breaker.state == "half-open"
    breaker.before_call("h")  # the probe
    with pytest.raises(GitHubUnavailable):
        breaker.before_call("h")  # everyone else waits for the probe's result
    breaker.failure()  # the probe failed: open again for a full cool-down
    clock.now = 15
    assert breaker.state == "open"
    clock.now = 20
    breaker.before_call("h")
    breaker.success()
    assert breaker.state == "closed"
    breaker.before_call("h")


def test_retry_in_says_how_long_until_a_call_could_reach_github() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown_s=10, clock=clock)
    assert breaker.retry_in() == 0  # closed
    breaker.failure()
    clock.now = 4
    assert breaker.retry_in() == 6  # open: the rest of the cool-down
    clock.now = 10
    assert breaker.retry_in() == 0  # half-open: the next caller is the probe
    breaker.before_call("h")
    assert breaker.retry_in() == PROBE_WAIT_S  # the probe is out: look again shortly
    breaker.abandon()
    assert breaker.retry_in() == 0
    breaker.before_call("h")
    breaker.success()
    assert breaker.retry_in() == 0


def test_a_success_resets_the_failure_count_and_an_abandoned_probe_frees_the_slot() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown_s=1, clock=clock)
    breaker.failure()
    breaker.success()
    breaker.failure()
    assert breaker.state == "closed"
    breaker.failure()
    clock.now = 1
    breaker.before_call("h")
    breaker.abandon()  # the probe was refused before sending
    breaker.before_call("h")  # so another call may probe
