"""Faults under the worker: the database failing in the middle of the job loop, a queue that cannot be
read. Whatever fails, the worker keeps its slots and every accepted delivery is processed once the fault
clears."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from ghapp.db import Database
from ghapp.inbox import DONE, Inbox, NewDelivery
from ghapp.jobs import JobContext, Queue
from ghapp.settings import Settings
from ghapp.worker import Worker

pytestmark = pytest.mark.anyio


def _record(inbox: Inbox, delivery_id: str) -> None:
    inbox.record(NewDelivery(delivery_id, "ping", None, None, None, None, json.dumps({"zen": delivery_id})))


class Flaky:
    """Wraps an Inbox method: the first `times` calls raise the error a dropped database connection gives."""

    def __init__(self, inner: Callable[..., Any], times: int) -> None:
        self.inner, self.left, self.raised = inner, times, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.left > 0:
            self.left -= 1
            self.raised += 1
            raise OperationalError("UPDATE deliveries ...", {}, Exception("server closed the connection unexpectedly"))
        return self.inner(*args, **kwargs)


@pytest.mark.parametrize("method", ["claim", "complete"])
async def test_a_database_error_outside_the_handler_does_not_stop_the_worker(
        db: Database, make_settings: Callable[..., Settings], method: str) -> None:
    settings = make_settings(sweep_interval_s=1, lease_seconds=2)
    inbox = Inbox(db, max_attempts=settings.max_attempts)
    queue = Queue.from_settings(settings)
    seen: list[str] = []

    async def handler(ctx: JobContext) -> None:
        seen.append(ctx.delivery.delivery_id)

    worker = Worker(settings, inbox, queue, handlers={"ping": handler}, concurrency=1)
    flaky = Flaky(getattr(inbox, method), times=1)
    setattr(inbox, method, flaky)
    ids = ["first", "second", "third"]
    for delivery_id in ids:
        _record(inbox, delivery_id)
        queue.enqueue(delivery_id)
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop, grace_s=2))
    for _ in range(200):  # the lost one comes back through the sweeper (stale pending row or expired lease)
        if all((row := inbox.get(d)) is not None and row.state == DONE for d in ids):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await run
    assert flaky.raised == 1
    assert {d: getattr(inbox.get(d), "state", None) for d in ids} == dict.fromkeys(ids, DONE)
    assert set(seen) == set(ids)
    queue.close()
