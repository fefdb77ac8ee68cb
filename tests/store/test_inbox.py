"""The inbox on SQLite and on the real PostgreSQL: atomic claims, leases, retries, sweeps (recording a delivery
is tests/store/test_recording.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from ghapp.store.database import Database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import BUSY, Claim, Inbox, backoff_delay
from ghapp.store.recording import NewDelivery


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def new(
    delivery_id: str,
    *,
    repo: str | None = "o/r",
    pr: int | None = 1,
    state: str = DeliveryState.PENDING,
    payload: str = '{"action": "opened"}',
) -> NewDelivery:
    return NewDelivery(delivery_id, "pull_request", "opened", 7, repo, pr, payload, state)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def inbox(db: Database, clock: Clock) -> Inbox:
    return Inbox(db, max_attempts=3, clock=clock, rand=lambda: 0.5)


def test_a_delivery_recorded_as_ignored_is_finished_and_not_claimable(inbox: Inbox) -> None:
    inbox.record(new("d1", state=DeliveryState.IGNORED))
    row = inbox.get("d1")
    assert row is not None and row.finished_at is not None
    assert inbox.claim("d1", "w", 60) is None
    assert inbox.depth() == 0


def test_claim_leases_once_until_the_lease_expires(inbox: Inbox, clock: Clock) -> None:
    inbox.record(new("d1"))
    claim = inbox.claim("d1", "worker-a", 60)
    assert isinstance(claim, Claim)
    assert (claim.event, claim.action, claim.repository, claim.pr_number, claim.attempts) == (
        "pull_request",
        "opened",
        "o/r",
        1,
        1,
    )
    assert claim.received_at == clock.now
    assert inbox.claim("d1", "worker-b", 60) is None
    clock.advance(61)
    second = inbox.claim("d1", "worker-b", 60)
    assert isinstance(second, Claim) and second.attempts == 2
    assert inbox.complete("d1", "worker-a", 5.0) is False  # the old lease is gone
    assert inbox.complete("d1", "worker-b", 5.0) is True
    row = inbox.get("d1")
    assert row is not None and (row.state, row.lease_owner, row.duration_ms) == (DeliveryState.DONE, None, 5.0)
    assert inbox.claim("d1", "worker-c", 60) is None


def test_unknown_delivery_is_not_claimable(inbox: Inbox) -> None:
    assert inbox.claim("nope", "w", 60) is None


def test_work_on_one_pull_request_is_serialised(inbox: Inbox, clock: Clock) -> None:
    inbox.record_many([new("a"), new("b"), new("other", pr=2), new("no-pr", pr=None)])
    assert isinstance(inbox.claim("a", "w1", 60), Claim)
    assert inbox.claim("b", "w2", 60) is BUSY
    row = inbox.get("b")
    assert row is not None and (row.state, row.attempts) == (DeliveryState.PENDING, 0)  # the busy claim changed nothing
    assert isinstance(inbox.claim("other", "w2", 60), Claim)
    assert isinstance(inbox.claim("no-pr", "w3", 60), Claim)
    inbox.postpone("b", 5)
    assert inbox.claim("b", "w2", 60) is None  # not due yet
    inbox.complete("a", "w1", 1.0)
    clock.advance(5)
    assert isinstance(inbox.claim("b", "w2", 60), Claim)


def test_a_pull_request_lock_of_a_dead_worker_expires_with_its_lease(inbox: Inbox, clock: Clock) -> None:
    inbox.record_many([new("a"), new("b")])
    inbox.claim("a", "w1", 30)
    clock.advance(10)
    assert inbox.extend("a", "w1", 30) is True
    clock.advance(25)
    assert inbox.claim("b", "w2", 30) is BUSY  # the heartbeat kept the lock
    assert inbox.extend("a", "someone-else", 30) is False
    clock.advance(10)
    assert isinstance(inbox.claim("b", "w2", 30), Claim)


def test_fail_retries_with_backoff_then_gives_up_and_requeue_runs_it_again(inbox: Inbox, clock: Clock) -> None:
    inbox.record(new("d1"))
    delays = []
    for attempt in (1, 2):
        claim = inbox.claim("d1", "w", 60)
        assert isinstance(claim, Claim) and claim.attempts == attempt
        delay = inbox.fail("d1", "w", f"boom {attempt}")
        assert delay is not None
        delays.append(delay)
        row = inbox.get("d1")
        assert row is not None and row.state == DeliveryState.PENDING and row.last_error == f"boom {attempt}"
        assert inbox.claim("d1", "w", 60) is None  # waits for its backoff
        clock.advance(delay)
    assert delays == [backoff_delay(1, 0.5), backoff_delay(2, 0.5)]
    inbox.claim("d1", "w", 60)
    assert inbox.fail("d1", "w", "boom 3") is None
    row = inbox.get("d1")
    assert row is not None and row.state == DeliveryState.FAILED
    assert row.last_error == "gave up after 3 attempts: boom 3"
    assert inbox.claim("d1", "w", 60) is None
    assert inbox.requeue("d1") is True
    row = inbox.get("d1")
    assert row is not None and (row.state, row.attempts) == (DeliveryState.PENDING, 0)
    assert inbox.requeue("d1") is False  # already waiting
    assert isinstance(inbox.claim("d1", "w", 60), Claim)


def test_fail_of_an_unknown_or_lost_delivery_schedules_nothing(inbox: Inbox, clock: Clock) -> None:
    assert inbox.fail("nope", "w", "x") is None
    assert inbox.defer("nope", "w", 5, "x") is None
    inbox.record(new("d1"))
    inbox.claim("d1", "w1", 10)
    clock.advance(11)
    inbox.claim("d1", "w2", 10)
    assert inbox.fail("d1", "w1", "late") is None
    assert inbox.defer("d1", "w1", 5, "late") is None


def test_defer_does_not_count_an_attempt_until_the_horizon(inbox: Inbox, clock: Clock) -> None:
    inbox.record(new("d1"))
    first = inbox.claim("d1", "w", 60)
    assert isinstance(first, Claim) and not first.retried
    inbox.defer("d1", "w", 30, "rate limited")
    clock.advance(30)
    for _ in range(5):  # more than max_attempts
        again = inbox.claim("d1", "w", 60)
        assert isinstance(again, Claim) and again.attempts == 1 and again.retried  # the deferral left its reason
        assert inbox.defer("d1", "w", 30, "rate limited") == 30
        clock.advance(30)
    row = inbox.get("d1")
    assert row is not None and (row.state, row.attempts, row.last_error) == (DeliveryState.PENDING, 0, "rate limited")
    clock.advance(25 * 3600)
    inbox.claim("d1", "w", 60)
    delay = inbox.defer("d1", "w", 30, "rate limited")
    assert delay == backoff_delay(1, 0.5)
    row = inbox.get("d1")
    assert row is not None and row.attempts == 1 and row.last_error is not None
    assert row.last_error.startswith("still waiting after 1 day")


def test_sweep_finds_expired_leases_and_stalled_rows(inbox: Inbox, clock: Clock) -> None:
    inbox.record_many([new("leased", pr=1), new("stalled", pr=2), new("fresh", pr=3), new("dead", pr=4)])
    inbox.claim("leased", "w", 30)
    for _ in range(3):  # "dead" lost its worker on every attempt
        inbox.claim("dead", "w", 30)
        clock.advance(31)
    clock.advance(-31)
    inbox.record(new("fresh2", pr=5))
    clock.advance(31)
    swept = inbox.sweep(stale_after_s=60)
    assert sorted(swept) == ["fresh", "leased", "stalled"]
    dead = inbox.get("dead")
    assert dead is not None and dead.state == DeliveryState.FAILED
    assert "stopped during each of 3 attempts" in (dead.last_error or "")
    assert inbox.sweep(stale_after_s=60) == ["leased"]  # stalled rows were stamped; the lease is still expired
    assert isinstance(inbox.claim("leased", "w2", 30), Claim)


def test_depth_and_counts(inbox: Inbox) -> None:
    inbox.record_many([new("a", pr=1), new("b", pr=2), new("c", pr=3), new("i", state=DeliveryState.IGNORED)])
    inbox.claim("a", "w", 60)
    inbox.claim("b", "w", 60)
    inbox.complete("b", "w", 1.0, state=DeliveryState.SHED, note="shed: depth 5 over 1")
    assert inbox.depth() == 1
    assert inbox.counts() == {
        DeliveryState.PENDING: 1,
        DeliveryState.PROCESSING: 1,
        DeliveryState.DONE: 0,
        DeliveryState.FAILED: 0,
        DeliveryState.IGNORED: 1,
        DeliveryState.SHED: 1,
    }
    row = inbox.get("b")
    assert row is not None and row.last_error == "shed: depth 5 over 1"


def test_concurrent_claims_of_one_delivery_have_one_winner(db: Database) -> None:
    inbox = Inbox(db)
    inbox.record(new("race"))
    results: list[object] = []
    barrier = threading.Barrier(6)

    def claim(i: int) -> None:
        barrier.wait()
        results.append(inbox.claim("race", f"w{i}", 60))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, Claim) for r in results) == 1
    assert results.count(None) == 5


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (1, 0.0, 1.0),
        (1, 0.999999, 1.999999),
        (2, 0.0, 2.0),
        (4, 0.5, 12.0),
        (9, 0.0, 150.0),
        (30, 0.0, 150.0),
        (0, 0.0, 1.0),
    ],
)
def test_backoff_doubles_is_capped_and_jittered(attempt: int, rand: float, expected: float) -> None:
    assert backoff_delay(attempt, rand) == pytest.approx(expected)
