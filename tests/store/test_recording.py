"""Recording the web tier's deliveries, on SQLite and on the real PostgreSQL: one transaction a batch, each
delivery new or a duplicate of its id, the first body of an id kept, the state it was recorded in honoured."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ghapp.store.database import Database, open_database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox
from ghapp.store.recording import NewDelivery, Recorded, record_many
from ghapp.store.statements import INSERT_ROWS
from tests.store.sent import sent

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def new(delivery_id: str, payload: str = '{"action": "opened"}', state: str = DeliveryState.PENDING) -> NewDelivery:
    return NewDelivery(delivery_id, "pull_request", "opened", 7, "o/r", 1, payload, state)


def test_a_delivery_id_is_recorded_once_with_its_first_body(db: Database) -> None:
    assert record_many(db, NOW, [new("d1", '{"first": true}')]) == [Recorded.NEW]
    assert record_many(db, NOW, [new("d1", '{"second": true}')]) == [Recorded.DUPLICATE]
    assert record_many(db, NOW, [new("d2"), new("d2"), new("d1")]) == [
        Recorded.NEW,
        Recorded.DUPLICATE,
        Recorded.DUPLICATE,
    ]
    inbox = Inbox(db)
    row = inbox.get("d1")
    assert row is not None and row.payload == '{"first": true}' and row.state == DeliveryState.PENDING
    assert row.received_at == NOW and row.next_attempt_at == NOW and row.finished_at is None
    assert inbox.depth() == 2


def test_a_delivery_recorded_as_finished_carries_its_finishing_time(db: Database) -> None:
    assert record_many(db, NOW, [new("ignored", state=DeliveryState.IGNORED)]) == [Recorded.NEW]
    row = Inbox(db).get("ignored")
    assert row is not None and row.state == DeliveryState.IGNORED and row.finished_at == NOW
    assert Inbox(db).depth() == 0


def test_an_empty_batch_records_nothing(db: Database) -> None:
    assert record_many(db, NOW, []) == []
    assert Inbox(db).depth() == 0


@pytest.mark.postgres
def test_on_postgresql_a_batch_is_one_round_trip_and_two_with_the_replay_window(
    pg_database: str, tmp_path: Path
) -> None:
    """The web tier's writer waits on every round trip with the batch's requests unanswered: BEGIN rides with
    the first statement and COMMIT with the INSERT, and the replay window's locks with its look-up."""
    db = open_database(pg_database)
    try:
        with sent(db, tmp_path / "trace") as out:
            assert record_many(db, NOW, [new("rt1"), new("rt2")]) == [Recorded.NEW, Recorded.NEW]
        assert out.round_trips == [["BEGIN", "INSERT", "COMMIT"]]
        digested = [NewDelivery(f"rt{n}", "ping", None, None, None, None, "{}", body_digest=f"b{n}") for n in (3, 4)]
        with sent(db, tmp_path / "trace") as out:
            assert record_many(db, NOW, digested, replay_window_s=60) == [Recorded.NEW, Recorded.NEW]
        assert out.round_trips == [["BEGIN", "SELECT", "SELECT"], ["INSERT", "COMMIT"]]
        many = [new(f"many{n}") for n in range(INSERT_ROWS + 1)]  # more rows than one statement takes
        with sent(db, tmp_path / "trace") as out:
            assert set(record_many(db, NOW, many)) == {Recorded.NEW}
        assert out.round_trips == [["BEGIN", "INSERT", "INSERT", "COMMIT"]]
        assert Inbox(db).depth() == 4 + INSERT_ROWS + 1
    finally:
        db.engine.dispose()
