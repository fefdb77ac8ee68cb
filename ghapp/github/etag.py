"""A small LRU of GET responses by ETag, so re-reads go out as conditional requests.

GitHub answers `If-None-Match` with 304 when nothing changed, and a 304 does not count against the primary
rate limit: the policy file, team memberships and requested reviewers are re-read on every event.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import httpx

# Headers worth keeping with a cached body (the rest describe the original exchange, not the content).
_KEPT = ("content-type", "etag", "last-modified", "link")


@dataclass(frozen=True)
class Cached:
    etag: str
    content: bytes
    headers: tuple[tuple[str, str], ...]

    def response(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=list(self.headers), content=self.content, request=request)


class ETagCache:
    def __init__(self, max_entries: int = 512) -> None:
        self._max = max_entries
        self._entries: OrderedDict[str, Cached] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Cached | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, response: httpx.Response) -> None:
        etag = response.headers.get("etag")
        if response.status_code != 200 or not etag:
            return
        headers = tuple((name, response.headers[name]) for name in _KEPT if name in response.headers)
        with self._lock:
            self._entries[key] = Cached(etag, response.content, headers)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
