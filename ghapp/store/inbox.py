"""The delivery inbox: one row per webhook delivery, its lease, retries and outcome. The inbox is the truth;
the queue only carries delivery ids, so whatever the queue loses, `sweep` finds again. How the web tier's
deliveries go in is `store/recording.py`; this module is what happens to them after.

States (`DeliveryState`): pending (waiting, maybe for `next_attempt_at`), processing (leased to a worker until
`lease_until`), done, failed (gave up: `last_error` says why; `requeue` runs it again), ignored (no handler),
shed (dropped under backpressure). Every transition is one conditional UPDATE, so it is atomic on SQLite and
PostgreSQL alike; a worker whose lease was taken over can no longer complete or fail the row. While a
delivery of a pull request is processing, it holds that PR's row in `pr_locks`: work on one PR is serialised.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store.database import Database, table_of, upsert_statement, when
from ghapp.store.deliveries import DELIVERIES, RERUNNABLE, Delivery
from ghapp.store.deliveries import DeliveryState as State
from ghapp.store.recording import NewDelivery, Recorded, record_many


class PullRequestLock(SQLModel, table=True):
    """Which delivery is working on a pull request right now: work on one PR is serialised."""

    __tablename__ = "pr_locks"
    repository: str = Field(primary_key=True, max_length=255)
    pr_number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    owner: str = Field(max_length=64)
    lease_until: datetime = when()


PR_LOCKS = table_of(PullRequestLock)
_delivery, _lock = DELIVERIES.c, PR_LOCKS.c  # their columns

EARLY = timedelta(seconds=1)  # a scheduled task may arrive a little before `next_attempt_at`
RETRY_HORIZON = timedelta(hours=24)  # `defer` stops postponing a delivery this old and counts a failure
BACKOFF_BASE_S, BACKOFF_CAP_S = 2.0, 300.0


def backoff_delay(attempt: int, rand: float) -> float:
    """Seconds before retry number `attempt` (1-based): doubling from 2 s, capped at 5 min, jittered to
    50-100% so workers that failed together do not retry together. `rand` is uniform in [0, 1)."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** max(0, attempt - 1))
    return ceiling * (0.5 + rand / 2)


@dataclass(frozen=True)
class Claim:
    """A delivery leased to one worker."""

    delivery_id: str
    event: str
    action: str | None
    installation_id: int | None
    repository: str | None
    pr_number: int | None
    attempts: int
    received_at: datetime
    payload: str
    last_error: str | None = None  # what stopped the previous try, if one was made

    @property
    def retried(self) -> bool:
        """An earlier try of this delivery ran (and may have done part of its work before it failed, was
        deferred or was killed): deferrals do not count as attempts, but they leave their reason."""
        return self.attempts > 1 or self.last_error is not None


def _held(delivery_id: str, owner: str) -> ColumnElement[bool]:
    """The delivery, while `owner` holds its lease."""
    return and_(
        _delivery.delivery_id == delivery_id, _delivery.lease_owner == owner, _delivery.state == State.PROCESSING
    )


class Busy:
    """`claim` found another delivery working on the same pull request."""


BUSY = Busy()


