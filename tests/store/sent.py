"""What the App sent its database meanwhile, statement by statement: SQLAlchemy's cursor events on SQLite, and
libpq's trace of every connection handed out on PostgreSQL, where statements may also go out pipelined (one
round trip for several: `ghapp/store/statements.py`), bypassing SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event

from ghapp.store.database import Database


@dataclass
class Sent:
    statements: list[str] = field(default_factory=list)  # their text, in order
    round_trips: list[list[str]] = field(default_factory=list)  # PostgreSQL: first words, a list a round trip
    prepared: list[str] = field(default_factory=list)  # PostgreSQL: the text of those prepared under a name


@contextmanager
def sent(db: Database, trace: Path) -> Iterator[Sent]:
    found = Sent()
    if db.is_sqlite:

        def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            found.statements.append(statement.strip())

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            yield found
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        return
    out = trace.open("w")

    def traced(dbapi_connection: Any, *_: object) -> None:
        dbapi_connection.pgconn.trace(out.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

    def untraced(dbapi_connection: Any, *_: object) -> None:
        dbapi_connection.pgconn.untrace()

    event.listen(db.engine, "checkout", traced)
    event.listen(db.engine, "checkin", untraced)
    try:
        yield found
    finally:
        event.remove(db.engine, "checkout", traced)
        event.remove(db.engine, "checkin", untraced)
        out.close()
    going: list[str] = []
    for line in trace.read_text().splitlines():
        direction, _, kind, *rest = line.split("\t")
        if direction == "F" and kind in ("Query", "Parse"):  # Query "text", or Parse "name" "text" n types...
            name, text = ("", rest[0].strip()[1:-1]) if kind == "Query" else rest[0].strip()[1:].split('" "', 1)
            text = text if kind == "Query" else text.rsplit('"', 1)[0]
            found.statements.append(text.strip())
            if name:  # psycopg prepares a statement at its fifth use; later uses send only its name
                found.prepared.append(text.strip())
            going.append(text.split(" ", 1)[0].upper())
        elif direction == "B" and going:  # the App waited for an answer: the round trip ends
            found.round_trips.append(going)
            going = []
