"""The worker: take delivery ids off the queue, claim the inbox row, run its handler, record the outcome;
and between jobs the periodic duties (scheduled ids, the sweeper, the missed-delivery job).

One asyncio loop per worker (handlers are async and talk to GitHub); blocking database and queue calls run
in the worker's own small thread pool. `ghapp worker` runs one in the foreground; `ghapp serve` runs one in
a background thread (WorkerThread) so a slow handler never delays a webhook acknowledgement.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from ghapp.github.errors import GitHubError, GitHubUnavailable, Reschedulable
from ghapp.observability import log_context
from ghapp.runtime.jobs import HandlerTable, JobContext, Retry, Unprocessable, find_handler
from ghapp.runtime.periodic import PRUNE_INTERVAL_S, prune_audit, redeliver_missed, sweep
from ghapp.runtime.queue import Queue
from ghapp.settings import Settings
from ghapp.store.app_state import take_turn
from ghapp.store.database import StoreUnavailable
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import BUSY, Claim, Inbox

if TYPE_CHECKING:
    from ghapp.github import GitHubApp
    from ghapp.observability import Metrics, Tracing

T = TypeVar("T")
log = logging.getLogger(__name__)
BUSY_DELAY_S = 3.0  # another delivery holds the pull request: look again this much later
POLL_MIN_S, POLL_MAX_S = 0.05, 1.0
DEPTH_CACHE_S = 1.0
DUTIES_INTERVAL_S = 1.0
BOOK_RETRIES_S = (0.2, 0.5, 1.0, 2.0)  # pauses between tries of an outcome write when the database drops out
MAX_PAUSE_S = 120.0
Sheddable = Callable[[str, str | None, Mapping[str, Any]], bool]  # (event, action, payload) -> may be dropped


class Worker:
    """Runs the deliveries of `handlers` (the table the composition root built). `sheddable` says which
    deliveries may be dropped when more than GHAPP_QUEUE_DEPTH_LIMIT wait (none unless given)."""

    def __init__(
        self,
        settings: Settings,
        inbox: Inbox,
        queue: Queue,
        *,
        handlers: HandlerTable,
        sheddable: Sheddable = lambda event, action, payload: False,
        github: Callable[[], GitHubApp | None] = lambda: None,
        concurrency: int | None = None,
        metrics: Metrics | None = None,
        periodic: bool = True,
        tracing: Tracing | None = None,
    ) -> None:
        self.settings = settings
        self.inbox = inbox
        self.queue = queue
        self.handlers = handlers
        self.sheddable = sheddable
        self.github = github
        self.concurrency = max(1, concurrency or settings.workers)
        self.metrics = metrics
        self.tracing = tracing
        self.periodic = periodic
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pool = ThreadPoolExecutor(self.concurrency * 2 + 2, thread_name_prefix="ghapp-worker")
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._depth = (0.0, 0)  # (monotonic time read, depth)
        self._paused_until = 0.0  # monotonic
        self._held = False  # holding off while the GitHub circuit is open (logged once per opening)

    async def _io(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(fn, *args, **kwargs))

    def pause(self, seconds: float) -> None:
        """Take no new deliveries for `seconds` (running ones finish): GitHub said it is unavailable."""
        until = time.monotonic() + min(seconds, MAX_PAUSE_S)
        if until > self._paused_until:
            log.warning("GitHub is unavailable: taking no deliveries for %.0f s", until - time.monotonic())
            self._paused_until = until

    def hold_off(self) -> float:
        """Seconds to take no new deliveries: a pause GitHub asked for, or while the GitHub client's circuit
        breaker is open (GitHub kept failing). Deliveries wait in the inbox meanwhile, none is claimed only to
        fail its token request and be deferred again; after the cool-down one probe decides, and the rest
        follow once GitHub answers."""
        wait = self._paused_until - time.monotonic()
        app = self.github()
        if app is not None:
            breaker = app.breaker().retry_in()
            if breaker > 0 and not self._held:
                log.warning("GitHub keeps failing (circuit open): taking no deliveries for %.0f s", breaker)
            self._held = breaker > 0
            wait = max(wait, breaker)
        return wait

    def wake(self) -> None:
        """Thread-safe: a delivery was just enqueued, stop waiting between polls."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def run(self, stop: asyncio.Event, grace_s: float = 30.0) -> None:
        """Work until `stop` is set, then let running jobs finish for up to `grace_s` (the rest are cancelled;
        their leases expire and the sweeper hands them to another worker)."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        tasks = [asyncio.create_task(self._slot(stop)) for _ in range(self.concurrency)]
        if self.periodic:
            tasks.append(asyncio.create_task(self._duties(stop)))
        await stop.wait()
        self._wake.set()
        _, pending = await asyncio.wait(tasks, timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        app = self.github()
        if app is not None:
            await app.aclose()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _idle(self, seconds: float) -> None:
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _slot(self, stop: asyncio.Event) -> None:
        delay = POLL_MIN_S
        while not stop.is_set():
            if (pause := self.hold_off()) > 0:
                # GitHub is down: leave the queue alone instead of cycling every delivery through a handler
                # that can only defer it again. Stop still ends the pause.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                continue
            try:
                delivery_id = await self._io(self.queue.dequeue)
            except Exception:
                log.exception("reading the queue failed")
                delivery_id = None
            if delivery_id is None:
                await self._idle(delay)
                delay = min(delay * 2, POLL_MAX_S)
                continue
            delay = POLL_MIN_S
            try:
                await self.process(delivery_id)
            except Exception:  # the database or queue failed around the handler: the row's lease or the
                # sweeper brings the delivery back; this slot must live on to take it
                log.exception("processing a delivery failed outside its handler", extra={"delivery_id": delivery_id})
                await self._idle(POLL_MAX_S)

    async def _duties(self, stop: asyncio.Event) -> None:
        s = self.settings
        last_sweep = last_redeliver = last_prune = -float("inf")
        while not stop.is_set():
            try:
                await self._io(self.queue.promote_due)
                now = time.monotonic()
                if now - last_sweep >= s.sweep_interval_s:
                    last_sweep = now
                    await self.sweep_once()
                if now - last_prune >= PRUNE_INTERVAL_S:
                    last_prune = now
                    if await self._io(take_turn, self.inbox.db, "audit-prune", PRUNE_INTERVAL_S * 0.9):
                        await self._io(prune_audit, self.inbox.db, s.audit_retention_days)
                app = self.github()
                if app is not None and now - last_redeliver >= s.redeliver_interval_s:
                    last_redeliver = now
                    if await self._io(take_turn, self.inbox.db, "redeliver", s.redeliver_interval_s * 0.9):
                        await redeliver_missed(app, self.inbox)
            except GitHubError as exc:  # GitHub down or the App misconfigured: the next run covers this one
                log.warning("the missed-delivery job could not reach GitHub: %s", exc)
            except Exception:
                log.exception("a periodic duty failed")
            # Once a second, not at every wake: the web tier wakes the worker after each committed batch.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), DUTIES_INTERVAL_S)

    async def sweep_once(self) -> list[str]:
        """Run the sweeper if no other worker did within the interval; enqueue what it found."""
        s = self.settings
        if not await self._io(take_turn, self.inbox.db, "sweep", s.sweep_interval_s * 0.8):
            return []
        ids = await self._io(sweep, self.inbox, max(2.0 * s.sweep_interval_s, 2.0))
        for delivery_id in ids:
            await self._io(self.queue.enqueue, delivery_id)
        return ids

    async def _queue_depth(self) -> int:
        read_at, depth = self._depth
        if time.monotonic() - read_at > DEPTH_CACHE_S:
            depth = await self._io(self.inbox.depth)
            self._depth = (time.monotonic(), depth)
        return depth

    async def process(self, delivery_id: str) -> str:
        """Run one delivery. Returns what happened: skipped, busy, ignored, shed, done, deferred, retry, failed."""
        try:
            claim = await self._io(self.inbox.claim, delivery_id, self.owner, self.settings.lease_seconds)
        except StoreUnavailable:
            # The connection may have dropped after the claim committed: a lease this worker holds without
            # knowing it would keep the delivery from everyone until it expires. Give it back, run it again.
            await self._give_back(delivery_id)
            raise
        if claim is None:
            return "skipped"  # done already, leased by another worker, or not due yet
        if claim is BUSY:
            await self._io(self.inbox.postpone, delivery_id, BUSY_DELAY_S)
            await self._io(self.queue.enqueue, delivery_id, BUSY_DELAY_S)
            return "busy"
        assert isinstance(claim, Claim)
        try:
            with log_context(
                delivery_id=delivery_id,
                event=claim.event,
                action=claim.action,
                repo=claim.repository,
                pr=claim.pr_number,
                installation_id=claim.installation_id,
            ):
                if self.tracing is None:
                    return await self._run(claim)
                with self.tracing.job(
                    delivery_id, event=claim.event, repo=claim.repository, pr=claim.pr_number, attempt=claim.attempts
                ) as span:
                    outcome = await self._run(claim)
                    span.set_attribute("ghapp.outcome", outcome)
                    return outcome
        except StoreUnavailable:  # the database dropped out around the handler (its outcome is recorded
            await self._give_back(delivery_id)  # when the write succeeds): run it again soon, not in 10 min
            raise

    async def _give_back(self, delivery_id: str) -> None:
        """Release a lease this worker may hold on `delivery_id` and queue the delivery again."""
        with contextlib.suppress(StoreUnavailable):
            if await self._book(self.inbox.release, delivery_id, self.owner):
                await self._io(self.queue.enqueue, delivery_id)

    async def _run(self, claim: Claim) -> str:
        handler = find_handler(self.handlers, claim.event, claim.action)
        if handler is None:
            await self._book(
                self.inbox.complete, claim.delivery_id, self.owner, 0.0, state=DeliveryState.IGNORED, note="no handler"
            )
            return "ignored"
        limit = self.settings.queue_depth_limit
        depth = await self._queue_depth()
        if depth > limit and self.sheddable(claim.event, claim.action, json.loads(claim.payload)):
            await self._book(
                self.inbox.complete,
                claim.delivery_id,
                self.owner,
                0.0,
                state=DeliveryState.SHED,
                note=f"shed: {depth} deliveries waiting, over the limit of {limit}",
            )
            return "shed"
        ctx = JobContext(
            delivery=claim,
            settings=self.settings,
            inbox=self.inbox,
            github_app=self.github(),
            final_attempt=claim.attempts >= self.inbox.max_attempts,
            log=log,
            metrics=self.metrics,
            tracing=self.tracing,
        )
        started = time.perf_counter()
        heartbeat = asyncio.create_task(self._heartbeat(claim.delivery_id))
        try:
            async with asyncio.timeout(self.settings.job_timeout_s):
                await handler(ctx)
        except (Retry, Reschedulable) as exc:
            after = exc.after_s if isinstance(exc, Retry) else exc.retry_after_s
            if isinstance(exc, GitHubUnavailable):
                self.pause(after)
            return await self._again(claim, "deferred", self.inbox.defer, after, str(exc))
        except Unprocessable as exc:
            log.warning("delivery cannot be processed: %s", exc)
            await self._book(
                self.inbox.complete, claim.delivery_id, self.owner, 0.0, state=DeliveryState.FAILED, note=str(exc)
            )
            self._count(claim.event, "failed")
            return "failed"
        except Exception as exc:
            # GitHub's own refusals (404, 422, bad credentials) say all there is to say in one line; anything
            # else is a bug worth its traceback.
            log.warning("handler failed: %s", exc, exc_info=not isinstance(exc, GitHubError))
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return await self._again(claim, "retry", self.inbox.fail, reason)
        finally:
            heartbeat.cancel()
        elapsed_ms = (time.perf_counter() - started) * 1000
        await self._book(self.inbox.complete, claim.delivery_id, self.owner, elapsed_ms)
        self._count(claim.event, "processed")
        return "done"

    async def _again(self, claim: Claim, outcome: str, record: Callable[..., float | None], *args: Any) -> str:
        delay = await self._book(record, claim.delivery_id, self.owner, *args)
        if delay is None:
            self._count(claim.event, "failed")
            return "failed"
        await self._io(self.queue.enqueue, claim.delivery_id, delay)
        return outcome

    async def _book(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Record a job's outcome. A database that just dropped its connections (a restart, a failover) gets
        a few short retries while the pool reconnects; otherwise the finished job would wait for its lease
        to expire (minutes) before anyone looks at it again. Each outcome write is conditional on the lease,
        so writing it twice changes nothing."""
        for pause in BOOK_RETRIES_S:
            try:
                return await self._io(fn, *args, **kwargs)
            except StoreUnavailable:
                log.warning("recording a job's outcome failed; trying again", exc_info=True)
                await asyncio.sleep(pause)
        return await self._io(fn, *args, **kwargs)

    async def _heartbeat(self, delivery_id: str) -> None:
        lease = self.settings.lease_seconds
        while True:
            await asyncio.sleep(max(0.5, lease / 3))
            if not await self._io(self.inbox.extend, delivery_id, self.owner, lease):
                log.warning("lease lost: another worker may be running this delivery")
                return

    def _count(self, event: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.delivery(event, outcome)


class WorkerThread:
    """A Worker in a background thread with its own event loop (the in-process worker of `ghapp serve`)."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="ghapp-worker", daemon=True)

    def _main(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            self._ready.set()
            await self.worker.run(self._stop, grace_s=10.0)

        asyncio.run(main())

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