class Inbox:
    def __init__(
        self,
        db: Database,
        *,
        max_attempts: int = 8,
        clock: Callable[[], datetime] = utcnow,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.db = db
        self.max_attempts = max_attempts
        self.clock = clock
        self.rand = rand

    def record_many(self, deliveries: Sequence[NewDelivery], replay_window_s: float = 0.0) -> list[Recorded]:
        """Commit a batch of the web tier's deliveries: `store.recording.record_many`, at this inbox's time."""
        return record_many(self.db, self.clock(), deliveries, replay_window_s)

    def record(self, delivery: NewDelivery, replay_window_s: float = 0.0) -> Recorded:
        return self.record_many([delivery], replay_window_s)[0]

    def claim(self, delivery_id: str, owner: str, lease_seconds: float) -> Claim | Busy | None:
        """Lease the delivery to `owner` if it is due, or its previous lease expired. None: not claimable
        (done, leased, not yet due, unknown); BUSY: another delivery holds its pull request."""
        now = self.clock()
        until = now + timedelta(seconds=lease_seconds)
        claimable = or_(
            and_(
                _delivery.state == State.PENDING,
                or_(_delivery.next_attempt_at.is_(None), _delivery.next_attempt_at <= now + EARLY),
            ),
            and_(_delivery.state == State.PROCESSING, _delivery.lease_until < now),
        )
        stmt = (
            update(DELIVERIES)
            .where(_delivery.delivery_id == delivery_id, claimable)
            .values(state=State.PROCESSING, lease_owner=owner, lease_until=until, attempts=_delivery.attempts + 1)
            .returning(
                _delivery.delivery_id,
                _delivery.event,
                _delivery.action,
                _delivery.installation_id,
                _delivery.repository,
                _delivery.pr_number,
                _delivery.attempts,
                _delivery.received_at,
                _delivery.payload,
                _delivery.last_error,
            )
        )
        try:
            with self.db.write() as conn:
                row = conn.execute(stmt).first()
                if row is None:
                    return None
                claim = Claim(*row)
                if claim.repository and claim.pr_number is not None:
                    lock = (
                        upsert_statement(conn, PR_LOCKS)
                        .values(
                            repository=claim.repository,
                            pr_number=claim.pr_number,
                            owner=delivery_id,
                            lease_until=until,
                        )
                        .on_conflict_do_update(
                            index_elements=["repository", "pr_number"],
                            set_={"owner": delivery_id, "lease_until": until},
                            where=or_(_lock.lease_until < now, _lock.owner == delivery_id),
                        )
                        .returning(_lock.owner)
                    )
                    if conn.execute(lock).first() is None:
                        raise _Rollback
                return claim
        except _Rollback:
            return BUSY

    def extend(self, delivery_id: str, owner: str, lease_seconds: float) -> bool:
        """Heartbeat: push the lease (and the pull request lock) forward while the job runs."""
        until = self.clock() + timedelta(seconds=lease_seconds)
        with self.db.write() as conn:
            mine = (
                conn.execute(update(DELIVERIES).where(_held(delivery_id, owner)).values(lease_until=until)).rowcount
                == 1
            )
            if mine:
                conn.execute(update(PR_LOCKS).where(_lock.owner == delivery_id).values(lease_until=until))
        return mine

    def _finish(self, delivery_id: str, owner: str, **values: Any) -> bool:
        with self.db.write() as conn:
            ok = (
                conn.execute(
                    update(DELIVERIES)
                    .where(_held(delivery_id, owner))
                    .values(lease_owner=None, lease_until=None, **values)
                ).rowcount
                == 1
            )
            if ok:
                conn.execute(delete(PR_LOCKS).where(_lock.owner == delivery_id))
        return ok

    def _progress(self, delivery_id: str) -> Any:
        """(attempts, received_at) of a delivery without loading its payload, or None."""
        with self.db.read() as conn:
            return conn.execute(
                select(_delivery.attempts, _delivery.received_at).where(_delivery.delivery_id == delivery_id)
            ).first()

    def complete(
        self, delivery_id: str, owner: str, duration_ms: float, *, state: State = State.DONE, note: str | None = None
    ) -> bool:
        """Mark the leased delivery done (or ignored / shed, with a note). False: the lease was lost."""
        return self._finish(
            delivery_id, owner, state=state, duration_ms=duration_ms, finished_at=self.clock(), last_error=note
        )

    def fail(self, delivery_id: str, owner: str, error: str) -> float | None:
        """Record a failed attempt. Returns the delay before the retry, or None when the delivery gave up
        (state failed) or the lease was lost."""
        row = self._progress(delivery_id)
        if row is None:
            return None
        now = self.clock()
        if row.attempts >= self.max_attempts:
            gave_up = f"gave up after {row.attempts} attempts: {error}"
            self._finish(delivery_id, owner, state=State.FAILED, last_error=gave_up, finished_at=now)
            return None
        delay = backoff_delay(row.attempts, self.rand())
        retry_at = now + timedelta(seconds=delay)
        ok = self._finish(delivery_id, owner, state=State.PENDING, last_error=error, next_attempt_at=retry_at)
        return delay if ok else None

    def defer(self, delivery_id: str, owner: str, after_s: float, reason: str) -> float | None:
        """Back to pending after `after_s` without counting an attempt (rate limits, GitHub asking to wait);
        past RETRY_HORIZON it counts as a failure like any other. Returns the delay as `fail` does."""
        row = self._progress(delivery_id)
        if row is None:
            return None
        now = self.clock()
        if now - row.received_at > RETRY_HORIZON:
            return self.fail(delivery_id, owner, f"still waiting after {RETRY_HORIZON}: {reason}")
        ok = self._finish(
            delivery_id,
            owner,
            state=State.PENDING,
            attempts=_delivery.attempts - 1,
            last_error=reason,
            next_attempt_at=now + timedelta(seconds=after_s),
        )
        return after_s if ok else None

    def postpone(self, delivery_id: str, after_s: float) -> None:
        """A pending delivery that could not start (its pull request is busy) becomes due in `after_s`."""
        with self.db.write() as conn:
            conn.execute(
                update(DELIVERIES)
                .where(_delivery.delivery_id == delivery_id, _delivery.state == State.PENDING)
                .values(next_attempt_at=self.clock() + timedelta(seconds=after_s))
            )

    def release(self, delivery_id: str, owner: str) -> bool:
        """Give back a lease `owner` may hold without knowing it (its claim's reply was lost): the delivery is
        pending and due again, the attempt not counted. False when `owner` held nothing."""
        with self.db.write() as conn:
            released = (
                conn.execute(
                    update(DELIVERIES)
                    .where(_held(delivery_id, owner))
                    .values(
                        state=State.PENDING,
                        lease_owner=None,
                        lease_until=None,
                        attempts=_delivery.attempts - 1,
                        next_attempt_at=self.clock(),
                    )
                ).rowcount
                == 1
            )
            if released:
                conn.execute(delete(PR_LOCKS).where(_lock.owner == delivery_id))
        return released

    def requeue(self, delivery_id: str) -> bool:
        """Run a finished delivery (failed, shed, ignored or done) again from a clean attempt count."""
        with self.db.write() as conn:
            return (
                conn.execute(
                    update(DELIVERIES)
                    .where(_delivery.delivery_id == delivery_id, _delivery.state.in_(RERUNNABLE))
                    .values(state=State.PENDING, attempts=0, next_attempt_at=self.clock(), finished_at=None)
                ).rowcount
                == 1
            )

    def sweep(self, stale_after_s: float, limit: int = 500) -> list[str]:
        """Deliveries to enqueue again: leases that expired (their worker died) and pending rows that have
        been due for `stale_after_s` (their queue message was lost). Each stale row is stamped so the next
        sweep leaves it alone for another `stale_after_s`. Leases that expired `max_attempts` times fail."""
        now = self.clock()
        stale = now - timedelta(seconds=stale_after_s)
        with self.db.write() as conn:
            expired = conn.execute(
                select(_delivery.delivery_id, _delivery.attempts)
                .where(_delivery.state == State.PROCESSING, _delivery.lease_until < now)
                .limit(limit)
            ).all()
            dead = [d for d, attempts in expired if attempts >= self.max_attempts]
            if dead:
                conn.execute(
                    update(DELIVERIES)
                    .where(_delivery.delivery_id.in_(dead))
                    .values(
                        state=State.FAILED,
                        lease_owner=None,
                        lease_until=None,
                        finished_at=now,
                        last_error=f"gave up: the worker stopped during each of {self.max_attempts} attempts",
                    )
                )
                conn.execute(delete(PR_LOCKS).where(_lock.owner.in_(dead)))
            due = list(
                conn.execute(
                    select(_delivery.delivery_id)
                    .where(_delivery.state == State.PENDING, _delivery.next_attempt_at < stale)
                    .order_by(_delivery.next_attempt_at)
                    .limit(limit)
                ).scalars()
            )
            if due:
                conn.execute(update(DELIVERIES).where(_delivery.delivery_id.in_(due)).values(next_attempt_at=now))
        return [d for d, _ in expired if d not in dead] + due

    def depth(self) -> int:
        """Queue depth for backpressure and metrics: deliveries waiting to be processed."""
        with self.db.read() as conn:
            waiting = select(func.count()).select_from(DELIVERIES).where(_delivery.state == State.PENDING)
            return int(conn.execute(waiting).scalar_one())

    def counts(self) -> dict[str, int]:
        """Number of deliveries in each state (every state present, zero included)."""
        with self.db.read() as conn:
            rows = conn.execute(select(_delivery.state, func.count()).group_by(_delivery.state)).all()
        return {state: 0 for state in State} | {state: int(n) for state, n in rows}

    def known(self, delivery_ids: Sequence[str]) -> set[str]:
        """Which of these delivery ids are in the inbox (in any state)."""
        with self.db.read() as conn:
            found = select(_delivery.delivery_id).where(_delivery.delivery_id.in_(list(delivery_ids)))
            return set(conn.execute(found).scalars())

    def get(self, delivery_id: str) -> Delivery | None:
        with self.db.session() as session:
            return session.get(Delivery, delivery_id)


class _Rollback(Exception):
    pass
