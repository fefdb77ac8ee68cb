"""Faults under the worker: the database failing in the middle of the job loop, a queue that cannot be
read. Whatever fails, the worker keeps its slots and every accepted delivery is processed once the fault
clears."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ghapp.runtime.jobs import JobContext
from ghapp.runtime.queue import Queue
from ghapp.runtime.worker import BOOK_RETRIES_S, Worker
from ghapp.settings import Settings
from ghapp.store.database import Database, StoreUnavailable
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox, NewDelivery
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world
from tests.ghsim import GitHubSim
from tests.paths import ROOT
from tests.reliability.app_under_test import serving

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
            raise StoreUnavailable("the database is unavailable: server closed the connection unexpectedly")
        return self.inner(*args, **kwargs)


@pytest.mark.parametrize("method", ["claim", "complete"])
async def test_a_database_error_outside_the_handler_does_not_stop_the_worker(
    db: Database, make_settings: Callable[..., Settings], method: str
) -> None:
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
        if all((row := inbox.get(d)) is not None and row.state == DeliveryState.DONE for d in ids):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await run
    assert flaky.raised == 1
    assert {d: getattr(inbox.get(d), "state", None) for d in ids} == dict.fromkeys(ids, DeliveryState.DONE)
    assert set(seen) == set(ids)
    queue.close()


@pytest.mark.parametrize("method", ["complete", "fail"])
async def test_an_outcome_write_cut_by_the_database_is_retried_not_left_to_the_lease(
    db: Database, make_settings: Callable[..., Settings], method: str
) -> None:
    """With a 10-minute lease, a finished job whose outcome write met a dropped connection would otherwise
    sit leased for ten minutes: the write is tried again as soon as the pool reconnects."""
    settings = make_settings(lease_seconds=600, max_attempts=1)
    inbox = Inbox(db, max_attempts=1)
    queue = Queue.from_settings(settings)

    async def handler(ctx: JobContext) -> None:
        if method == "fail":
            raise ValueError("the handler failed")

    worker = Worker(settings, inbox, queue, handlers={"ping": handler}, concurrency=1, periodic=False)
    flaky = Flaky(getattr(inbox, method), times=2)
    setattr(inbox, method, flaky)
    _record(inbox, "cut")
    outcome = await worker.process("cut")
    # recorded by the time process() returns, the lease released: nothing is left for the lease to expire
    row = inbox.get("cut")
    assert row is not None
    expected = DeliveryState.DONE if method == "complete" else DeliveryState.FAILED
    assert (row.state, row.lease_owner) == (expected, None), outcome
    assert flaky.raised == 2
    assert sum(BOOK_RETRIES_S[:2]) < settings.lease_seconds / 100  # the retries waited seconds, not the lease
    queue.close()


class LostReply:
    """Wraps Inbox.claim: the first call is carried out, then the reply is lost (the connection drops)."""

    def __init__(self, inner: Callable[..., Any]) -> None:
        self.inner, self.lost = inner, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self.inner(*args, **kwargs)
        if self.lost == 0:
            self.lost += 1
            raise StoreUnavailable("the database is unavailable: OperationalError: server closed the connection")
        return result


async def test_a_claim_whose_reply_was_lost_is_given_back_not_left_to_the_lease(
    db: Database, make_settings: Callable[..., Settings]
) -> None:
    """The claim committed, its reply never came: without giving the lease back the delivery would wait for
    the 10-minute lease to expire."""
    settings = make_settings(lease_seconds=600, sweep_interval_s=600)
    inbox = Inbox(db, max_attempts=settings.max_attempts)
    queue = Queue.from_settings(settings)
    seen: list[str] = []

    async def handler(ctx: JobContext) -> None:
        seen.append(ctx.delivery.delivery_id)

    worker = Worker(settings, inbox, queue, handlers={"ping": handler}, concurrency=1)
    lost = LostReply(inbox.claim)
    inbox.claim = lost  # type: ignore[method-assign]
    _record(inbox, "lost-reply")
    queue.enqueue("lost-reply")
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop, grace_s=2))
    for _ in range(100):
        row = inbox.get("lost-reply")
        if row is not None and row.state == DeliveryState.DONE:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await run
    row = inbox.get("lost-reply")
    assert lost.lost == 1 and row is not None and row.state == DeliveryState.DONE and row.attempts == 1
    assert seen == ["lost-reply"]
    queue.close()


# --- a worker process SIGKILLed in the middle of a pull-request job --------------------------------------


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "GHAPP_APP_ID": settings.app_id,
        "GHAPP_PRIVATE_KEY": settings.private_key,
        "GHAPP_WEBHOOK_SECRET": settings.webhook_secret,
        "GHAPP_GITHUB_API_URL": settings.github_api_url,
        "GHAPP_DATABASE_URL": settings.database_url,
        "GHAPP_QUEUE_PATH": settings.queue_path,
        "GHAPP_DATA_DIR": str(settings.data_dir),
        "GHAPP_LEASE_SECONDS": "3",
        "GHAPP_SWEEP_INTERVAL_S": "1",
        "GHAPP_WORKERS": "1",
        "GHAPP_LOG_LEVEL": "WARNING",
        "GHAPP_PUBLIC_URL": settings.public_url,
        "PYTHONPATH": str(ROOT),
    }  # the test handler table lives in tests/
    if settings.redis_url:
        env["GHAPP_REDIS_URL"] = settings.redis_url
        env["GHAPP_QUEUE_NAME"] = settings.queue_name
    return {**env, **extra}


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                str(Path(sys.executable).parent / "ghapp"),
                "worker",
                "--handlers",
                "tests.reliability.slow_handlers:handlers",
            ],
            env=worker_env(settings),
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


# kill point -> how many of the job's requests GitHub must have seen first
KILL_POINTS = {
    "after the first check run was created": ("POST", r"/check-runs$", 1),
    "after all six were created, before the review request": ("POST", r"/check-runs$", 6),
    "while the tools run": ("GET", r"/_codeload/", 1),
}


@pytest.mark.slow
def test_a_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    with GitHubSim() as sim:
        build_world(sim)
        with serving(sim, tmp_path, runners=(), run_worker=False) as app:
            settings: Settings = app.app.state.runtime.settings
            log = tmp_path / "worker.log"
            pulls = []
            for point, (method, route, seen) in KILL_POINTS.items():
                pull = sim.state.create_pull(
                    REPO,
                    changes={"billing/charge.py": CHARGE_AI + f"# {point}\n"},
                    messages=[AI_MESSAGE],
                    body=AI_BODY,
                    user="alice",
                    title=point,
                )
                before = len(sim.state.requests(method, route))
                worker = start_worker(settings, log)
                assert (
                    sim.send_webhook(app.url, "pull_request", sim.payloads.pull_request(REPO, pull.number)).status_code
                    == 202
                )

                def reached(m: str = method, r: str = route, b: int = before, n: int = seen) -> bool:
                    return len(sim.state.requests(m, r)) - b >= n

                wait_until(reached, 30, point)
                worker.send_signal(signal.SIGKILL)
                worker.wait(10)
                pulls.append((point, pull))
            survivor = start_worker(settings, log)
            try:
                inbox: Inbox = app.app.state.inbox
                wait_until(
                    lambda: inbox.counts()[DeliveryState.DONE] == len(KILL_POINTS), 90, "every delivery to be done"
                )
            finally:
                survivor.send_signal(signal.SIGTERM)
                survivor.wait(30)
    for point, pull in pulls:
        runs = Counter(r.name for r in sim.state.check_runs_for(REPO, pull.head_sha))
        assert set(runs.values()) == {1} and len(runs) == 6, f"{point}: {runs}"
        assert all(r.status == "completed" for r in sim.state.check_runs_for(REPO, pull.head_sha)), point
        asked = [
            r for r in sim.state.requests("POST", rf"/pulls/{pull.number}/requested_reviewers$") if r.status == 201
        ]
        assert len(asked) == 1, f"{point}: {len(asked)} review requests"
    assert inbox.counts()[DeliveryState.FAILED] == 0
