"""The worker on SQLite (embedded queue) and on PostgreSQL with a Redis queue: outcomes, retries, deferrals,
shedding, PR serialisation, timeouts and heartbeats, and the run loop end to end."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ghapp.github import RetryPolicy
from ghapp.github.errors import GitHubUnavailable, RateLimited
from ghapp.handlers import low_value
from ghapp.runtime.jobs import HandlerTable, JobContext, Retry
from ghapp.runtime.queue import Queue
from ghapp.runtime.worker import DUTIES_INTERVAL_S, Worker, WorkerThread
from ghapp.settings import Settings
from ghapp.store.database import Database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Claim, Inbox, NewDelivery
from tests.conftest import REDIS_URL
from tests.ghsim import GitHubSim

pytestmark = pytest.mark.anyio


class Recorder:
    """A handler table whose handlers log what they saw."""

    def __init__(self) -> None:
        self.calls: list[JobContext] = []

    async def ok(self, ctx: JobContext) -> None:
        self.calls.append(ctx)

    async def boom(self, ctx: JobContext) -> None:
        self.calls.append(ctx)
        raise ValueError("handler broke")

    async def needs_installation(self, ctx: JobContext) -> None:
        self.calls.append(ctx)
        ctx.installation()

    async def later(self, ctx: JobContext) -> None:
        self.calls.append(ctx)
        raise Retry(30, "wait for it")

    async def rate_limited(self, ctx: JobContext) -> None:
        self.calls.append(ctx)
        raise RateLimited("secondary rate limit", retry_after_s=60, status=403)


def record(
    inbox: Inbox,
    delivery_id: str,
    *,
    event: str = "pull_request",
    action: str = "opened",
    pr: int | None = 1,
    payload: dict[str, Any] | None = None,
) -> None:
    inbox.record(NewDelivery(delivery_id, event, action, 9, "o/r", pr, json.dumps(payload or {"action": action})))


@pytest.fixture
def setup(db: Database, make_settings: Callable[..., Settings]) -> Iterator[Callable[..., tuple[Worker, Inbox, Queue]]]:
    """Workers on SQLite with the embedded queue, or scaled out: PostgreSQL with a Redis queue of its own."""
    queues: list[Queue] = []
    scaled = {} if db.is_sqlite else {"redis_url": REDIS_URL, "queue_name": f"ghapp-test-{uuid.uuid4().hex[:10]}"}

    def build(handlers: HandlerTable, **overrides: Any) -> tuple[Worker, Inbox, Queue]:
        settings = make_settings(**{**scaled, **overrides})
        inbox = Inbox(db, max_attempts=settings.max_attempts)
        queue = Queue.from_settings(settings)
        queues.append(queue)
        return Worker(settings, inbox, queue, handlers=handlers, sheddable=low_value, periodic=False), inbox, queue

    yield build
    for queue in queues:
        if scaled:
            queue.huey.flush()
        queue.close()


async def test_a_handled_delivery_is_done_once(setup: Callable[..., tuple[Worker, Inbox, Queue]]) -> None:
    h = Recorder()
    worker, inbox, _ = setup({("pull_request", "opened"): h.ok})
    record(inbox, "d1", payload={"action": "opened", "number": 1})
    assert await worker.process("d1") == "done"
    assert await worker.process("d1") == "skipped"
    assert len(h.calls) == 1
    ctx = h.calls[0]
    assert ctx.payload == {"action": "opened", "number": 1} and ctx.delivery.attempts == 1
    assert ctx.final_attempt is False and ctx.inbox is inbox
    row = inbox.get("d1")
    assert row is not None and row.state == DeliveryState.DONE
    assert row.duration_ms is not None and row.finished_at is not None


async def test_failures_retry_with_backoff_then_fail_visibly(
    setup: Callable[..., tuple[Worker, Inbox, Queue]],
) -> None:
    h = Recorder()
    worker, inbox, queue = setup({"pull_request": h.boom}, max_attempts=2)
    record(inbox, "d1")
    assert await worker.process("d1") == "retry"
    row = inbox.get("d1")
    assert row is not None
    assert (row.state, row.attempts, row.last_error) == (DeliveryState.PENDING, 1, "ValueError: handler broke")
    assert queue.huey.scheduled_count() == 1  # the retry waits in the schedule
    inbox.postpone("d1", -10)  # skip the backoff
    assert await worker.process("d1") == "failed"
    assert [c.final_attempt for c in h.calls] == [False, True]
    row = inbox.get("d1")
    assert row is not None and row.state == DeliveryState.FAILED
    assert row.last_error == "gave up after 2 attempts: ValueError: handler broke"


async def test_a_delivery_that_can_never_be_processed_fails_at_once(
    setup: Callable[..., tuple[Worker, Inbox, Queue]],
) -> None:
    h = Recorder()
    worker, inbox, queue = setup({"pull_request": h.needs_installation}, max_attempts=8)
    inbox.record(NewDelivery("d1", "pull_request", "opened", None, "o/r", 1, json.dumps({"action": "opened"})))
    assert await worker.process("d1") == "failed"
    assert len(h.calls) == 1 and queue.huey.scheduled_count() == 0
    row = inbox.get("d1")
    assert row is not None and row.state == DeliveryState.FAILED and row.attempts == 1
    assert row.last_error == "delivery d1 carries no installation"


@pytest.mark.parametrize("kind", ["later", "rate_limited"])
async def test_retry_and_rate_limits_defer_without_counting(
    setup: Callable[..., tuple[Worker, Inbox, Queue]],
    kind: str,
) -> None:
    h = Recorder()
    worker, inbox, queue = setup({"pull_request": getattr(h, kind)}, max_attempts=1)
    record(inbox, "d1")
    for _ in range(3):
        assert await worker.process("d1") == "deferred"
        row = inbox.get("d1")
        assert row is not None and row.state == DeliveryState.PENDING and row.attempts == 0
        inbox.postpone("d1", -1)
    assert queue.huey.scheduled_count() == 3


async def test_events_without_a_handler_are_ignored(setup: Callable[..., tuple[Worker, Inbox, Queue]]) -> None:
    worker, inbox, _ = setup({})
    record(inbox, "d1")
    assert await worker.process("d1") == "ignored"
    row = inbox.get("d1")
    assert row is not None and row.state == DeliveryState.IGNORED and row.last_error == "no handler"


async def test_low_value_events_are_shed_over_the_depth_limit(
    setup: Callable[..., tuple[Worker, Inbox, Queue]],
) -> None:
    h = Recorder()
    worker, inbox, _ = setup({"pull_request": h.ok, "push": h.ok}, queue_depth_limit=1)
    record(inbox, "label", action="labeled", pr=1)
    record(inbox, "open", action="opened", pr=2)
    record(
        inbox,
        "push-feature",
        event="push",
        action="",
        pr=None,
        payload={"ref": "refs/heads/feature", "repository": {"default_branch": "main"}},
    )
    record(inbox, "waiting", action="opened", pr=3)
    assert await worker.process("label") == "shed"
    assert await worker.process("open") == "done"  # over the limit too, but not low value
    worker._depth = (0.0, 0)  # forget the cached depth
    assert await worker.process("push-feature") == "done"  # one waiting: not over the limit any more
    row = inbox.get("label")
    assert row is not None and row.state == DeliveryState.SHED
    assert row.last_error == "shed: 3 deliveries waiting, over the limit of 1"


async def test_a_busy_pull_request_postpones_the_delivery(setup: Callable[..., tuple[Worker, Inbox, Queue]]) -> None:
    h = Recorder()
    worker, inbox, queue = setup({"pull_request": h.ok})
    record(inbox, "first")
    record(inbox, "second")
    assert isinstance(inbox.claim("first", "other-worker", 60), Claim)
    assert await worker.process("second") == "busy"
    assert h.calls == [] and queue.huey.scheduled_count() == 1
    row = inbox.get("second")
    assert row is not None and row.state == DeliveryState.PENDING and row.attempts == 0
    assert await worker.process("second") == "skipped"  # not due yet


async def test_a_job_over_its_time_limit_is_cancelled_and_retried(
    setup: Callable[..., tuple[Worker, Inbox, Queue]],
) -> None:
    async def hang(ctx: JobContext) -> None:
        await asyncio.sleep(30)

    worker, inbox, _ = setup({"pull_request": hang}, job_timeout_s=1)
    record(inbox, "d1")
    assert await worker.process("d1") == "retry"
    row = inbox.get("d1")
    assert row is not None and row.last_error == "TimeoutError"


async def test_the_heartbeat_keeps_a_long_job_leased(setup: Callable[..., tuple[Worker, Inbox, Queue]]) -> None:
    seen: list[Any] = []

    async def slow(ctx: JobContext) -> None:
        await asyncio.sleep(2.5)
        seen.append(ctx.inbox.claim(ctx.delivery.delivery_id, "thief", 60))  # the lease must still hold

    worker, inbox, _ = setup({"pull_request": slow}, lease_seconds=1)
    record(inbox, "d1")
    assert await worker.process("d1") == "done"
    assert seen == [None]


async def test_the_run_loop_processes_everything_and_serialises_each_pull_request(
    setup: Callable[..., tuple[Worker, Inbox, Queue]],
) -> None:
    running: Counter[int] = Counter()
    overlaps: list[int] = []
    done: list[str] = []

    async def handler(ctx: JobContext) -> None:
        pr = ctx.delivery.pr_number or 0
        running[pr] += 1
        if running[pr] > 1:
            overlaps.append(pr)
        await asyncio.sleep(0.02)
        running[pr] -= 1
        done.append(ctx.delivery.delivery_id)

    worker, inbox, queue = setup({"pull_request": handler}, workers=4)
    worker.periodic = True  # scheduled (busy) ids must come back
    ids = [f"d{i}" for i in range(24)]
    for i, delivery_id in enumerate(ids):
        record(inbox, delivery_id, pr=i % 3)
        queue.enqueue(delivery_id)
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    for _ in range(1200):  # each busy round waits BUSY_DELAY_S; a loaded CI box needs the room
        if inbox.counts()[DeliveryState.DONE] == len(ids):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await run
    assert sorted(done) == sorted(ids) and overlaps == []


def test_the_worker_thread_starts_and_stops(setup: Callable[..., tuple[Worker, Inbox, Queue]]) -> None:
    h = Recorder()
    worker, inbox, queue = setup({"pull_request": h.ok})
    thread = WorkerThread(worker)
    thread.start()
    record(inbox, "d1")
    queue.enqueue("d1")
    worker.wake()
    for _ in range(100):
        row = inbox.get("d1")
        if row is not None and row.state == DeliveryState.DONE:
            break
        time.sleep(0.05)
    thread.stop()
    assert len(h.calls) == 1


async def test_a_github_outage_defers_the_delivery_until_github_is_back(
    setup: Callable[..., tuple[Worker, Inbox, Queue]],
) -> None:
    sim = GitHubSim()
    sim.state.create_installation("octo-org", installation_id=9)
    sim.state.create_repo("octo-org/hello")
    github = sim.github_app(policy=RetryPolicy(attempts=2, base_delay_s=0.01, breaker_threshold=100))
    fetched: list[str] = []

    async def needs_github(ctx: JobContext) -> None:
        repo = await ctx.installation().get_repo("octo-org", "hello")
        fetched.append(repo["full_name"])

    worker, inbox, _ = setup({"pull_request": needs_github})
    worker.github = lambda: github
    record(inbox, "d1")
    sim.faults.add(r"/repos/", "5xx", count=None, status=502)
    assert await worker.process("d1") == "deferred"
    row = inbox.get("d1")
    assert row is not None and row.state == DeliveryState.PENDING and row.attempts == 0
    assert "502" in (row.last_error or "")
    assert worker._paused_until > time.monotonic()  # the worker stops taking deliveries for a while
    sim.faults.clear()
    inbox.postpone("d1", -60)  # the deferral has run out
    assert await worker.process("d1") == "done"
    assert fetched == ["octo-org/hello"]
    await github.aclose()


async def test_a_paused_worker_takes_no_deliveries_until_the_pause_ends(
    setup: Callable[..., tuple[Worker, Inbox, Queue]],
) -> None:
    h = Recorder()
    worker, inbox, queue = setup({"pull_request": h.ok})
    record(inbox, "d1")
    queue.enqueue("d1")
    worker.pause(0.8)
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.4)
    assert h.calls == []
    for _ in range(100):
        if h.calls:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await run
    assert len(h.calls) == 1


async def test_while_the_github_circuit_is_open_the_worker_claims_nothing_and_catches_up_after(
    setup: Callable[..., tuple[Worker, Inbox, Queue]],
) -> None:
    """An outage: the token request keeps failing. Without holding off, each queued delivery would be claimed
    only to fail on the open circuit and be deferred again (a claim storm); with it, every claim during the
    outage is one probe GitHub actually received. After GitHub is back every delivery is processed once."""
    sim = GitHubSim()
    sim.state.create_installation("octo-org", installation_id=9)
    sim.state.create_repo("octo-org/hello")
    policy = RetryPolicy(attempts=1, breaker_threshold=2, breaker_cooldown_s=0.2)
    github = sim.github_app(policy=policy)
    fetched: list[str] = []

    async def needs_github(ctx: JobContext) -> None:
        try:
            await ctx.installation().get_repo("octo-org", "hello")
        except GitHubUnavailable as exc:  # as the enforcement guard does: a plain Retry, soon here
            raise Retry(0.05, str(exc)) from exc
        fetched.append(ctx.delivery.delivery_id)

    worker, inbox, queue = setup({"pull_request": needs_github}, workers=1)
    worker.github = lambda: github
    claims: Counter[str] = Counter()
    claim = inbox.claim

    def counted(delivery_id: str, *args: Any, **kwargs: Any) -> Any:
        claims[delivery_id] += 1
        return claim(delivery_id, *args, **kwargs)

    inbox.claim = counted  # type: ignore[method-assign]
    outage = sim.faults.add(r"/app/installations/", "5xx", count=None, status=502)
    ids = [f"d{i}" for i in range(30)]
    for i, delivery_id in enumerate(ids):
        record(inbox, delivery_id, pr=i + 1)
        queue.enqueue(delivery_id)
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    for _ in range(2000):  # until GitHub has refused four probes after the circuit opened
        if outage.hits >= 2 + 4:
            break
        await asyncio.sleep(0.01)
    assert outage.hits >= 6
    assert github.breaker().state != "closed" and worker.hold_off() > 0
    # Each claim reached GitHub: two opened the circuit, the others were one probe per cool-down.
    assert sum(claims.values()) <= outage.hits + 1  # (+1: a probe may be in flight)
    assert sum(claims.values()) < len(ids) and fetched == []
    sim.faults.clear()
    for _ in range(2000):
        if len(fetched) == len(ids):
            break
        queue.promote_due()  # the periodic duties' job (off in these tests): deferred ids back in the queue
        worker.wake()
        await asyncio.sleep(0.01)
    stop.set()
    await run
    await github.aclose()
    assert sorted(fetched) == sorted(ids)
    for delivery_id in ids:
        row = inbox.get(delivery_id)
        assert row is not None and row.state == DeliveryState.DONE and row.attempts == 1


async def test_wakes_after_committed_batches_do_not_run_the_periodic_duties_each_time(
    setup: Callable[..., tuple[Worker, Inbox, Queue]],
) -> None:
    """The web tier wakes the worker after every committed batch (hundreds a second under a burst); the
    periodic duties (promote scheduled ids, sweep, ...) still run once a second, not once per wake."""
    worker, _, queue = setup({})
    worker.periodic = True
    promoted = 0
    promote = queue.promote_due

    def counted() -> int:
        nonlocal promoted
        promoted += 1
        return promote()

    queue.promote_due = counted  # type: ignore[method-assign]
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    started = time.monotonic()
    for _ in range(300):
        worker.wake()
        await asyncio.sleep(0.001)
    elapsed = time.monotonic() - started
    stop.set()
    await run
    assert promoted <= 2 + elapsed / DUTIES_INTERVAL_S  # 300 wakes, a duty round per second at most
