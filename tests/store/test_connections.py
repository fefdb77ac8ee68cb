"""How connections are set up: a pooled PostgreSQL connection is tried before use only once it has been idle,
and one cut meanwhile is replaced, before use when idle, after one failed statement when not (against the real
PostgreSQL)."""

from __future__ import annotations

import psycopg
import pytest

from ghapp.store import connections
from ghapp.store.database import Database, StoreUnavailable, open_database
from tests.conftest import PG_ADMIN


def _backend(db: Database) -> int:
    with db.read() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _terminate(pid: int) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.postgres
def test_a_connection_back_moments_ago_is_not_pinged_and_an_idle_one_is(
    pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web tier's writer takes a connection for every batch: no `SELECT 1` round trip before each."""
    db = open_database(pg_database)
    pings: list[object] = []
    ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(conn) or ping(conn))
    try:
        for _ in range(5):
            _backend(db)
        assert pings == []  # new, then back to the pool moments ago each time
        monkeypatch.setattr(connections, "PING_AFTER_IDLE_S", 0.0)  # as if idle a long while
        _backend(db)
        assert len(pings) == 1
    finally:
        db.engine.dispose()


@pytest.mark.postgres
def test_an_idle_connection_cut_meanwhile_is_replaced_before_use(
    pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(pg_database)
    try:
        first = _backend(db)
        _terminate(first)
        monkeypatch.setattr(connections, "PING_AFTER_IDLE_S", 0.0)
        assert _backend(db) != first  # the ping found it dead; the caller never saw it
    finally:
        db.engine.dispose()


@pytest.mark.postgres
def test_a_busy_connection_cut_meanwhile_fails_once_then_the_pool_is_renewed(pg_database: str) -> None:
    """Within the idle bound nothing is pinged: a connection cut in that moment fails its first statement as
    an outage (which every caller retries), and the next use gets a new connection, not another dead one."""
    db = open_database(pg_database)
    try:
        with db.read() as a, db.read() as b:  # two pooled connections
            pids = {int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) for c in (a, b)}
        for pid in pids:
            _terminate(pid)
        with pytest.raises(StoreUnavailable):
            _backend(db)
        assert _backend(db) not in pids
        assert _backend(db) not in pids
    finally:
        db.engine.dispose()
