"""The database: SQLModel tables, the engine for SQLite or PostgreSQL, and short write transactions.

Every timestamp is stored as UTC without a zone and read back as an aware UTC datetime, so comparisons
in SQL and in Python agree on both databases. The schema itself is created only by the Alembic
migrations in `ghapp/store/migrations` (`ghapp db upgrade`); these classes must stay in step with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlmodel import Field, Session, SQLModel

from ghapp.credentials import create_private

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}

# GitHub ids outgrew 32 bits long ago; SQLite only autoincrements an INTEGER primary key.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


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


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True, index=index))
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=index))


class Installation(SQLModel, table=True):
    __tablename__ = "installations"
    id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    account_login: str = Field(max_length=255)
    account_type: str = Field(max_length=32)
    suspended: bool = False
    created_at: datetime = _when()
    updated_at: datetime = _when()


class Repository(SQLModel, table=True):
    __tablename__ = "repositories"
    id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    installation_id: int = Field(sa_column=Column(BigInteger(), nullable=False, index=True))
    full_name: str = Field(max_length=255, index=True)
    private: bool = False
    removed: bool = False


class Delivery(SQLModel, table=True):
    """One webhook delivery, keyed by GitHub's `X-GitHub-Delivery` GUID (kept on redelivery)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_deliveries_repository_pr_number", "repository", "pr_number"),
    )
    delivery_id: str = Field(primary_key=True, max_length=64)
    event: str = Field(max_length=64)
    action: str | None = Field(default=None, max_length=64)
    installation_id: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    repository: str | None = Field(default=None, max_length=255)
    pr_number: int | None = None
    received_at: datetime = _when(index=True)
    state: str = Field(max_length=16)  # pending, processing, done, failed, ignored, shed
    attempts: int = 0
    lease_until: datetime | None = _when(nullable=True)
    lease_owner: str | None = Field(default=None, max_length=128)
    next_attempt_at: datetime | None = _when(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    payload: str = Field(sa_column=Column(Text(), nullable=False))
    duration_ms: float | None = None
    finished_at: datetime | None = _when(nullable=True)


class Evaluation(SQLModel, table=True):
    """A decision the App published for one gate on one head commit, with its reasons."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_repository_pr_number", "repository", "pr_number"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    delivery_id: str | None = Field(default=None, max_length=64, index=True)
    repository: str = Field(max_length=255)
    pr_number: int
    head_sha: str = Field(max_length=64)
    gate: str = Field(max_length=64)
    conclusion: str = Field(max_length=32)
    summary: str = Field(default="", sa_column=Column(Text(), nullable=False))
    reasons: str = Field(default="[]", sa_column=Column(Text(), nullable=False))  # JSON list
    created_at: datetime = _when(index=True)


class CheckRun(SQLModel, table=True):
    """A check run the App owns on GitHub: one per (repository, head commit, gate)."""

    __tablename__ = "check_runs"
    __table_args__ = (UniqueConstraint("repository", "head_sha", "gate"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    head_sha: str = Field(max_length=64)
    gate: str = Field(max_length=64)
    check_run_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    status: str = Field(max_length=32)
    conclusion: str | None = Field(default=None, max_length=32)
    updated_at: datetime = _when()
    digest: str | None = Field(default=None, max_length=64)  # of the last output sent: an equal one is not resent
    annotations: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))  # JSON keys already sent


class HeadWord(SQLModel, table=True):
    """One open pull request's word on one gate of its head commit (see ghapp.core.gates.heads): the head's
    check run shows the strictest word of every open PR with that head."""

    __tablename__ = "head_words"
    __table_args__ = (UniqueConstraint("repository", "head_sha", "gate", "pr_number"),
                      Index("ix_head_words_repository_pr_number", "repository", "pr_number"))
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    head_sha: str = Field(max_length=64)
    gate: str = Field(max_length=64)
    pr_number: int
    status: str = Field(max_length=32)  # queued, in_progress, completed
    result: str = Field(sa_column=Column(Text(), nullable=False))  # JSON: conclusion, title, summary, annotations...
    digest: str = Field(max_length=64)
    updated_at: datetime = _when()


class StoredToolReport(SQLModel, table=True):
    """A tool's report on one head, kept so re-evaluations of the same head (reviews, edits, overrides) need no
    re-run. `fingerprint` names the tool settings it was made under; another fingerprint means run again."""

    __tablename__ = "tool_reports"
    __table_args__ = (UniqueConstraint("repository", "head_sha", "gate"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    head_sha: str = Field(max_length=64)
    gate: str = Field(max_length=64)
    fingerprint: str = Field(max_length=64)
    report: str = Field(sa_column=Column(Text(), nullable=False))  # JSON
    created_at: datetime = _when()


class OverrideRecord(SQLModel, table=True):
    """`/prompt-to-pr override <gate> <reason>` as said on a pull request: the audit trail of overrides."""

    __tablename__ = "overrides"
    __table_args__ = (Index("ix_overrides_repository_pr_number", "repository", "pr_number"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    comment_id: int = Field(sa_column=Column(BigInteger(), nullable=False, unique=True))
    repository: str = Field(max_length=255)
    pr_number: int
    head_sha: str = Field(max_length=64)
    gate: str = Field(max_length=64)
    reason: str = Field(default="", sa_column=Column(Text(), nullable=False))
    login: str = Field(max_length=255)
    accepted: bool | None = None  # as last judged: None until evaluated
    verdict: str = Field(default="", sa_column=Column(Text(), nullable=False))  # why it was (not) accepted
    delivery_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _when()


class ReviewRequestRecord(SQLModel, table=True):
    """A review the App asked for on one head of a pull request: asked once per head, never again."""

    __tablename__ = "review_requests"
    __table_args__ = (UniqueConstraint("repository", "pr_number", "head_sha", "kind", "reviewer"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    pr_number: int
    head_sha: str = Field(max_length=64)
    kind: str = Field(max_length=8)  # user, team
    reviewer: str = Field(max_length=255)  # login, or the team slug without the org
    created_at: datetime = _when()


class DirectPush(SQLModel, table=True):
    """AI-written commits that reached a watched branch without a pull request (one row per pushed head)."""

    __tablename__ = "direct_pushes"
    __table_args__ = (UniqueConstraint("repository", "after_sha"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    branch: str = Field(max_length=255)
    before_sha: str = Field(max_length=64)
    after_sha: str = Field(max_length=64)
    pusher: str = Field(max_length=255)
    commits: str = Field(default="[]", sa_column=Column(Text(), nullable=False))  # JSON: sha, tools, evidence
    check_run_id: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    issue_number: int | None = None
    created_at: datetime = _when()


class PullRequestLock(SQLModel, table=True):
    """Which delivery is working on a pull request right now: work on one PR is serialised."""

    __tablename__ = "pr_locks"
    repository: str = Field(primary_key=True, max_length=255)
    pr_number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    owner: str = Field(max_length=64)
    lease_until: datetime = _when()


class AppState(SQLModel, table=True):
    """Small named values that must survive restarts (last redelivery run, periodic job slots)."""

    __tablename__ = "app_state"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", sa_column=Column(Text(), nullable=False))
    updated_at: datetime = _when()


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@dataclass(frozen=True)
class Database:
    engine: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction. On SQLite it takes the write lock up front (BEGIN IMMEDIATE), so a
        read-then-write never fails half way with SQLITE_BUSY; it commits on success, rolls back on error."""
        with self.engine.connect() as conn:
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
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            create_private(Path(url.database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    return Database(engine)
