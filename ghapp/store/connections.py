"""How each database's connections are set up: SQLite's journal and locking pragmas; PostgreSQL's TOAST
compression, and a pooled connection tried before use only once it has been idle."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError


def prepare_sqlite(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_pragmas)


def prepare_postgres(engine: Engine) -> None:
    event.listen(engine, "connect", _postgres_session)
    event.listen(engine, "checkin", _returned)
    event.listen(engine, "checkout", _ping_if_idle(engine.dialect))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# PostgreSQL compresses a value over ~2 KB before storing it (TOAST), with pglz unless told otherwise: for the
# inbox's 28 KB payloads that compression was most of a batch insert's time (23 ms for 32 rows, 7 ms with lz4,
# bench/ack_compare.py's set-up). lz4 is used where the server has it (PostgreSQL 14+ built with lz4); rows
# written before keep their compression and read as ever.
_LZ4 = (
    "SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings "
    "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


def _postgres_session(dbapi_connection: Any, record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute(_LZ4)
    dbapi_connection.commit()
    record.info[_RETURNED] = time.monotonic()


# A pooled PostgreSQL connection is tried (`SELECT 1`) before use only when it has been idle this long: one
# that went back to the pool moments ago is alive as far as anyone can know, and pinging it anyway was a round
# trip in each of the web tier's batches (bench/ack_profile.py). One that was cut meanwhile (a restart, a
# failover) fails its first statement as `StoreUnavailable`, and SQLAlchemy then replaces every connection
# of the pool taken before the failure, so the caller's retry gets a new one.
PING_AFTER_IDLE_S = 1.0
_RETURNED = "ghapp.returned_at"


def _returned(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED] = time.monotonic()


def _ping_if_idle(dialect: Dialect) -> Callable[[Any, Any, Any], None]:
    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool drops this connection and checks out another
            raise DisconnectionError(f"a pooled connection did not answer: {exc}") from exc

    return ping
