"""The web tier's one database writer: a thread that commits incoming deliveries in batches, then enqueues them.

Many request threads writing SQLite at once fight over its single write lock and wreck the tail latency
(research/toolchain-facts.md: p99 725 ms through the default thread pool). Here each request hands its
delivery to this thread and awaits a future; the thread takes everything waiting, inserts it in ONE
transaction, resolves the futures, then enqueues the new ids: a 202 always means "committed", and an id
the queue never got is enqueued again by the sweeper. The same path serves PostgreSQL, where batching saves
round trips.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ghapp.store.database import StoreError
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox
from ghapp.store.recording import NewDelivery, Recorded

log = logging.getLogger(__name__)
MAX_BATCH = 256
TIMEOUT_S = 8.0  # GitHub gives up on a delivery after 10 s: say 503 before that rather than nothing at all


class RecordError(StoreError):
    """The delivery could not be committed; the web tier answers 503 (GitHub shows it as failed)."""


@dataclass(frozen=True)
class _Item:
    delivery: NewDelivery
    future: asyncio.Future[Recorded]
    loop: asyncio.AbstractEventLoop


def _expire(future: asyncio.Future[Recorded], delivery_id: str, timeout_s: float) -> None:
    if not future.done():
        future.set_exception(RecordError(f"delivery {delivery_id} not committed within {timeout_s:g} s"))


def _resolve(outcomes: list[tuple[asyncio.Future[Recorded], Recorded | BaseException]]) -> None:
    for future, result in outcomes:
        if future.done():  # the request was cancelled (client went away); the row is committed anyway
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


class Recorder:
    def __init__(
        self,
        inbox: Inbox,
        enqueue: Callable[[str], None],
        on_enqueued: Callable[[], None] | None = None,
        max_batch: int = MAX_BATCH,
        timeout_s: float = TIMEOUT_S,
        *,
        enqueue_many: Callable[[Sequence[str]], None] | None = None,
        replay_window_s: float = 0.0,
    ) -> None:
        self.inbox = inbox
        self.replay_window_s = replay_window_s  # `Inbox.record_many`'s window; the settings may change it
        self.enqueue = enqueue
        self.enqueue_many = enqueue_many  # one queue write per batch when the transport offers it
        self.on_enqueued = on_enqueued
        self.max_batch = max_batch
        self.timeout_s = timeout_s
        self._queue: queue.SimpleQueue[list[_Item] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Deliveries of one event loop's turn, handed over together at its end: one wake-up of this thread
        # for all the requests a turn finished reading, not one each.
        self._outbox: dict[asyncio.AbstractEventLoop, list[_Item]] = {}

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ghapp-recorder", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what was handed over, then end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    async def record(self, delivery: NewDelivery) -> Recorded:
        """Commit `delivery`: NEW, or not inserted as a DUPLICATE id or a REPLAY (`Inbox.record_many`); only
        NEW pending deliveries are enqueued. Raises RecordError, also when the database does not answer within
        `timeout_s` (the row may still be committed: GitHub's redelivery of it is then a duplicate)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Recorded] = loop.create_future()
        waiting = self._outbox.get(loop)
        if waiting is None:
            waiting = self._outbox[loop] = []
            loop.call_soon(self._hand_over, loop)
        waiting.append(_Item(delivery, future, loop))
        # A timer on the future itself: asyncio.wait_for's wrapping costs more than the rest of this method.
        timer = loop.call_later(self.timeout_s, _expire, future, delivery.delivery_id, self.timeout_s)
        try:
            return await future
        finally:
            timer.cancel()

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        self.start()
        self._queue.put(self._outbox.pop(loop))

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = first
            while len(batch) < self.max_batch:
                try:
                    items = self._queue.get_nowait()
                except queue.Empty:
                    break
                if items is None:
                    stopping = True
                    break
                batch.extend(items)
            for start in range(0, len(batch), self.max_batch):
                self._write(batch[start : start + self.max_batch])

    def _write(self, batch: list[_Item]) -> None:
        results: list[Recorded | BaseException]
        try:
            results = list(self.inbox.record_many([item.delivery for item in batch], self.replay_window_s))
        except Exception:
            log.exception("recording a batch of %d deliveries failed; recording them one by one", len(batch))
            results = [self._write_one(item.delivery) for item in batch]
        # Answered first, enqueued after: the answer needs only the commit, and each client waiting for the
        # queue's round trip too would come back that much later with its next delivery (bench/ack_profile.py).
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Recorded], Recorded | BaseException]]] = {}
        for item, result in zip(batch, results, strict=True):
            by_loop.setdefault(item.loop, []).append((item.future, result))
        for loop, outcomes in by_loop.items():  # one wake-up of each waiting event loop per batch
            with contextlib.suppress(RuntimeError):  # that event loop has closed: nobody is waiting any more
                loop.call_soon_threadsafe(_resolve, outcomes)
        fresh = [
            item.delivery.delivery_id
            for item, result in zip(batch, results, strict=True)
            if result is Recorded.NEW and item.delivery.state == DeliveryState.PENDING
        ]
        enqueued = self._enqueue(fresh)
        if enqueued and self.on_enqueued is not None:
            self.on_enqueued()

    def _enqueue(self, delivery_ids: list[str]) -> int:
        """Hand the committed ids to the queue; returns how many went. A failure loses nothing: the rows are
        committed and the sweeper enqueues them again later."""
        if self.enqueue_many is not None and delivery_ids:
            try:
                self.enqueue_many(delivery_ids)
                return len(delivery_ids)
            except Exception:
                log.exception("enqueueing a batch of %d deliveries failed", len(delivery_ids))
                return 0
        enqueued = 0
        for delivery_id in delivery_ids:
            try:
                self.enqueue(delivery_id)
                enqueued += 1
            except Exception:
                log.exception("enqueue failed", extra={"delivery_id": delivery_id})
        return enqueued

    def _write_one(self, delivery: NewDelivery) -> Recorded | BaseException:
        try:
            return self.inbox.record(delivery, self.replay_window_s)
        except Exception as exc:
            log.exception("recording a delivery failed", extra={"delivery_id": delivery.delivery_id})
            return RecordError(f"could not record delivery {delivery.delivery_id}: {type(exc).__name__}")
