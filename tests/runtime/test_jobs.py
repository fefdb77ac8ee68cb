"""The job contract and its transport: the huey queue on SQLite and on the real Redis, JobContext, Retry."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from ghapp.runtime.jobs import JobContext, NotConfigured, Queue, Retry, Unprocessable, find_handler
from ghapp.settings import Settings
from ghapp.store.database import Database
from ghapp.store.inbox import Claim, Inbox, NewDelivery


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queue(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Iterator[Queue]:
    if request.param == "redis":
        settings = make_settings(redis_url=request.getfixturevalue("redis_url"))
        q = Queue.from_settings(settings, name=f"ghapp-test-{uuid.uuid4().hex[:10]}")
    else:
        q = Queue.from_settings(make_settings())
    yield q
    q.huey.flush()
    q.close()


def test_queue_carries_delivery_ids_in_order(queue: Queue) -> None:
    assert queue.dequeue() is None
    for delivery_id in ("a", "b", "c"):
        queue.enqueue(delivery_id)
    assert queue.size() == 3
    assert [queue.dequeue(), queue.dequeue(), queue.dequeue()] == ["a", "b", "c"]
    assert queue.size() == 0
    queue.ping()


def test_delayed_ids_wait_in_the_schedule_until_due(queue: Queue) -> None:
    queue.enqueue("later", delay_s=0.4)
    queue.enqueue("much-later", delay_s=60)
    assert queue.promote_due() == 0
    assert queue.dequeue() is None
    time.sleep(0.5)
    assert queue.promote_due() == 1
    assert queue.dequeue() == "later"
    assert queue.huey.scheduled_count() == 1


def test_a_task_dequeued_before_its_time_goes_back_to_the_schedule(queue: Queue) -> None:
    task = queue._task.s("early")
    task.eta = datetime(2999, 1, 1)
    queue.huey.enqueue(task)
    assert queue.dequeue() is None
    assert queue.huey.scheduled_count() == 1


def test_the_huey_consumer_is_not_used_to_run_deliveries(queue: Queue) -> None:
    with pytest.raises(RuntimeError, match=r"processed by ghapp\.runtime\.worker"):
        queue._task.func("x")


@pytest.mark.redis
def test_an_unreachable_redis_fails_the_ping(make_settings: Callable[..., Settings]) -> None:
    q = Queue.from_settings(make_settings(redis_url="redis://127.0.0.1:1/0"))
    with pytest.raises(Exception, match=r"(?i)connect"):
        q.ping()


def test_sqlite_queue_survives_a_restart(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    first = Queue.from_settings(settings)
    first.enqueue("kept")
    first.close()
    second = Queue.from_settings(settings)
    assert second.dequeue() == "kept"
    second.close()


def claim_for(db: Database, payload: dict[str, Any], *, installation_id: int | None = 9) -> Claim:
    inbox = Inbox(db)
    inbox.record(NewDelivery("d1", "pull_request", "opened", installation_id, "o/r", 1, json.dumps(payload)))
    claim = inbox.claim("d1", "w", 60)
    assert isinstance(claim, Claim)
    return claim


def test_job_context_reads_the_payload_and_refuses_github_without_credentials(
    db: Database, make_settings: Callable[..., Settings],
) -> None:
    claim = claim_for(db, {"action": "opened", "number": 1}, installation_id=None)
    ctx = JobContext(delivery=claim, settings=make_settings(), store=Inbox(db), github_app=None)
    assert ctx.payload == {"action": "opened", "number": 1}
    assert (ctx.event, ctx.action) == ("pull_request", "opened")
    with pytest.raises(NotConfigured, match="/setup"):
        _ = ctx.github
    with pytest.raises(Unprocessable, match="carries no installation"):
        ctx.installation()


def test_job_context_gives_the_installation_api(db: Database, make_settings: Callable[..., Settings]) -> None:
    from tests.ghsim import GitHubSim  # noqa: PLC0415

    sim = GitHubSim()
    claim = claim_for(db, {"action": "opened"})
    ctx = JobContext(delivery=claim, settings=sim.settings(), store=Inbox(db), github_app=sim.github_app())
    assert ctx.github is ctx.github_app
    assert ctx.installation().installation_id == 9


def test_retry_carries_its_delay_and_reason() -> None:
    retry = Retry(30, "rate limited")
    assert (retry.after_s, retry.reason, str(retry)) == (30, "rate limited", "rate limited")
    assert Retry(-5).after_s == 0


async def _noop(ctx: JobContext) -> None:
    return None


async def _other(ctx: JobContext) -> None:
    return None


@pytest.mark.parametrize(("event", "action", "expected"), [
    ("pull_request", "opened", _noop), ("pull_request", "closed", _other), ("push", None, _other),
    ("ping", None, None), ("ping", "x", None),
])
def test_find_handler_prefers_the_action_row(event: str, action: str | None, expected: object) -> None:
    table = {("pull_request", "opened"): _noop, "pull_request": _other, "push": _other}
    assert find_handler(table, event, action) is expected


def test_the_sqlite_queue_commits_without_an_fsync_each(make_settings: Callable[..., Settings]) -> None:
    q = Queue.from_settings(make_settings())
    q.enqueue("x")
    assert q.huey.storage.conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    assert q.huey.storage.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    q.close()
