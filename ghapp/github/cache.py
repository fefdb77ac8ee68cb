"""Caches of GitHub answers that several App processes share: Redis when `GHAPP_REDIS_URL` is set, this
process's memory otherwise. Built once per process by `cache_from_settings` and handed to `GitHubApp`.

Values are JSON. In Redis they are sealed (encrypted and authenticated) with a key derived from the App's
private key: the cache holds installation tokens and team memberships, and whoever can write to Redis must
not be able to plant a membership that counts as an approval, nor read a token. A value that does not
unseal, a Redis that does not answer: both are a miss, never an error, since GitHub still has the answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import redis
from cryptography.fernet import Fernet, InvalidToken

if TYPE_CHECKING:
    from ghapp.settings import Settings

log = logging.getLogger(__name__)
REDIS_TIMEOUT_S = 0.5  # a cache that answers slower than GitHub is no cache


class Cache(Protocol):
    """A key-value store with expiry. `get` returns None for a missing or expired key."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any, ttl_s: float) -> None:
        """Store a JSON value for `ttl_s` seconds; a `ttl_s` of zero or less stores nothing."""

    def delete(self, key: str) -> None: ...

    def close(self) -> None: ...


class MemoryCache:
    """One process's cache: an LRU of at most `max_entries`, each with its own expiry. Values are stored as
    JSON text, so a caller never shares a mutable object with another and non-JSON values fail as in Redis."""

    def __init__(self, max_entries: int = 4096, clock: Callable[[], float] = time.monotonic) -> None:
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return json.loads(entry[1])

    def set(self, key: str, value: Any, ttl_s: float) -> None:
        text = json.dumps(value)
        if ttl_s <= 0:
            self.delete(key)
            return
        with self._lock:
            self._entries[key] = (self._clock() + ttl_s, text)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def close(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def sealing_key(secret: str) -> Fernet:
    """The Fernet key of one App: the same in every process that has its private key, useless without it."""
    digest = hmac.new(secret.encode(), b"prompt-to-pr shared cache v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class RedisCache:
    """The shared cache: every key under `prefix` (the queue name's, so Apps sharing a Redis stay apart)."""

    def __init__(self, client: redis.Redis[bytes], prefix: str, seal: Fernet | None = None) -> None:
        self.client = client
        self.prefix = prefix
        self._seal = seal
        self._failing = False  # log once when Redis stops answering, once when it is back

    @classmethod
    def from_url(cls, url: str, prefix: str, secret: str = "") -> RedisCache:
        client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)
        return cls(client, prefix, sealing_key(secret) if secret else None)

    def _health(self, error: redis.RedisError | None) -> None:
        if error is not None and not self._failing:
            log.warning("the shared cache in Redis does not answer (%s); asking GitHub instead", type(error).__name__)
        elif error is None and self._failing:
            log.info("the shared cache in Redis answers again")
        self._failing = error is not None

    def get(self, key: str) -> Any:
        try:
            raw = self.client.get(self.prefix + key)
        except redis.RedisError as exc:
            self._health(exc)
            return None
        self._health(None)
        if raw is None:
            return None
        try:
            text = self._seal.decrypt(raw) if self._seal is not None else raw
            return json.loads(text)
        except (InvalidToken, ValueError):  # another key's seal, or not ours at all: a miss
            return None

    def set(self, key: str, value: Any, ttl_s: float) -> None:
        text = json.dumps(value).encode()
        if ttl_s <= 0:
            self.delete(key)
            return
        data = self._seal.encrypt(text) if self._seal is not None else text
        try:
            self.client.set(self.prefix + key, data, px=max(1, int(ttl_s * 1000)))
        except redis.RedisError as exc:
            self._health(exc)
        else:
            self._health(None)

    def delete(self, key: str) -> None:
        try:
            self.client.delete(self.prefix + key)
        except redis.RedisError as exc:
            self._health(exc)

    def clear(self) -> int:
        """Delete every key under the prefix; returns how many (for tests and for `flush` by an operator)."""
        keys = list(self.client.scan_iter(match=_glob_escape(self.prefix) + "*", count=500))
        if keys:
            self.client.delete(*keys)
        return len(keys)

    def close(self) -> None:
        self.client.close()


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def cache_from_settings(settings: Settings) -> Cache:
    """Redis under `<queue name>:cache:` when `GHAPP_REDIS_URL` is set, sealed with the App's private key;
    otherwise this process's memory."""
    if settings.redis_url:
        return RedisCache.from_url(settings.redis_url, f"{settings.queue_name}:cache:", settings.private_key)
    return MemoryCache()
