"""Replays of a captured signed body under a new delivery id: the signature covers only the body, so whoever
saw one delivery (a proxy log, a mirror of the traffic) could send it again with any `X-GitHub-Delivery` and
it would pass. A body (with its event name) seen within the window under ANOTHER delivery id is a duplicate.

GitHub's own redeliveries keep their delivery id, so they pass here and the inbox's unique id handles them.
The window is kept in Redis when the App has one (every web process sees every body), in this process's
memory otherwise. A Redis that does not answer lets the delivery through (logged): refusing would lose
GitHub's deliveries, and the delivery id still de-duplicates.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import redis

from ghapp.settings import Settings

log = logging.getLogger(__name__)
REDIS_TIMEOUT_S = 0.5


def body_digest(event: str, body: bytes) -> str:
    """The key of an unsigned body (development only): SHA-256 of the event name, a NUL and the body."""
    return hashlib.sha256(event.encode() + b"\0" + body).hexdigest()


def signed_body_digest(event: str, hmac_hex: str) -> str:
    """The key of a signed body: its HMAC-SHA256, already computed to check the signature, names the body
    as surely as a SHA-256 of it would (equal bodies under one secret, equal HMACs; otherwise a collision)."""
    return f"{event}:{hmac_hex}"


class ReplayWindow:
    """`admit(digest, delivery_id)`: False when another delivery id carried the same body within `window_s`."""

    def __init__(
        self,
        window_s: float,
        *,
        redis_client: Any = None,
        prefix: str = "ghapp",
        max_entries: int = 200_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self._redis = redis_client
        self._prefix = f"{prefix}:replay:"
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> ReplayWindow:
        client = None
        if settings.redis_url:
            client = redis.Redis.from_url(
                settings.redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
            )
        return cls(settings.replay_window_s, redis_client=client, prefix=settings.queue_name)

    def admit(self, digest: str, delivery_id: str) -> bool:
        if self.window_s <= 0:
            return True
        if self._redis is not None:
            return self._admit_redis(digest, delivery_id)
        now = self._clock()
        with self._lock:
            held = self._seen.get(digest)
            if held is not None and held[0] > now:
                return held[1] == delivery_id
            self._seen[digest] = (now + self.window_s, delivery_id)
            self._seen.move_to_end(digest)
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
        return True

    def forget(self, digest: str, delivery_id: str) -> None:
        """The delivery was not recorded after all: GitHub's redelivery of it must not be a duplicate."""
        if self._redis is not None:
            try:
                if self._redis.get(self._prefix + digest) == delivery_id.encode():
                    self._redis.delete(self._prefix + digest)
            except redis.RedisError:
                log.warning("replay window unavailable (Redis); not forgotten", exc_info=True)
            return
        with self._lock:
            held = self._seen.get(digest)
            if held is not None and held[1] == delivery_id:
                del self._seen[digest]

    def _admit_redis(self, digest: str, delivery_id: str) -> bool:
        key = self._prefix + digest
        try:
            if self._redis.set(key, delivery_id, nx=True, ex=max(1, round(self.window_s))):
                return True
            held = self._redis.get(key)
        except redis.RedisError:
            log.warning("replay window unavailable (Redis): delivery let through on its id alone", exc_info=True)
            return True
        return held is None or held == delivery_id.encode()

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
