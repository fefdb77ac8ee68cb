"""Reading a webhook body within bounds, so that unauthenticated uploads cannot exhaust the web process.

Anyone can send a body; only a signature over all of it says whether it came from GitHub. So while it is
read: the HMAC is computed as the bytes arrive (nothing is kept to verify it later), at most `memory_bytes`
of each body stay in memory and the rest is spooled to a temporary file, the spooled bytes of all bodies
together stay under `spool_bytes`, at most `max_readers` bodies are read at once, and each must arrive
within `timeout_s` (GitHub gives up on a delivery after 10 s anyway). Over a bound the request is refused
(503 with `Retry-After`, 408, 413) and what was read is dropped at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import tempfile
import threading
from dataclasses import dataclass
from typing import IO

from starlette.types import Receive

from ghapp.core.errors import GhappError

RETRY_AFTER_S = 10


@dataclass(frozen=True)
class BodyLimits:
    memory_bytes: int = 256 * 1024  # per body: beyond this it is spooled to disk
    spool_bytes: int = 256 * 1024 * 1024  # all bodies being read together, on disk
    max_readers: int = 64  # bodies read at once
    timeout_s: float = 10.0  # to receive a whole body


class BodyRefused(GhappError):
    """The body was not read: `status` (408, 413, 503) and a message for the response."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Body:
    """A body read in full: its size, HMAC-SHA256 under the secret (if any), SHA-256 of the prefix and the body
    (only when asked for) and the spooled bytes."""

    size: int
    hmac_hex: str | None
    sha256_hex: str | None
    _file: IO[bytes]

    def read(self) -> bytes:
        self._file.seek(0)
        return self._file.read()

    def close(self) -> None:
        self._file.close()


class BodyReader:
    """One per web process: the shared counters behind the bounds."""

    def __init__(self, limits: BodyLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self.readers = 0
        self.spooled = 0

    def _enter(self) -> bool:
        with self._lock:
            if self.readers >= self.limits.max_readers:
                return False
            self.readers += 1
            return True

    def _spool(self, size: int) -> bool:
        with self._lock:
            if self.spooled + size > self.limits.spool_bytes:
                return False
            self.spooled += size
            return True

    def _leave(self, spooled: int) -> None:
        with self._lock:
            self.readers -= 1
            self.spooled -= spooled

    async def read(
        self, receive: Receive, secret: str | None, max_bytes: int, sha256_prefix: bytes | None = None
    ) -> Body:
        """The whole body, or `BodyRefused`. With `sha256_prefix` (the event name, for replays) the SHA-256 of
        it and the body is computed too: every hash of 28 KB costs as much as the rest of the read."""
        if not self._enter():
            raise BodyRefused(503, "too many deliveries being received at once; retry later")
        limits = self.limits
        mac = hmac.new(secret.encode(), digestmod=hashlib.sha256) if secret else None
        digest = hashlib.sha256(sha256_prefix) if sha256_prefix is not None else None
        spool = tempfile.SpooledTemporaryFile(max_size=limits.memory_bytes)  # noqa: SIM115 - handed to Body
        size = spooled = 0
        try:
            async with asyncio.timeout(limits.timeout_s):
                more = True
                while more:
                    message = await receive()
                    if message["type"] != "http.request":  # http.disconnect: the sender went away
                        raise BodyRefused(400, "the connection closed before the whole body arrived")
                    chunk: bytes = message.get("body", b"")
                    more = message.get("more_body", False)
                    size += len(chunk)
                    if size > max_bytes:
                        raise BodyRefused(413, f"body over {max_bytes} bytes")
                    over = max(0, size - limits.memory_bytes) - spooled
                    if over and not self._spool(over):
                        raise BodyRefused(503, "too many large deliveries being received at once; retry later")
                    spooled += over
                    if mac is not None:
                        mac.update(chunk)
                    if digest is not None:
                        digest.update(chunk)
                    spool.write(chunk)
        except TimeoutError:
            spool.close()
            raise BodyRefused(408, f"body not received within {limits.timeout_s:g} s") from None
        except BaseException:
            spool.close()
            raise
        finally:
            self._leave(spooled)
        return Body(
            size,
            mac.hexdigest() if mac is not None else None,
            digest.hexdigest() if digest is not None else None,
            spool,
        )
