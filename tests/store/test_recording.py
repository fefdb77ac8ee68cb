"""Recording the web tier's deliveries, on SQLite and on the real PostgreSQL: one transaction a batch, each
delivery new or a duplicate of its id, the first body of an id kept, the state it was recorded in honoured."""

from __future__ import annotations

from datetime import UTC, datetime

from ghapp.store.database import Database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox
from ghapp.store.recording import NewDelivery, Recorded, record_many

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
