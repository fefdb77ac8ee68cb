"""A small LRU of GET responses by ETag, so re-reads go out as conditional requests.

GitHub answers `If-None-Match` with 304 when nothing changed, and a 304 does not count against the primary
rate limit: the policy file, team memberships and requested reviewers are re-read on every event.
With the App's shared cache (Redis when scaled out) every process revalidates what any one of them read.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ghapp.github.cache import Cache

# Headers worth keeping with a cached body (the rest describe the original exchange, not the content).
_KEPT = ("content-type", "etag", "last-modified", "link")


@dataclass(frozen=True)
class Cached:
    etag: str
    content: bytes
    headers: tuple[tuple[str, str], ...]

    def response(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=list(self.headers), content=self.content, request=request)


SHARED_TTL_S = 24 * 3600.0  # always revalidated before use: the TTL only bounds the memory it takes
SHARED_MAX_BYTES = 256 * 1024  # larger bodies stay out of the shared cache


class ETagCache:
    """An in-process LRU of `max_entries`, or with `shared` the App's cache (and no LRU of its own)."""

    def __init__(self, max_entries: int = 512, *, shared: Cache | None = None) -> None:
        self._max = max_entries
        self._shared = shared
        self._entries: OrderedDict[str, Cached] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Cached | None:
        if self._shared is not None:
            return _unpack(self._shared.get("etag:" + key))
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
        if self._shared is not None:
            if len(response.content) <= SHARED_MAX_BYTES:
                entry = {
                    "etag": etag,
                    "content": base64.b64encode(response.content).decode(),
                    "headers": [list(pair) for pair in headers],
                }
                self._shared.set("etag:" + key, entry, SHARED_TTL_S)
            return
        with self._lock:
            self._entries[key] = Cached(etag, response.content, headers)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _unpack(entry: object) -> Cached | None:
    """A shared entry back as `Cached`; anything malformed is a miss."""
    if not isinstance(entry, dict):
        return None
    try:
        headers = tuple((str(name), str(value)) for name, value in entry["headers"])
        return Cached(str(entry["etag"]), base64.b64decode(entry["content"], validate=True), headers)
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None
