"""The database: engine URLs, UTC timestamps, migrations that match the models on SQLite and PostgreSQL,
and the start-up policy (SQLite migrated on the spot, PostgreSQL required to be current)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

from ghapp.store.check_runs import CheckRun
from ghapp.store.database import (
    Database,
    StoreUnavailable,
    UTCDateTime,
    engine_url,
    open_database,
)
from ghapp.store.deliveries import Delivery
from ghapp.store.evaluations import Evaluation
from ghapp.store.inbox import Inbox, NewDelivery
from ghapp.store.migrations import SchemaNotCurrent, current, downgrade, head, is_current, ready_database, upgrade
from ghapp.store.schema import METADATA
from tests.conftest import scratch_pg_database

TABLES = {
    "installations",
    "repositories",
    "deliveries",
    "evaluations",
    "check_runs",
    "pr_locks",
    "app_state",
    "alembic_version",
}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"),
        ("postgres://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///ghapp.db", "sqlite:///ghapp.db"),
    ],
)
def test_engine_url_uses_psycopg3(given: str, expected: str) -> None:
    assert engine_url(given) == expected


def test_the_schema_matches_the_models(db: Database) -> None:
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), METADATA)
    assert diff == []
    assert is_current(db) and current(db) == head()


def test_sqlite_runs_in_wal_mode_with_normal_sync(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_timestamps_round_trip_as_aware_utc(db: Database) -> None:
    plus_two = datetime(2026, 11, 26, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    with db.session() as session:
        session.add(
            Evaluation(
                repository="o/r", pr_number=1, head_sha="a" * 40, gate="lint", conclusion="success", created_at=plus_two
            )
        )
        session.add(CheckRun(repository="o/r", head_sha="a" * 40, gate="lint", check_run_id=2**40, status="queued"))
        session.commit()
    with db.session() as session:
        evaluation = session.get(Evaluation, 1)
        assert evaluation is not None and evaluation.created_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
        assert evaluation.reasons == "[]"
        check = session.get(CheckRun, 1)
        assert check is not None and check.check_run_id == 2**40 and check.updated_at.tzinfo is UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), None)
    assert UTCDateTime().process_bind_param(None, None) is None


def test_one_check_run_per_head_and_gate(db: Database) -> None:
    with db.session() as session:
        for gate in ("lint", "lint"):
            session.add(CheckRun(repository="o/r", head_sha="b" * 40, gate=gate, check_run_id=1, status="queued"))
        with pytest.raises(Exception, match=r"(?i)unique"):
            session.commit()


def test_a_long_installation_token_era_id_fits(db: Database) -> None:
    with db.session() as session:
        session.add(
            Delivery(delivery_id=str(uuid.uuid4()), event="e", state="pending", payload="{}", installation_id=2**62)
        )
        session.commit()


def test_sqlite_is_migrated_at_start_and_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    db = ready_database(url)
    assert is_current(db)
    assert is_current(ready_database(url))


@pytest.fixture
def empty_pg() -> Iterator[str]:
    with scratch_pg_database("ghapp_empty") as url:
        yield url


@pytest.mark.postgres
def test_postgres_must_be_upgraded_explicitly(empty_pg: str) -> None:
    with pytest.raises(SchemaNotCurrent, match="ghapp db upgrade"):
        ready_database(empty_pg)
    db = open_database(empty_pg)
    upgrade(db)
    db.engine.dispose()
    ready = ready_database(empty_pg)
    try:
        assert is_current(ready)
        downgrade(ready, "base")  # and back down: every revision's downgrade drops what it made
        assert set(inspect(ready.engine).get_table_names()) == {"alembic_version"}
        with ready.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0
        upgrade(ready)
        assert is_current(ready)
    finally:
        ready.engine.dispose()


def test_an_unreachable_database_raises_store_unavailable() -> None:
    db = open_database("postgresql://nobody@127.0.0.1:1/none")
    for use in (db.read, db.write):
        with pytest.raises(StoreUnavailable, match="the database is unavailable: OperationalError") as caught, use():
            pass
        assert isinstance(caught.value.__cause__, OperationalError)
    with pytest.raises(StoreUnavailable), db.session() as session:  # a session connects on first use
        session.get(Delivery, "d1")
    db.engine.dispose()


def test_other_database_errors_are_not_taken_for_an_outage(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as conn:  # a bug or a race, not something a retry soon fixes
        conn.execute(text("INSERT INTO app_state (key, value, updated_at) VALUES ('k', 'v', NULL)"))


@pytest.mark.postgres
def test_large_values_are_compressed_with_lz4_on_postgres(pg_database: str) -> None:
    """pglz made a batch of 28 KB payloads three times slower to insert than lz4 (see database.py)."""
    db = open_database(pg_database)
    try:
        payload = json.dumps({"body": [f"line {i} of a long pull request description" for i in range(800)]})
        Inbox(db).record(NewDelivery("lz4", "pull_request", "opened", 1, "o/r", 1, payload))
        with db.read() as conn:
            method = conn.exec_driver_sql(
                "SELECT pg_column_compression(payload) FROM deliveries WHERE delivery_id = 'lz4'"
            )
            assert method.scalar_one() == "lz4"
            conn.exec_driver_sql("DELETE FROM deliveries WHERE delivery_id = 'lz4'")
            conn.commit()
    finally:
        db.engine.dispose()
