"""The one writer: concurrent deliveries committed in batches, duplicates and replays told apart (only new
deliveries are enqueued), failures isolated."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from ghapp.runtime.recorder import Recorder, RecordError
from ghapp.store.database import Database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox, NewDelivery, Recorded


def new(delivery_id: str, state: str = "pending", digest: str | None = None) -> NewDelivery:
    return NewDelivery(delivery_id, "ping", None, None, None, None, "{}", state, digest)


class CountingInbox(Inbox):
    def __init__(self, db: Database, fail_on: str | None = None) -> None:
        super().__init__(db)
        self.batches: list[int] = []
        self.fail_on = fail_on

    def record_many(self, deliveries: Any, replay_window_s: float = 0.0) -> list[Recorded]:
        self.batches.append(len(deliveries))
        if any(d.delivery_id == self.fail_on for d in deliveries):
            raise RuntimeError("disk full")
        return super().record_many(deliveries, replay_window_s)


def test_concurrent_deliveries_are_batched_and_enqueued_once(db: Database) -> None:
    inbox = CountingInbox(db)
    enqueued: list[str] = []
    wakes: list[int] = []
    recorder = Recorder(inbox, enqueued.append, on_enqueued=lambda: wakes.append(1))

    async def burst() -> list[Recorded]:
        ids = [f"d{i}" for i in range(200)] + ["d0", "d1", "skip"]
        deliveries = [new(i, DeliveryState.IGNORED if i == "skip" else "pending") for i in ids]
        return list(await asyncio.gather(*(recorder.record(d) for d in deliveries)))

    results = asyncio.run(burst())
    recorder.stop()
    assert results == [Recorded.NEW] * 200 + [Recorded.DUPLICATE, Recorded.DUPLICATE, Recorded.NEW]
    assert sorted(enqueued) == sorted(f"d{i}" for i in range(200))  # not the duplicates, not the ignored one
    assert sum(inbox.batches) == 203 and len(inbox.batches) < 203  # some requests shared a transaction
    assert wakes and inbox.counts()["pending"] == 200


def test_each_committed_batch_is_one_queue_write(db: Database) -> None:
    inbox = CountingInbox(db)
    writes: list[list[str]] = []
    single: list[str] = []
    recorder = Recorder(inbox, single.append, enqueue_many=lambda ids: writes.append(list(ids)))

    async def burst() -> list[Recorded]:
        ids = [f"d{i}" for i in range(100)] + ["d0", "skip"]
        deliveries = [new(i, DeliveryState.IGNORED if i == "skip" else "pending") for i in ids]
        return list(await asyncio.gather(*(recorder.record(d) for d in deliveries)))

    asyncio.run(burst())
    recorder.stop()
    assert single == []  # never one write per delivery
    assert len(writes) == len(inbox.batches) < 102  # one queue write per committed transaction
    assert sorted(i for batch in writes for i in batch) == sorted(f"d{i}" for i in range(100))


def test_replays_are_told_apart_in_the_recorders_window_and_never_enqueued(db: Database) -> None:
    inbox = CountingInbox(db)
    enqueued: list[str] = []
    recorder = Recorder(inbox, enqueued.append, replay_window_s=3600)

    async def burst() -> list[Recorded]:
        deliveries = [new("a", digest="ping:x"), new("b", digest="ping:x"), new("c", digest="ping:y")]
        return list(await asyncio.gather(*(recorder.record(d) for d in deliveries)))

    assert asyncio.run(burst()) == [Recorded.NEW, Recorded.REPLAY, Recorded.NEW]
    recorder.replay_window_s = 0  # the window switched off (new settings): digests are not compared
    assert asyncio.run(recorder.record(new("d", digest="ping:x"))) is Recorded.NEW
    recorder.stop()
    assert sorted(enqueued) == ["a", "c", "d"]
    assert inbox.get("b") is None


def test_a_delivery_is_answered_once_committed_without_waiting_for_the_queue(db: Database) -> None:
    """The answer needs the commit only: the queue's round trip comes after it, so a slow queue (or one that
    hangs until the sweeper's turn) does not hold the acknowledgement."""
    released = threading.Event()
    pushed: list[list[str]] = []

    def slow(ids: Any) -> None:
        released.wait(30)  # the queue answers only once the test has seen the acknowledgement
        pushed.append(list(ids))

    inbox = Inbox(db)
    recorder = Recorder(inbox, lambda _id: None, enqueue_many=slow)

    async def acknowledged() -> Recorded:
        return await asyncio.wait_for(recorder.record(new("answered")), 20)  # a hang fails, never a slow box

    try:
        assert asyncio.run(acknowledged()) is Recorded.NEW
        assert pushed == []  # answered while its push was still waiting
    finally:
        released.set()
        recorder.stop()
    assert pushed == [["answered"]] and inbox.counts()["pending"] == 1


