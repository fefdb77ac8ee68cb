"""The `app_state` table: small named values that must survive restarts (the missed-delivery job's last run),
and the turns of periodic duties, so ten workers do not sweep ten times."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, Text, select, update
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store.database import Database, table_of, upsert_statement, when


class AppState(SQLModel, table=True):
    """Small named values that must survive restarts (last redelivery run, periodic job slots)."""

    __tablename__ = "app_state"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", sa_column=Column(Text(), nullable=False))
    updated_at: datetime = when()


APP_STATE = table_of(AppState)
_state = APP_STATE.c


def take_turn(db: Database, key: str, interval_s: float, now: datetime | None = None) -> bool:
    """True if this caller should run duty `key` now: nobody took a turn in the last `interval_s`."""
    now = now or utcnow()
    with db.write() as conn:
        taken = conn.execute(
            update(APP_STATE)
            .where(_state.key == f"turn.{key}", _state.updated_at <= now - timedelta(seconds=interval_s))
            .values(updated_at=now)
            .returning(_state.key)
        ).first()
        if taken is not None:
            return True
        first = conn.execute(
            upsert_statement(conn, APP_STATE)
            .values(key=f"turn.{key}", value="", updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(_state.key)
        ).first()
        return first is not None


def read_value(db: Database, key: str) -> str | None:
    with db.read() as conn:
        value: str | None = conn.execute(select(_state.value).where(_state.key == key)).scalar_one_or_none()
        return value


def write_value(db: Database, key: str, value: str) -> None:
    now = utcnow()
    with db.write() as conn:
        conn.execute(
            upsert_statement(conn, APP_STATE)
            .values(key=key, value=value, updated_at=now)
            .on_conflict_do_update(index_elements=["key"], set_={"value": value, "updated_at": now})
        )
