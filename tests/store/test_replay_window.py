"""The replay window in the inbox, on SQLite and on the real PostgreSQL: a body digest recorded under another
delivery id within the window is a replay and is not inserted; the same id stays a duplicate; outside the
window, without a digest or with the window off, nothing is a replay; writers with engines of their own (web
processes, replicas) recording one body at once record it once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ghapp.store.database import Database, open_database
from ghapp.store.inbox import Inbox, NewDelivery, Recorded
from tests.store.sent import sent

WINDOW_S = 3600.0
T0 = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def new(delivery_id: str, digest: str | None = "pull_request:aa") -> NewDelivery:
    return NewDelivery(delivery_id, "pull_request", "opened", 7, "o/r", 1, "{}", body_digest=digest)


def test_a_digest_recorded_under_another_id_within_the_window_is_a_replay(db: Database) -> None:
    clock = Clock()
    inbox = Inbox(db, clock=clock)
    assert inbox.record(new("first"), WINDOW_S) is Recorded.NEW
    clock.now = T0 + timedelta(seconds=WINDOW_S - 1)
    assert inbox.record(new("replayed"), WINDOW_S) is Recorded.REPLAY
    assert inbox.get("replayed") is None
    assert inbox.record(new("first"), WINDOW_S) is Recorded.DUPLICATE  # GitHub's redelivery keeps its id
    assert inbox.record(new("other", "pull_request:bb"), WINDOW_S) is Recorded.NEW  # another body
    assert inbox.record(new("other-event", "push:aa"), WINDOW_S) is Recorded.NEW
    first = inbox.get("first")
    assert first is not None and first.body_digest == "pull_request:aa"


def test_outside_the_window_the_same_body_is_new_again(db: Database) -> None:
    clock = Clock()
    inbox = Inbox(db, clock=clock)
    assert inbox.record(new("first"), WINDOW_S) is Recorded.NEW
    clock.now = T0 + timedelta(seconds=WINDOW_S + 1)
    assert inbox.record(new("a-day-later"), WINDOW_S) is Recorded.NEW
    clock.now += timedelta(seconds=1)
    assert inbox.record(new("again"), WINDOW_S) is Recorded.REPLAY  # now held by the newer id


def test_within_one_batch_a_second_id_with_the_same_digest_is_a_replay(db: Database) -> None:
    inbox = Inbox(db, clock=Clock())
    batch = [new("a"), new("b"), new("a"), new("c", "pull_request:cc"), new("b")]
    assert inbox.record_many(batch, WINDOW_S) == [
        Recorded.NEW,
        Recorded.REPLAY,
        Recorded.DUPLICATE,
        Recorded.NEW,
        Recorded.REPLAY,
    ]
    assert inbox.get("a") is not None and inbox.get("c") is not None and inbox.get("b") is None
    assert inbox.depth() == 2


def test_without_a_digest_or_with_the_window_off_nothing_is_a_replay(db: Database) -> None:
    inbox = Inbox(db, clock=Clock())
    assert inbox.record_many([new("a", None), new("b", None)], WINDOW_S) == [Recorded.NEW, Recorded.NEW]
    assert inbox.record(new("c"), WINDOW_S) is Recorded.NEW
    assert inbox.record(new("d", None), WINDOW_S) is Recorded.NEW  # no digest: not compared with c
    assert inbox.record_many([new("e"), new("f")]) == [Recorded.NEW, Recorded.NEW]  # window off (0 s)
    assert inbox.depth() == 6


def test_the_replay_check_costs_one_look_up_per_batch_and_none_without_digests(db: Database, tmp_path: Path) -> None:
    inbox = Inbox(db, clock=Clock())
    with sent(db, tmp_path / "plain") as plain:
        inbox.record_many([new(f"plain-{i}", None) for i in range(20)], WINDOW_S)
    with sent(db, tmp_path / "signed") as signed:
        inbox.record_many([new(f"signed-{i}", f"pull_request:{i}") for i in range(20)], WINDOW_S)
    assert plain.statements and not any("body_digest" in s and s.startswith("SELECT") for s in plain.statements)
    lookups = [s for s in signed.statements if "body_digest" in s and s.startswith("SELECT")]
    assert len(lookups) == 1
    pg = db.engine.dialect.name == "postgresql"
    assert len(signed.statements) == len(plain.statements) + 1 + pg  # + the lock there


def test_writers_of_their_own_recording_one_body_at_once_record_it_once(database_url: str) -> None:
    """Web processes on one SQLite file, or replicas on one PostgreSQL database, each with its own engine."""
    writers = 6
    barrier = threading.Barrier(writers)
    results: list[Recorded] = []
    lock = threading.Lock()

    def record(i: int) -> None:
        db = open_database(database_url)
        try:
            inbox = Inbox(db)
            inbox.record(new("warm-up", None))  # connected before the race starts
            barrier.wait()
            outcome = inbox.record(new(f"writer-{i}", "pull_request:raced"), WINDOW_S)
            with lock:
                results.append(outcome)
        finally:
            db.engine.dispose()

    threads = [threading.Thread(target=record, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted([Recorded.NEW] + [Recorded.REPLAY] * (writers - 1))
    db = open_database(database_url)
    assert Inbox(db).depth() == 2  # the warm-up and the one recorded body
    db.engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_the_look_up_is_planned_for_each_batch_never_kept(pg_database: str, tmp_path: Path) -> None:
    """A plan PostgreSQL keeps for a prepared statement is made once, maybe while the table was nearly empty:
    for the look-up that was a scan of the whole table on every batch of a new install. Every batch's look-up
    is parsed and planned anew; the INSERT, whose plan cannot go wrong that way, is prepared as psycopg likes."""
    db = open_database(pg_database)
    inbox = Inbox(db, clock=Clock())
    try:
        with sent(db, tmp_path / "trace") as out:
            for batch in range(8):  # psycopg prepares what it was sent five times
                inbox.record_many([new(f"kept-{batch}-{i}", f"pull_request:{batch}-{i}") for i in range(2)], WINDOW_S)
    finally:
        db.engine.dispose()
    lookups = [s for s in out.statements if "body_digest" in s and s.startswith("SELECT")]
    assert len(lookups) == 8
    assert not [s for s in out.prepared if "body_digest" in s and s.startswith("SELECT")]
    assert [s for s in out.prepared if s.startswith("INSERT")]  # the trace does see a prepared statement
