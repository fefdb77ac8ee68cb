"""Fault injection: make matching requests fail the way GitHub fails (5xx, rate limits, slowness, drops)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Literal

Kind = Literal["5xx", "secondary", "primary", "429", "slow", "drop"]
KINDS: tuple[Kind, ...] = ("5xx", "secondary", "primary", "429", "slow", "drop")


@dataclass
class Fault:
    """`count` requests matching `route` (a regex searched in the path, prefix removed) get `kind`.

    5xx: `status` 502 (or 503...). secondary: 403 + retry-after + "You have exceeded a secondary rate limit".
    primary: 403 with x-ratelimit-remaining 0 and a reset `reset_in` seconds ahead. 429: 429 + retry-after.
    slow: `delay` seconds before the normal answer. drop: the connection closes without any response.
    """

    route: str
    kind: Kind
    count: int | None = 1  # None: until cleared
    method: str | None = None
    status: int = 502
    retry_after: int | None = 1  # None: no retry-after header (GitHub then expects >= 1 minute)
    reset_in: int = 60
    delay: float = 1.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and re.search(self.route, path) is not None


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        route: str,
        kind: Kind,
        count: int | None = 1,
        *,
        method: str | None = None,
        status: int = 502,
        retry_after: int | None = 1,
        reset_in: int = 60,
        delay: float = 1.0,
    ) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {KINDS}")
        fault = Fault(route, kind, count, method, status, retry_after, reset_in, delay)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first live fault matching this request, its count used up by one."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path) and (fault.count is None or fault.hits < fault.count):
                    fault.hits += 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
