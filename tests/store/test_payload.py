"""Webhook bodies in the inbox: lz4-compressed on SQLite, plain text on PostgreSQL (which compresses them
itself), read back byte for byte on both, and rows written as text before compression read as they were."""

from __future__ import annotations

import json

from sqlalchemy import text

from ghapp.store.database import Database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox, NewDelivery
from tests.conftest import load_webhook

LZ4_FRAME_MAGIC = bytes.fromhex("04224d18")


def test_a_body_reads_back_exactly_and_sqlite_keeps_it_compressed(db: Database) -> None:
    body = load_webhook("pull_request", "opened").decode() + "\u00e9\U0001f600"  # not only ASCII
    inbox = Inbox(db)
    inbox.record_many([NewDelivery("d1", "pull_request", "opened", 1, "o/r", 1, body, DeliveryState.PENDING)])
    stored = inbox.get("d1")
    assert stored is not None and stored.payload == body
    with db.read() as conn:
        raw = conn.execute(text("SELECT payload FROM deliveries WHERE delivery_id = 'd1'")).scalar_one()
    if db.is_sqlite:
        assert isinstance(raw, bytes) and raw.startswith(LZ4_FRAME_MAGIC)
        assert len(raw) * 4 < len(body.encode())  # a 28 KB pull_request body: several times smaller
    else:
        assert raw == body


def test_a_body_stored_as_text_before_compression_reads_as_it_was(db: Database) -> None:
    body = json.dumps({"zen": "Design for failure."})
    with db.write() as conn:  # as an earlier release wrote it
        conn.execute(
            text(
                "INSERT INTO deliveries (delivery_id, event, received_at, state, attempts, payload) "
                "VALUES ('old', 'ping', '2026-01-01 00:00:00.000000', 'done', 0, :body)"
            ),
            {"body": body},
        )
    stored = Inbox(db).get("old")
    assert stored is not None and stored.payload == body
