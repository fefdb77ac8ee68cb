"""The ETag cache keeps only 200s with an ETag, bounded, least recently used out first."""

from __future__ import annotations

import httpx
import pytest

from ghapp.github.cache import MemoryCache
from ghapp.github.etag import SHARED_MAX_BYTES, ETagCache


def reply(status: int = 200, etag: str | None = '"a"', body: bytes = b"{}") -> httpx.Response:
    headers = {"etag": etag, "content-type": "application/json", "x-ratelimit-remaining": "9"} if etag else {}
    return httpx.Response(status, headers=headers, content=body)


def test_only_200s_with_an_etag_are_kept() -> None:
    cache = ETagCache()
    cache.put("no-etag", reply(etag=None))
    cache.put("not-ok", reply(status=404))
    cache.put("ok", reply(body=b'{"x": 1}'))
    assert cache.get("no-etag") is None and cache.get("not-ok") is None
    hit = cache.get("ok")
    assert hit is not None and hit.etag == '"a"'
    rebuilt = hit.response(httpx.Request("GET", "https://api.github.com/x"))
    assert rebuilt.status_code == 200 and rebuilt.json() == {"x": 1}
    assert "x-ratelimit-remaining" not in rebuilt.headers  # describes the old exchange, not the content


def test_least_recently_used_goes_first() -> None:
    cache = ETagCache(max_entries=2)
    cache.put("a", reply())
    cache.put("b", reply())
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", reply())
    assert cache.get("b") is None and cache.get("a") is not None and len(cache) == 2


def test_with_a_shared_cache_entries_live_there_and_large_bodies_stay_out() -> None:
    shared = MemoryCache()
    one, other = ETagCache(shared=shared), ETagCache(shared=shared)
    one.put("policy", reply(body=b'{"sha": "abc"}'))
    one.put("huge", reply(body=b"x" * (SHARED_MAX_BYTES + 1)))
    hit = other.get("policy")
    assert hit is not None and hit.etag == '"a"' and hit.content == b'{"sha": "abc"}'
    assert dict(hit.headers) == {"content-type": "application/json", "etag": '"a"'}
    assert other.get("huge") is None and len(one) == 0  # nothing kept in the process itself


@pytest.mark.parametrize(
    "entry",
    [
        "text",
        {"etag": '"a"'},
        {"etag": '"a"', "content": "!!", "headers": []},
        {"etag": '"a"', "content": "", "headers": [["only-a-name"]]},
    ],
)
def test_a_malformed_shared_entry_is_a_miss(entry: object) -> None:
    shared = MemoryCache()
    shared.set("etag:k", entry, 60)
    assert ETagCache(shared=shared).get("k") is None
