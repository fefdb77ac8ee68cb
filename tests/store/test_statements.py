"""Driver statements of one write transaction (`store/statements.py`), on SQLite and on the real PostgreSQL:
committed together or not at all, their rows readable after the commit, a dropped database an outage, and
`insert_new` taking only free keys."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from ghapp.store.database import Database, StoreUnavailable, open_database
from ghapp.store.deliveries import DELIVERIES
from ghapp.store.inbox import Inbox
from ghapp.store.statements import insert_new, pipelined
from tests.conftest import PG_ADMIN


def _row(delivery_id: str, now: datetime) -> dict[str, object]:
    return {
        "delivery_id": delivery_id,
        "event": "ping",
        "received_at": now,
        "state": "pending",
        "attempts": 0,
        "payload": "{}",
    }


""" + open("/tmp/moved.py").read().rstrip() + """


def test_statements_commit_together_or_not_at_all(db: Database) -> None:
    now = datetime.now(UTC)

    class Refused(Exception):
        pass

    with pytest.raises(Refused), pipelined(db) as statements:
        insert_new(statements, DELIVERIES, "delivery_id", [_row("gone", now)])
        raise Refused
    assert Inbox(db).get("gone") is None
    with pipelined(db) as statements:
        taken = insert_new(statements, DELIVERIES, "delivery_id", [_row("kept", now)])
        again = insert_new(statements, DELIVERIES, "delivery_id", [_row("kept", now), _row("also", now)])
    assert taken() == {"kept"} and again() == {"also"}  # the second statement saw the first's row
    assert Inbox(db).depth() == 2


def test_a_failing_statement_rolls_back_the_ones_before_it(db: Database) -> None:
    now = datetime.now(UTC)
    with pytest.raises(Exception), pipelined(db) as statements:  # noqa: B017 - each driver has its own error
        insert_new(statements, DELIVERIES, "delivery_id", [_row("first", now)])
        statements.send("INSERT INTO no_such_table VALUES (1)", ())
    assert Inbox(db).get("first") is None
    with pipelined(db) as statements:  # the connection is fit for the next transaction
        assert insert_new(statements, DELIVERIES, "delivery_id", [_row("next", now)])() == {"next"}


@pytest.mark.postgres
def test_a_connection_cut_under_the_statements_is_an_outage_and_is_not_reused(pg_database: str) -> None:
    db = open_database(pg_database)
    try:
        with db.read() as conn:
            pid = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreUnavailable), pipelined(db) as statements:
            statements.send("SELECT 1", ())()
        with db.read() as conn:
            assert int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) != pid
    finally:
        db.engine.dispose()


@pytest.mark.postgres
def test_the_connection_goes_back_to_the_pool_as_it_came(pg_database: str) -> None:
    """The pipeline sends its own BEGIN and COMMIT with psycopg's autocommit on; the next user of the pooled
    connection gets psycopg's own transactions again."""
    db = open_database(pg_database)
    try:
        with pipelined(db) as statements:
            statements.send("SELECT 1", ())
        with db.read() as conn:
            driver = conn.connection.dbapi_connection
            assert driver is not None and driver.autocommit is False  # type: ignore[attr-defined]
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
            assert driver.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS  # type: ignore[attr-defined]
    finally:
        db.engine.dispose()
