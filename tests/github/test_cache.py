"""The shared cache: this process's memory (expiry, LRU bound, JSON copies) and the real Redis (expiry, sealing,
prefixes, an unreachable server is a miss)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from ghapp.github.cache import MemoryCache, RedisCache, cache_from_settings, sealing_key
from ghapp.settings import Settings
from tests.conftest import REDIS_URL


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_values_expire_after_their_ttl() -> None:
    clock = Clock()
    cache = MemoryCache(clock=clock)
    cache.set("a", {"token": "x", "n": [1, 2]}, ttl_s=10)
    cache.set("b", True, ttl_s=20)
    clock.now += 9.9
    assert cache.get("a") == {"token": "x", "n": [1, 2]}
    clock.now += 0.1
    assert cache.get("a") is None
    assert cache.get("b") is True
    assert len(cache) == 1  # the expired entry was dropped on read


def test_memory_cache_keeps_the_most_recently_used_entries() -> None:
    cache = MemoryCache(max_entries=2)
    cache.set("a", 1, 60)
    cache.set("b", 2, 60)
    assert cache.get("a") == 1  # a is now the most recent
    cache.set("c", 3, 60)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_memory_values_are_copies_and_must_be_json() -> None:
    cache = MemoryCache()
    value = {"logins": ["alice"]}
    cache.set("k", value, 60)
    value["logins"].append("mallory")
    got = cache.get("k")
    got["logins"].append("eve")
    assert cache.get("k") == {"logins": ["alice"]}
    with pytest.raises(TypeError):
        cache.set("bad", object(), 60)


def test_memory_delete_a_zero_ttl_and_close() -> None:
    cache = MemoryCache()
    cache.set("a", 1, 60)
    cache.set("a", 2, 0)  # a TTL that already ended stores nothing and drops the old value
    assert cache.get("a") is None
    cache.set("b", 1, 60)
    cache.delete("b")
    cache.delete("never-there")
    assert cache.get("b") is None
    cache.set("c", 1, 60)
    cache.close()
    assert len(cache) == 0


def test_without_redis_the_cache_is_this_process_memory(make_settings: Callable[..., Settings]) -> None:
    assert isinstance(cache_from_settings(make_settings()), MemoryCache)


@pytest.fixture
def redis_cache(make_settings: Callable[..., Settings]) -> Iterator[RedisCache]:
    """A RedisCache under a prefix of its own (deleted afterwards), sealed like the App's."""
    settings = make_settings(redis_url=REDIS_URL, queue_name=f"ghapp-test-{uuid.uuid4().hex[:10]}")
    cache = cache_from_settings(settings)
    assert isinstance(cache, RedisCache) and cache.prefix == f"{settings.queue_name}:cache:"
    yield cache
    cache.clear()
    cache.close()


@pytest.mark.redis
def test_redis_stores_sealed_json_that_expires(redis_cache: RedisCache) -> None:
    redis_cache.set("token:7", {"token": "ghs_secret", "expires_at": "2026-01-01T00:00:00Z"}, ttl_s=0.3)
    raw = redis_cache.client.get(redis_cache.prefix + "token:7")
    assert raw is not None and b"ghs_secret" not in raw  # encrypted at rest
    assert 0 < redis_cache.client.pttl(redis_cache.prefix + "token:7") <= 300
    assert redis_cache.get("token:7") == {"token": "ghs_secret", "expires_at": "2026-01-01T00:00:00Z"}
    time.sleep(0.4)
    assert redis_cache.get("token:7") is None


@pytest.mark.redis
def test_redis_refuses_values_it_did_not_seal(redis_cache: RedisCache) -> None:
    key = redis_cache.prefix + "member:1:acme/billing:mallory"
    redis_cache.client.set(key, b"true", ex=60)  # planted by someone who can write to Redis
    assert redis_cache.get("member:1:acme/billing:mallory") is None
    other_app = RedisCache(redis_cache.client, redis_cache.prefix, sealing_key("another App's private key"))
    other_app.set("member:1:acme/billing:mallory", True, 60)
    assert redis_cache.get("member:1:acme/billing:mallory") is None
    assert other_app.get("member:1:acme/billing:mallory") is True


@pytest.mark.redis
def test_redis_delete_zero_ttl_and_clear_stay_under_the_prefix(redis_cache: RedisCache) -> None:
    neighbour = RedisCache(redis_cache.client, redis_cache.prefix.replace(":cache:", "-other:cache:"))
    try:
        neighbour.set("a", 1, 60)
        redis_cache.set("a", 2, 60)
        redis_cache.set("b", 3, 60)
        redis_cache.delete("b")
        assert (redis_cache.get("a"), redis_cache.get("b"), neighbour.get("a")) == (2, None, 1)
        redis_cache.set("a", 4, 0)
        assert redis_cache.get("a") is None
        redis_cache.set("c*[x]", 5, 60)  # glob characters in a key
        assert redis_cache.clear() == 1
        assert neighbour.get("a") == 1
    finally:
        neighbour.clear()


def test_an_unreachable_redis_is_a_miss_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    cache = RedisCache.from_url("redis://127.0.0.1:1/0", "x:", "secret")
    with caplog.at_level(logging.INFO, logger="ghapp.github.cache"):
        cache.set("a", 1, 60)
        assert cache.get("a") is None
        cache.delete("a")
    assert [r.getMessage() for r in caplog.records] == [
        "the shared cache in Redis does not answer (ConnectionError); asking GitHub instead"
    ]
    cache.close()


@pytest.mark.redis
def test_redis_coming_back_is_logged(redis_cache: RedisCache, caplog: pytest.LogCaptureFixture) -> None:
    redis_cache._failing = True  # as after a failed call
    with caplog.at_level(logging.INFO, logger="ghapp.github.cache"):
        redis_cache.set("a", 1, 60)
        redis_cache.set("a", 1, 60)
    assert [r.getMessage() for r in caplog.records] == ["the shared cache in Redis answers again"]
