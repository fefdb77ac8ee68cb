"""Whose turn it is to write a SQLite file, across the threads and processes that share it."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriteTurn:
    """Whose turn it is to write a SQLite file, across the threads and processes that share it: a lock file
    beside the database, held with flock for each write transaction.

    SQLite serialises writers itself, but a writer that finds the lock taken sleeps and polls (1, 2, 5, 10 ms
    and longer), so with several web processes committing batches the waits pile up into a tail of 100 ms and
    more. Waiting on flock instead wakes the next writer as soon as the lock is let go. SQLite's own locking
    stays the truth; this only orders the waiting. One turn per file in a process (`of`): a write nested in
    another on the same thread, through a second `Database` of the same file, keeps the turn (and then meets
    SQLite's busy timeout, as it always did) instead of waiting on itself for ever."""

    _turns: dict[Path, WriteTurn] = {}
    _turns_lock = threading.Lock()

    @classmethod
    def of(cls, path: Path) -> WriteTurn:
        """The process's one turn for the lock file `path`."""
        key = path.resolve()
        with cls._turns_lock:
            turn = cls._turns.get(key)
            if turn is None:
                turn = cls._turns[key] = cls(key)
            return turn

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fd = self._fd
            if self._depth == 0:  # a nested write in this thread already holds it (and waits on SQLite, as ever)
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(fd, fcntl.LOCK_UN)
