"""The database: the engine for SQLite or PostgreSQL, short read and write transactions, and the column
types and helpers every table module of the store shares.

Every timestamp is stored as UTC without a zone and read back as an aware UTC datetime, so comparisons
in SQL and in Python agree on both databases. The schema itself is created only by the Alembic
migrations in `ghapp/store/migrations` (`ghapp db upgrade`); the table classes (one module per table
family, gathered in `ghapp/store/schema.py`) must stay in step with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lz4.frame
import psycopg
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Field, Session, SQLModel

from ghapp.clock import utcnow
from ghapp.core.errors import GhappError
from ghapp.credentials import create_private
from ghapp.store.connections import prepare_postgres, prepare_sqlite
from ghapp.store.write_turn import WriteTurn

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}

# GitHub ids outgrew 32 bits long ago; SQLite only autoincrements an INTEGER primary key.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class StoreError(GhappError):
    """The base error of the store."""


class StoreUnavailable(StoreError):
    """The database could not be reached or dropped the connection (a restart, a failover, a lock timeout):
    the operation may or may not have committed, and trying again soon is the answer."""


class UTCDateTime(TypeDecorator[datetime]):
    """A naive UTC column that only accepts and returns aware datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Payload(TypeDecorator[str]):
    """A webhook body as text that SQLite keeps lz4-compressed (a frame, self-describing); PostgreSQL keeps it
    as plain text and compresses it itself (TOAST, lz4 where the server has it: `store/connections.py`).

    A 28 KB `pull_request` body becomes ~4.5 KB in ~11 µs; SQLite then writes one or two pages for it instead
    of seven, and the web tier's writer records a batch 2.4 times as fast (bench/ack_compare.py). Rows written
    before this type (text) read back as they are."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return lz4.frame.compress(value.encode("utf-8"))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if isinstance(value, bytes):
            return lz4.frame.decompress(value).decode("utf-8")  # type: ignore[no-any-return]
        return value  # type: ignore[no-any-return]


def when(*, nullable: bool = False, index: bool = False) -> Any:
    """A UTC timestamp field: now by default, or nullable and empty."""
    if nullable:
        return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True, index=index))
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=index))


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy `Table` of a table class, typed (SQLModel does not declare `__table__`)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table class")
    return table


def engine_url(database_url: str) -> str:
    """The SQLAlchemy URL: plain `postgresql://` (and Heroku-style `postgres://`) use psycopg 3."""
    for scheme in ("postgresql://", "postgres://"):
        if database_url.startswith(scheme):
            return "postgresql+psycopg://" + database_url.removeprefix(scheme)
    return database_url


def upsert_statement(conn: Connection, table: Table) -> Any:
    """`INSERT` with `.on_conflict_do_nothing()` / `.on_conflict_do_update()` for this connection's database."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


@contextmanager
def unavailable_as_store_error() -> Iterator[None]:
    """A dropped or unreachable database raises `StoreUnavailable` (the SQLAlchemy error, or psycopg's own where
    the store talks to it directly (`store/statements.py`), is its cause)."""
    try:
        yield
    except (OperationalError, psycopg.OperationalError) as exc:
        cause = exc.orig if isinstance(exc, OperationalError) and exc.orig is not None else exc  # no SQL, no values
        raise StoreUnavailable(f"the database is unavailable: {type(cause).__name__}: {cause}") from exc


@contextmanager
def _anyone() -> Iterator[None]:
    yield


@dataclass(frozen=True)
class Database:
    engine: Engine
    write_turn: Callable[[], AbstractContextManager[None]] = _anyone

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session for reads of whole rows (objects stay usable after it closes)."""
        with unavailable_as_store_error(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One connection for reads."""
        with unavailable_as_store_error(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction. On SQLite it takes the write lock up front (BEGIN IMMEDIATE), so a
        read-then-write never fails half way with SQLITE_BUSY; it commits on success, rolls back on error."""
        with unavailable_as_store_error(), self.write_turn(), self.engine.connect() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def open_database(database_url: str) -> Database:
    url = make_url(engine_url(database_url))
    if url.get_backend_name() == "sqlite":
        on_disk = bool(url.database) and url.database != ":memory:" and not str(url.database).startswith("file:")
        if on_disk:
            create_private(Path(str(url.database)))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        prepare_sqlite(engine)
        if on_disk:
            return Database(engine, WriteTurn.of(Path(f"{url.database}-writer")))
    else:
        engine = create_engine(url, pool_size=10, max_overflow=10)
        prepare_postgres(engine)
    return Database(engine)
