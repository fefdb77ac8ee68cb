"""The ETag cache keeps only 200s with an ETag, bounded, least recently used out first."""

from __future__ import annotations

import httpx

from ghapp.github.etag import ETagCache


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
