"""Driver statements of one write transaction, read when needed, and `insert_new` on top of them.

On PostgreSQL the statements go out in psycopg's pipeline mode: BEGIN rides with the first and COMMIT with the
last, and the server answers them together, so a transaction whose results are read only after it commits is
ONE round trip, and reading a result earlier waits for it and everything before it. The web tier's writer
waits on every round trip with a batch of requests unanswered (bench/ack_profile.py); this is how it records a
batch. On SQLite each statement runs at once inside `Database.write`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Protocol, cast

import psycopg
from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect

from ghapp.store.database import Database, unavailable_as_store_error

Rows = Callable[[], list[tuple[Any, ...]]]  # reads a statement's rows, waiting for them if need be


class Send(Protocol):
    def __call__(self, sql: str, parameters: Sequence[Any], *, planned_each_time: bool = False) -> Rows: ...


@dataclass(frozen=True)
class Statements:
    """`send(sql, parameters)` sends one statement, its parameters marked as `marks` gives them, and returns
    how to read its rows. PostgreSQL prepares a statement sent a few times and may then keep one plan for any
    parameters; `planned_each_time=True` has it planned for the values given, on the table as it is then."""

    dialect: Dialect
    send: Send


def marks(dialect: Dialect, count: int, first: int = 1) -> list[str]:
    """The marks of parameters `first` .. `first + count - 1` of a statement sent through `Statements`:
    sqlite3's `?`, or PostgreSQL's own `$n`. Statements go to PostgreSQL as written (psycopg's raw cursor): a
    batch's INSERT has more parameters than psycopg's cache of converted `%s` statements keeps, and
    converting it on every call took a third of the writer's time (py-spy)."""
    if dialect.paramstyle == "qmark":
        return ["?"] * count
    return [f"${n}" for n in range(first, first + count)]


@contextmanager
def pipelined(db: Database) -> Iterator[Statements]:
    """One write transaction of `Statements`: committed when the block ends, rolled back if it raises. Rows
    are read inside the block or after it; a dropped database raises `StoreUnavailable` either way."""
    if db.is_sqlite:
        with db.write() as conn:
            yield Statements(conn.dialect, partial(_at_once, conn))
        return
    with unavailable_as_store_error(), db.write_turn(), db.engine.connect() as conn:
        # BEGIN and COMMIT are sent as statements of the pipeline, not by psycopg, which would wait for its
        # BEGIN and send one more Sync for its COMMIT. SQLAlchemy takes autocommit back off with the connection.
        conn.execution_options(isolation_level="AUTOCOMMIT")
        driver = cast("psycopg.Connection[tuple[Any, ...]]", conn.connection.dbapi_connection)
        try:
            with driver.pipeline():
                driver.execute("BEGIN")
                yield Statements(conn.dialect, partial(_queued, driver))
                driver.execute("COMMIT")
        except psycopg.OperationalError as exc:
            conn.invalidate(exc)  # as SQLAlchemy does with a connection that failed under it: never reused
            raise  # StoreUnavailable, from unavailable_as_store_error
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                driver.execute("ROLLBACK")
            raise


def _at_once(conn: Connection, sql: str, parameters: Sequence[Any], *, planned_each_time: bool = False) -> Rows:
    result = conn.exec_driver_sql(sql, tuple(parameters))
    rows = [tuple(row) for row in result] if result.returns_rows else []
    return lambda: rows


def _queued(
    driver: psycopg.Connection[tuple[Any, ...]], sql: str, parameters: Sequence[Any], *, planned_each_time: bool = False
) -> Rows:
    cursor = psycopg.RawCursor(driver)
    cursor.execute(sql, parameters, prepare=False if planned_each_time else None)  # None: psycopg's own choice
    return cursor.fetchall


def insert_new(
    statements: Statements, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> Callable[[], set[Any]]:
    """Insert those of `rows` (mappings with the same columns, distinct keys) whose `key` column is not taken
    yet; returns how to read the keys it inserted. One statement for up to INSERT_ROWS rows (`INSERT ... ON
    CONFLICT DO NOTHING RETURNING`): it goes to the driver as written (nothing compiled per call) and each
    value through its column type's own bind processor, so the rows are stored exactly as an ORM insert
    stores them. A key another writer took first, even one racing us on PostgreSQL, is not returned."""
    sent: list[Rows] = []
    for start in range(0, len(rows), INSERT_ROWS):
        chunk = rows[start : start + INSERT_ROWS]
        columns = tuple(chunk[0])
        insert, processors = _statement(table, columns, key, statements.dialect, len(chunk))
        values = [
            convert(row[column]) if convert is not None else row[column]
            for row in chunk
            for column, convert in zip(columns, processors, strict=True)
        ]
        sent.append(statements.send(insert, values))
    return lambda: {found for rows_of in sent for (found,) in rows_of()}


# Rows per INSERT statement: the web tier's batches (at most 64) go in one, and the parameters of a wide table's
# rows stay far below SQLite's and PostgreSQL's limits (32,766 and 65,535).
INSERT_ROWS = 64


@lru_cache(maxsize=2 * INSERT_ROWS)
def _statement(
    table: Table, columns: tuple[str, ...], key: str, dialect: Dialect, count: int
) -> tuple[str, list[Callable[[Any], Any] | None]]:
    quote = dialect.identifier_preparer.quote  # every name is the table's own (table.c raises on any other)
    name, target = quote(table.name), quote(table.c[key].name)
    width = len(columns)
    rows = (f"({', '.join(marks(dialect, width, 1 + n * width))})" for n in range(count))
    insert = (
        f"INSERT INTO {name} ({', '.join(quote(table.c[column].name) for column in columns)}) "  # noqa: S608 - names
        f"VALUES {', '.join(rows)} ON CONFLICT ({target}) DO NOTHING RETURNING {target}"
    )
    return insert, [table.c[column].type.bind_processor(dialect) for column in columns]
