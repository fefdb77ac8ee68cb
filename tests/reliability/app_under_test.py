"""The App served over HTTP against the GitHub simulator, tuned for fault tests: short retry back-offs and a
circuit breaker that cools down in a fraction of a second, plus `fast_forward` (the waits GitHub asked for
are over) and `settle` (run until every accepted delivery is finished, fast-forwarding deferred ones)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ghapp.app import create_app
from ghapp.enforcement import Enforcer
from ghapp.github import GitHubApp
from ghapp.github.retry import RetryPolicy
from ghapp.handlers import build_handlers
from ghapp.runners import Runner
from ghapp.store.deliveries import DeliveryState
from tests.e2e.harness import AppServer, app_settings
from tests.ghsim import GitHubSim

FAST = RetryPolicy(
    base_delay_s=0.02, max_delay_s=0.1, total_wait_cap_s=0.3, rate_limit_wait_cap_s=2.0, breaker_cooldown_s=0.3
)


@contextmanager
def serving(
    sim: GitHubSim,
    tmp_path: Path,
    *,
    runners: Sequence[Runner],
    policy: RetryPolicy = FAST,
    run_worker: bool = True,
    **overrides: Any,
) -> Iterator[AppServer]:
    """With `run_worker=False` the web tier only records and enqueues: worker processes do the rest."""
    settings = app_settings(sim, tmp_path, **overrides)
    github = GitHubApp(settings, policy=policy)
    handlers = build_handlers(Enforcer(runners=runners))
    server = AppServer(create_app(settings, github=github, handlers=handlers, run_worker=run_worker)).start()
    try:
        yield server
    finally:
        server.stop()
        server.app.state.inbox.db.engine.dispose()


def fast_forward(app: AppServer) -> int:
    """As if every wait were over: pending deliveries due now and enqueued. Returns how many."""
    inbox = app.app.state.inbox
    with inbox.db.engine.begin() as conn:
        ids = conn.execute(text("SELECT delivery_id FROM deliveries WHERE state = 'pending'")).scalars().all()
        conn.execute(
            text("UPDATE deliveries SET next_attempt_at = :now WHERE state = 'pending'"), {"now": inbox.clock()}
        )
    for delivery_id in ids:
        app.app.state.queue.enqueue(delivery_id)
    if app.app.state.worker is not None:
        app.app.state.worker.wake()
    return len(ids)


def settle(app: AppServer, timeout: float = 60.0) -> None:
    """Until no delivery is pending or processing; deferred ones are fast-forwarded once nothing runs."""
    inbox = app.app.state.inbox
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while True:
        counts = inbox.counts()
        if counts[DeliveryState.PENDING] == 0 and counts[DeliveryState.PROCESSING] == 0:
            return
        assert time.monotonic() < deadline, f"deliveries still waiting: {counts}"
        if counts[DeliveryState.PROCESSING] == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 0.15:  # waiting for a retry time: skip the wait
                fast_forward(app)
                quiet_since = None
        else:
            quiet_since = None
        time.sleep(0.02)
