"""Periodic duties: the sweeper through the worker, and the
missed-delivery job against the GitHub simulator (deliveries GitHub failed to send are asked for again)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest

from ghapp.app import create_app
from ghapp.clock import utcnow
from ghapp.github.errors import GitHubError
from ghapp.runtime.periodic import REDELIVER_LAST_RUN, prune_audit, redeliver_missed
from ghapp.runtime.queue import Queue
from ghapp.runtime.webhooks import WEBHOOK_PATH
from ghapp.runtime.worker import Worker
from ghapp.settings import Settings
from ghapp.store.app_state import read_value, write_value
from ghapp.store.audit import Entry, Filters, export, record
from ghapp.store.database import Database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox, NewDelivery
from tests.conftest import load_webhook
from tests.ghsim import GitHubSim


def test_the_sweeper_requeues_a_lost_delivery_once_per_interval(
    db: Database,
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(sweep_interval_s=1, lease_seconds=1)
    inbox, queue = Inbox(db), Queue.from_settings(settings)
    worker = Worker(settings, inbox, queue, handlers={}, periodic=False)
    inbox.record(NewDelivery("lost", "ping", None, None, None, None, "{}"))
    inbox.claim("lost", "dead-worker", 0.2)  # its worker dies: nothing in the queue any more
    asyncio.run(asyncio.sleep(0.3))
    assert asyncio.run(worker.sweep_once()) == ["lost"]
    assert asyncio.run(worker.sweep_once()) == []  # another sweep within the interval: skipped
    assert queue.dequeue() == "lost"


def test_missed_deliveries_are_redelivered_and_known_ones_are_not(
    db: Database,
    make_settings: Callable[..., Settings],
) -> None:
    sim = GitHubSim()
    settings = make_settings(
        **{k: getattr(sim.settings(), k) for k in ("app_id", "private_key", "github_api_url")},
        webhook_secret=sim.webhook_secret,
    )
    inbox = Inbox(db)
    app = create_app(settings, inbox=inbox, queue=Queue.from_settings(settings), run_worker=False)
    to_app = httpx.ASGITransport(app=app)
    url = "http://app.test" + WEBHOOK_PATH
    nowhere = "http://127.0.0.1:1" + WEBHOOK_PATH  # GitHub could not connect: a failed delivery
    body = load_webhook("installation", "created")
    # three events, three bodies (GitHub's differ; the same body under another delivery id is a replay)
    missed_body, recorded_body = body + b" ", body + b"  "

    async def scenario() -> tuple[list[str], list[str]]:
        await sim.asend_webhook(url, "installation", body, guid="delivered", transport=to_app)
        await sim.asend_webhook(nowhere, "installation", missed_body, guid="missed")
        # GitHub timed out on this one after we had committed it: nothing is missing
        inbox.record(NewDelivery("recorded", "installation", "created", None, None, None, recorded_body.decode()))
        await sim.asend_webhook(nowhere, "installation", recorded_body, guid="recorded")
        github = sim.github_app()
        first = await redeliver_missed(github, inbox)
        second = await redeliver_missed(github, inbox)
        await github.aclose()
        return first, second

    first, second = asyncio.run(scenario())
    assert first == ["missed"] and second == []
    row = inbox.get("missed")
    assert row is not None and row.state == DeliveryState.PENDING and json.loads(row.payload)["action"] == "created"
    redelivered = [d.guid for d in sim.state.deliveries if d.redelivery]
    assert redelivered == ["missed"]
    stored = read_value(db, REDELIVER_LAST_RUN)
    assert stored is not None and abs(utcnow() - datetime.fromisoformat(stored)) < timedelta(minutes=1)
    app.state.recorder.stop()


def test_a_github_outage_while_listing_leaves_the_last_run_alone(db: Database) -> None:
    sim = GitHubSim()
    sim.faults.add(r"/app/hook/deliveries", "5xx", count=None)
    write_value(db, REDELIVER_LAST_RUN, "2026-01-01T00:00:00+00:00")

    async def scenario() -> None:
        github = sim.github_app()
        try:
            await redeliver_missed(github, Inbox(db))
        finally:
            await github.aclose()

    with pytest.raises(GitHubError):
        asyncio.run(scenario())
    assert read_value(db, REDELIVER_LAST_RUN) == "2026-01-01T00:00:00+00:00"


def test_audit_events_past_retention_are_pruned_and_zero_keeps_them(db: Database) -> None:
    record(db, [Entry("decision", "acme/payments", 1)])
    later = utcnow() + timedelta(days=31)
    assert prune_audit(db, 0, now=later) == 0 and len(list(export(db, Filters()))) == 1
    assert prune_audit(db, 32, now=later) == 0
    assert prune_audit(db, 30, now=later) == 1 and list(export(db, Filters())) == []
