"""The `audit_events` table: an append-only trail of every decision, override, approval-state change, review
request (asked or withdrawn), stale approval dismissed, direct push and what-if run from the dashboard, with
the columns a compliance reviewer filters on, and the queries that read it.

Events are written in the same transaction as the record they describe (see `append`), so the trail never
misses a published decision nor holds one that was rolled back. Lists (AI tools, categories, people) are
stored between commas (",billing,auth,") so one `LIKE` finds a member without matching a part of a name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store.database import AutoId, Database, table_of, when

KINDS = ("decision", "override", "approval", "review_request", "review_dismissal", "direct_push", "what_if")
EXPORT_BATCH = 500


class AuditEvent(SQLModel, table=True):
    """One thing the App decided or did, or someone did through it, with who, where and what it concerned."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_repository_created_at", "repository", "created_at"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    created_at: datetime = when(index=True)
    kind: str = Field(max_length=32)
    repository: str = Field(max_length=255)
    pr_number: int | None = None
    head_sha: str = Field(default="", max_length=64)
    gate: str = Field(default="", max_length=64)
    outcome: str = Field(default="", max_length=64)  # a conclusion, "accepted"/"refused", "satisfied", ...
    verdict: str = Field(default="", max_length=32)
    tools: str = Field(default="", sa_column=Column(Text(), nullable=False))  # ",Claude Code,"
    categories: str = Field(default="", sa_column=Column(Text(), nullable=False))  # ",billing,"
    people: str = Field(default="", sa_column=Column(Text(), nullable=False))  # ",alice,bob,"
    summary: str = Field(default="", sa_column=Column(Text(), nullable=False))  # one line a person reads
    detail: str = Field(default="{}", sa_column=Column(Text(), nullable=False))  # JSON


AUDIT_EVENTS = table_of(AuditEvent)
_event = AUDIT_EVENTS.c


@dataclass(frozen=True)
class Entry:
    """An event to append (the store adds its time)."""

    kind: str
    repository: str
    pr_number: int | None = None
    head_sha: str = ""
    gate: str = ""
    outcome: str = ""
    verdict: str = ""
    tools: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    summary: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    """What an audit query keeps: each set field must match; `repositories` None means every repository
    (the command line), an empty tuple none (a dashboard user who sees nothing)."""

    repositories: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    kind: str = ""
    verdict: str = ""
    tool: str = ""
    category: str = ""
    person: str = ""
    gate: str = ""
    pr_number: int | None = None


def _listed(values: Sequence[str]) -> str:
    cleaned = [v.replace(",", " ").strip() for v in values if v.strip()]
    return f",{','.join(dict.fromkeys(cleaned))}," if cleaned else ""


def _row(entry: Entry, at: datetime) -> dict[str, Any]:
    return {
        "created_at": at,
        "kind": entry.kind,
        "repository": entry.repository,
        "pr_number": entry.pr_number,
        "head_sha": entry.head_sha,
        "gate": entry.gate,
        "outcome": entry.outcome,
        "verdict": entry.verdict,
        "tools": _listed(entry.tools),
        "categories": _listed(entry.categories),
        "people": _listed([p.lower() for p in entry.people]),
        "summary": entry.summary,
        "detail": json.dumps(entry.detail, sort_keys=True),
    }


def append(conn: Connection, entries: Sequence[Entry]) -> None:
    """Append events inside the caller's transaction. An "approval" event is kept only when the category's
    state differs from the last one recorded for that pull request: the trail shows changes, not repeats."""
    at = utcnow()
    for entry in entries:
        row = _row(entry, at)
        if entry.kind == "approval":
            last = conn.execute(
                select(_event.detail)
                .where(
                    _event.kind == "approval",
                    _event.repository == entry.repository,
                    _event.pr_number == entry.pr_number,
                    _event.categories == row["categories"],
                )
                .order_by(_event.id.desc())
                .limit(1)
            ).scalar()
            if last == row["detail"]:
                continue
        conn.execute(AUDIT_EVENTS.insert().values(**row))


