"""Installation token replies and the token cache: exact expiry format, one fetch for concurrent callers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ghapp.github.auth import InstallationToken, TokenCache, parse_token_reply
from ghapp.github.cache import MemoryCache
from ghapp.github.errors import GitHubError


def test_reply_parsing_takes_githubs_exact_format() -> None:
    token = parse_token_reply({"token": "ghs_" + "a" * 516, "expires_at": "2026-07-11T22:14:10Z"})
    assert token.expires_at == datetime(2026, 7, 11, 22, 14, 10, tzinfo=UTC)
    assert "ghs_" not in repr(token)  # never in a log line


@pytest.mark.parametrize(
    "body",
    [
        {"token": "ghs_x", "expires_at": "2026-07-11T22:14:10.000Z"},
        {"token": "ghs_x", "expires_at": "2026-07-11T22:14:10+00:00"},
        {"token": "ghs_x"},
        {"expires_at": "2026-07-11T22:14:10Z"},
        ["not", "an", "object"],
    ],
)
def test_bad_replies_are_clear_errors(body: object) -> None:
    with pytest.raises(GitHubError):
        parse_token_reply(body)


def test_concurrent_callers_share_one_fetch_and_expiry_margin_applies() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    cache = TokenCache(refresh_margin=timedelta(minutes=5), clock=lambda: now[0])
    fetches: list[int] = []

    async def fetch(installation_id: int) -> InstallationToken:
        fetches.append(installation_id)
        await asyncio.sleep(0.01)
        return InstallationToken(f"ghs_{len(fetches)}", now[0] + timedelta(hours=1))

    async def main() -> list[str]:
        first = await asyncio.gather(*(cache.get(7, fetch) for _ in range(10)))
        now[0] += timedelta(minutes=54)
        still = await cache.get(7, fetch)
        now[0] += timedelta(minutes=2)  # within 5 minutes of expiry: renewed
        renewed = await cache.get(7, fetch)
        cache.invalidate(7)
        again = await cache.get(7, fetch)
        other = await cache.get(8, fetch)
        return [*set(first), still, renewed, again, other]

    assert asyncio.run(main()) == ["ghs_1", "ghs_1", "ghs_2", "ghs_3", "ghs_4"]
    assert fetches == [7, 7, 7, 8]


def test_a_token_in_the_shared_cache_serves_another_process_until_the_margin() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    shared = MemoryCache()
    first = TokenCache(clock=lambda: now[0], shared=shared)
    second = TokenCache(clock=lambda: now[0], shared=shared)
    fetches: list[str] = []

    async def fetch(installation_id: int) -> InstallationToken:
        fetches.append(f"ghs_{len(fetches) + 1}")
        return InstallationToken(fetches[-1], now[0] + timedelta(hours=1))

    async def main() -> list[str]:
        got = [await first.get(7, fetch), await second.get(7, fetch)]
        second.invalidate(7)  # GitHub refused it in the second process: the first must not hand it out again
        third = TokenCache(clock=lambda: now[0], shared=shared)
        got.append(await third.get(7, fetch))
        return got

    assert asyncio.run(main()) == ["ghs_1", "ghs_1", "ghs_2"]
    assert fetches == ["ghs_1", "ghs_2"]


@pytest.mark.parametrize(
    "entry",
    [
        None,
        "ghs_x",
        {"token": "ghs_x"},
        {"token": "ghs_x", "expires_at": "soon"},
        {"token": "ghs_x", "expires_at": "2026-01-01T00:00:00"},  # no zone: not one this cache wrote
        {"token": "ghs_x", "expires_at": "2026-01-01T00:04:00+00:00"},  # inside the refresh margin
    ],
)
def test_shared_entries_that_are_not_a_fresh_token_are_fetched_again(entry: object) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    shared = MemoryCache()
    shared.set("installation-token:7", entry, 60)
    cache = TokenCache(clock=lambda: now, shared=shared)

    async def fetch(installation_id: int) -> InstallationToken:
        return InstallationToken("ghs_new", now + timedelta(hours=1))

    assert asyncio.run(cache.get(7, fetch)) == "ghs_new"
    assert shared.get("installation-token:7") == {"token": "ghs_new", "expires_at": "2026-01-01T01:00:00+00:00"}