def test_a_failed_batch_enqueue_keeps_the_rows_for_the_sweeper(db: Database) -> None:
    def broken(_ids: Any) -> None:
        raise RuntimeError("queue down")

    inbox = Inbox(db)
    recorder = Recorder(inbox, lambda _id: None, enqueue_many=broken)
    assert asyncio.run(recorder.record(new("kept"))) is Recorded.NEW  # committed: acknowledged
    recorder.stop()
    assert inbox.counts()["pending"] == 1


def test_a_failing_batch_is_retried_one_by_one(db: Database) -> None:
    inbox = CountingInbox(db, fail_on="bad")
    recorder = Recorder(inbox, lambda _id: None)

    async def burst() -> list[Any]:
        return list(await asyncio.gather(*(recorder.record(new(i)) for i in ("a", "bad", "b")), return_exceptions=True))

    results = asyncio.run(burst())
    recorder.stop()
    assert results[0] is Recorded.NEW and results[2] is Recorded.NEW
    assert isinstance(results[1], RecordError) and "bad" in str(results[1])
    assert inbox.get("a") is not None and inbox.get("bad") is None


def test_an_enqueue_failure_still_acknowledges_the_committed_delivery(db: Database) -> None:
    def broken(_id: str) -> None:
        raise ConnectionError("queue down")

    recorder = Recorder(Inbox(db), broken)
    assert asyncio.run(recorder.record(new("kept"))) is Recorded.NEW
    recorder.stop()
    assert Inbox(db).get("kept") is not None  # the sweeper enqueues it later


def test_stop_drains_and_a_later_record_restarts_the_writer(db: Database) -> None:
    recorder = Recorder(Inbox(db), lambda _id: None)
    assert asyncio.run(recorder.record(new("one"))) is Recorded.NEW
    recorder.stop()
    recorder.stop()  # twice is fine
    assert asyncio.run(recorder.record(new("two"))) is Recorded.NEW
    recorder.stop()


@pytest.mark.parametrize("batch", [1, 3])
def test_batch_size_is_bounded(db: Database, batch: int) -> None:
    inbox = CountingInbox(db)
    recorder = Recorder(inbox, lambda _id: None, max_batch=batch)

    async def burst() -> None:
        await asyncio.gather(*(recorder.record(new(f"x{i}")) for i in range(10)))

    asyncio.run(burst())
    recorder.stop()
    assert max(inbox.batches) <= batch and sum(inbox.batches) == 10


def test_a_database_that_does_not_answer_in_time_is_a_record_error(db: Database) -> None:
    class SlowInbox(Inbox):
        def record_many(self, deliveries: Any, replay_window_s: float = 0.0) -> list[Recorded]:
            time.sleep(0.5)
            return super().record_many(deliveries, replay_window_s)

    inbox = SlowInbox(db)
    recorder = Recorder(inbox, lambda _id: None, timeout_s=0.1)
    with pytest.raises(RecordError, match=r"not committed within 0\.1 s"):
        asyncio.run(recorder.record(new("slow")))
    recorder.stop()
    assert inbox.get("slow") is not None  # committed after all: GitHub's redelivery will be a duplicate