def record(db: Database, entries: Sequence[Entry]) -> None:
    """Append events in a transaction of their own."""
    if entries:
        with db.write() as conn:
            append(conn, entries)


def _member(column: Any, value: str) -> ColumnElement[bool]:
    return column.contains(f",{value.replace(',', ' ').strip()},", autoescape=True)  # type: ignore[no-any-return]


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.repositories is not None:
        where.append(_event.repository.in_(list(filters.repositories)))
    if filters.since is not None:
        where.append(_event.created_at >= filters.since)
    if filters.until is not None:
        where.append(_event.created_at < filters.until)
    for column, value in ((_event.kind, filters.kind), (_event.verdict, filters.verdict), (_event.gate, filters.gate)):
        if value:
            where.append(column == value)
    if filters.pr_number is not None:
        where.append(_event.pr_number == filters.pr_number)
    if filters.tool:
        where.append(_member(_event.tools, filters.tool))
    if filters.category:
        where.append(_member(_event.categories, filters.category))
    if filters.person:
        where.append(_member(_event.people, filters.person.lower().lstrip("@")))
    return where


@dataclass(frozen=True)
class Event:
    """An audit event as read back, lists as tuples and the detail as a dict."""

    id: int
    created_at: datetime
    kind: str
    repository: str
    pr_number: int | None
    head_sha: str
    gate: str
    outcome: str
    verdict: str
    tools: tuple[str, ...]
    categories: tuple[str, ...]
    people: tuple[str, ...]
    summary: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "kind": self.kind,
            "repository": self.repository,
            "pr_number": self.pr_number,
            "head_sha": self.head_sha,
            "gate": self.gate,
            "outcome": self.outcome,
            "verdict": self.verdict,
            "tools": list(self.tools),
            "categories": list(self.categories),
            "people": list(self.people),
            "summary": self.summary,
            "detail": self.detail,
        }


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


def _event_of(row: Any) -> Event:
    m = row._mapping
    return Event(
        m["id"],
        m["created_at"],
        m["kind"],
        m["repository"],
        m["pr_number"],
        m["head_sha"],
        m["gate"],
        m["outcome"],
        m["verdict"],
        _split(m["tools"]),
        _split(m["categories"]),
        _split(m["people"]),
        m["summary"],
        json.loads(m["detail"]),
    )


def events(db: Database, filters: Filters, *, limit: int = 100, before_id: int | None = None) -> list[Event]:
    """Matching events, newest first; `before_id` pages on (the ids of older events are smaller)."""
    where = _conditions(filters)
    if before_id is not None:
        where.append(_event.id < before_id)
    with db.read() as conn:
        rows = conn.execute(select(AUDIT_EVENTS).where(*where).order_by(_event.id.desc()).limit(limit)).all()
    return [_event_of(row) for row in rows]


def export(db: Database, filters: Filters, *, after_id: int = 0) -> Iterator[Event]:
    """Every matching event with an id above `after_id`, oldest first, read in batches (a SIEM polls with the
    last id it has, and gets each event once)."""
    where = _conditions(filters)
    last = after_id
    while True:
        with db.read() as conn:
            rows = conn.execute(
                select(AUDIT_EVENTS).where(*where, _event.id > last).order_by(_event.id).limit(EXPORT_BATCH)
            ).all()
        for row in rows:
            yield _event_of(row)
        if len(rows) < EXPORT_BATCH:
            return
        last = int(rows[-1]._mapping["id"])


def count(db: Database, filters: Filters) -> int:
    with db.read() as conn:
        return int(
            conn.execute(select(func.count()).select_from(AUDIT_EVENTS).where(*_conditions(filters))).scalar_one()
        )


def prune(db: Database, older_than: datetime) -> int:
    """Delete events made before `older_than` (the retention period); returns how many went."""
    with db.write() as conn:
        result = conn.execute(delete(AUDIT_EVENTS).where(_event.created_at < older_than))
    return int(result.rowcount or 0)
