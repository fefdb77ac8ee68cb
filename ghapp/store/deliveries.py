"""The `deliveries` table: one row per webhook delivery (the inbox's rows), its states, and the reads the
dashboard and the enforcement make of it. Moving a delivery between states is the inbox's job (`inbox.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Text, select
from sqlmodel import Field, SQLModel

from ghapp.store.database import Database, Payload, table_of, when


class DeliveryState(StrEnum):
    """Where a delivery is; the values are what the `state` column stores."""

    PENDING = "pending"  # waiting, maybe for `next_attempt_at`
    PROCESSING = "processing"  # leased to a worker until `lease_until`
    DONE = "done"
    FAILED = "failed"  # gave up: `last_error` says why
    IGNORED = "ignored"  # no handler
    SHED = "shed"  # dropped under backpressure


RERUNNABLE = (DeliveryState.FAILED, DeliveryState.DONE, DeliveryState.IGNORED, DeliveryState.SHED)


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
    received_at: datetime = when(index=True)
    state: str = Field(max_length=16)  # a DeliveryState
    attempts: int = 0
    lease_until: datetime | None = when(nullable=True)
    lease_owner: str | None = Field(default=None, max_length=128)
    next_attempt_at: datetime | None = when(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    payload: str = Field(sa_column=Column(Payload(), nullable=False))  # compressed on SQLite
    duration_ms: float | None = None
    finished_at: datetime | None = when(nullable=True)
    # The replay window's key (`ghapp/store/replay_window.py`): the event and the body's HMAC, or its SHA-256 unsigned.
    body_digest: str | None = Field(default=None, max_length=160, index=True)


DELIVERIES = table_of(Delivery)


@dataclass(frozen=True)
class DeliverySummary:
    """A delivery as the dashboard lists it (without its payload)."""

    delivery_id: str
    event: str
    action: str | None
    repository: str | None
    pr_number: int | None
    state: str
    attempts: int
    last_error: str | None
    received_at: datetime
    duration_ms: float | None


def recent_deliveries(
    db: Database, installation_id: int, limit: int, repositories: Sequence[str] | None = None
) -> list[DeliverySummary]:
    """An installation's newest deliveries, newest first; with `repositories`, only those about one of them."""
    delivery = DELIVERIES.c
    query = select(
        delivery.delivery_id,
        delivery.event,
        delivery.action,
        delivery.repository,
        delivery.pr_number,
        delivery.state,
        delivery.attempts,
        delivery.last_error,
        delivery.received_at,
        delivery.duration_ms,
    ).where(delivery.installation_id == installation_id)
    if repositories is not None:
        query = query.where(delivery.repository.in_(list(repositories)))
    with db.read() as conn:
        rows = conn.execute(query.order_by(delivery.received_at.desc()).limit(limit)).all()
    return [DeliverySummary(**row._mapping) for row in rows]


def repository_of(db: Database, delivery_id: str) -> str | None:
    """The repository a delivery is about (None: unknown delivery, or one about no repository)."""
    with db.read() as conn:
        found: str | None = conn.execute(
            select(DELIVERIES.c.repository).where(DELIVERIES.c.delivery_id == delivery_id)
        ).scalar()
    return found


def installation_of(db: Database, delivery_id: str) -> int | None:
    """The installation a delivery came for (None: unknown delivery, or one without an installation)."""
    with db.read() as conn:
        found: int | None = conn.execute(
            select(DELIVERIES.c.installation_id).where(DELIVERIES.c.delivery_id == delivery_id)
        ).scalar()
    return found


def later_pull_request_actions(
    db: Database, repository: str, pr_number: int, *, after: str, received_at: datetime, actions: Sequence[str]
) -> set[str]:
    """Which of `actions` the PR's `pull_request` deliveries received after delivery `after` (at `received_at`)
    have, leaving out ignored ones."""
    delivery = DELIVERIES.c
    with db.read() as conn:
        return set(
            conn.execute(
                select(delivery.action).where(
                    delivery.repository == repository,
                    delivery.pr_number == pr_number,
                    delivery.event == "pull_request",
                    delivery.action.in_(list(actions)),
                    delivery.delivery_id != after,
                    delivery.received_at > received_at,
                    delivery.state != DeliveryState.IGNORED,
                )
            ).scalars()
        )


HEAD_ACTIONS = ("opened", "reopened", "synchronize")  # the actions that give a pull request its head


def head_payloads(
    db: Database, repository: str, pr_number: int, actions: Sequence[str] = HEAD_ACTIONS
) -> list[tuple[datetime, str]]:
    """(received at, raw payload) of every delivery that set this PR's head, oldest first: the heads a pull
    request had, as the App heard of them; or of its deliveries of other `actions` (`edited`: its retargets)."""
    delivery = DELIVERIES.c
    with db.read() as conn:
        rows = conn.execute(
            select(delivery.received_at, delivery.payload)
            .where(
                delivery.repository == repository,
                delivery.pr_number == pr_number,
                delivery.event == "pull_request",
                delivery.action.in_(list(actions)),
            )
            .order_by(delivery.received_at)
        ).all()
    return [(received, payload) for received, payload in rows]
