"""The job contract and its transport: what a handler receives (`JobContext`), how it asks to run later
(`Retry`), and the huey queue that carries delivery ids between the web tier and the workers.

huey delivers at most once (a task in flight when a worker dies is gone), so a message is only a hint:
the inbox row is the truth, and the sweeper enqueues again whatever a lost message left behind.
SQLite queue file by default (`GHAPP_QUEUE_PATH`), Redis when `GHAPP_REDIS_URL` is set.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.storage import SqliteStorage

from ghapp.settings import Settings
from ghapp.store.inbox import Claim, Inbox

if TYPE_CHECKING:
    from ghapp.github import GitHubApp, InstallationAPI
    from ghapp.observability import Metrics, Tracing

TASK_NAME = "ghapp.process_delivery"
log = logging.getLogger(__name__)


class Retry(Exception):
    """Raised by a handler: run this delivery again in `after_s` seconds. It does not count as a failed
    attempt (rate limits, GitHub asking us to wait), until the delivery is a day old."""

    def __init__(self, after_s: float, reason: str = "asked to retry later") -> None:
        super().__init__(reason)
        self.after_s = max(0.0, after_s)
        self.reason = reason


class NotConfigured(Exception):
    """A handler needed the GitHub App credentials and there are none yet."""


class Unprocessable(Exception):
    """The delivery itself can never be processed (it names no installation, say): it fails at once with the
    reason, visible and re-runnable, instead of burning every retry on the same answer."""


@dataclass(frozen=True)
class JobContext:
    """Everything a handler gets for one delivery. The payload is the raw JSON dict GitHub sent."""

    delivery: Claim
    settings: Settings
    store: Inbox  # `store.db.session()` / `store.db.write()` for the App's own tables
    github_app: GitHubApp | None
    final_attempt: bool = False  # the last try before the delivery is marked failed: publish an outcome
    log: logging.Logger = field(default=log)
    metrics: Metrics | None = None  # e.g. `observe_reports(reports, ctx.metrics, ctx.tracing)`
    tracing: Tracing | None = None

    @cached_property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.delivery.payload)
        return data

    @property
    def event(self) -> str:
        return self.delivery.event

    @property
    def action(self) -> str | None:
        return self.delivery.action

    @property
    def github(self) -> GitHubApp:
        if self.github_app is None:
            raise NotConfigured("the GitHub App credentials are not configured: open /setup")
        return self.github_app

    def installation(self) -> InstallationAPI:
        """The GitHub API as the installation that sent this delivery."""
        if self.delivery.installation_id is None:
            raise Unprocessable(f"delivery {self.delivery.delivery_id} carries no installation")
        return self.github.installation(self.delivery.installation_id)


Handler = Callable[[JobContext], Awaitable[None]]
HandlerTable = Mapping[tuple[str, str] | str, Handler]


def find_handler(handlers: HandlerTable, event: str, action: str | None) -> Handler | None:
    """The handler for (event, action), else the one for the whole event."""
    return (handlers.get((event, action)) if action else None) or handlers.get(event)


class _SqliteQueueStorage(SqliteStorage):  # type: ignore[misc]
    """huey's SQLite storage with `synchronous=NORMAL` (WAL: no fsync per commit, still crash-safe) instead of
    FULL: an fsync for every enqueue and dequeue cost more than the rest of the acknowledgement, and a
    message lost to a power cut is found again by the sweeper."""

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn


def _never_run(delivery_id: str) -> None:
    raise RuntimeError("deliveries are processed by ghapp.runtime.worker, not by huey's own consumer")


class Queue:
    """Delivery ids in a huey queue; delayed ones in huey's schedule until `promote_due` moves them."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._task = huey.task(name=TASK_NAME)(_never_run)

    @classmethod
    def from_settings(cls, settings: Settings, name: str | None = None) -> Queue:
        name = name or settings.queue_name
        if settings.redis_url:
            return cls(RedisHuey(name, url=settings.redis_url, results=False, read_timeout=1))
        return cls(SqliteHuey(name, filename=settings.queue_path, results=False, storage_class=_SqliteQueueStorage))

    def enqueue(self, delivery_id: str, delay_s: float = 0.0) -> None:
        if delay_s > 0:
            task = self._task.s(delivery_id)
            task.eta = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=delay_s)
            self.huey.add_schedule(task)
        else:
            self.huey.enqueue(self._task.s(delivery_id))

    def dequeue(self) -> str | None:
        """The next delivery id, or None when the queue is empty (Redis waits up to a second for one)."""
        task = self.huey.dequeue()
        if task is None:
            return None
        if not self.huey.ready_to_run(task):  # enqueued with an eta by another writer
            self.huey.add_schedule(task)
            return None
        return str(task.args[0])

    def promote_due(self) -> int:
        """Move scheduled ids whose time has come into the queue; returns how many."""
        due = self.huey.read_schedule()
        for task in due:
            self.huey.enqueue(task)
        return len(due)

    def size(self) -> int:
        return int(self.huey.pending_count())

    def ping(self) -> None:
        """Raise if the queue's storage cannot be reached."""
        self.huey.pending_count()
        self.huey.scheduled_count()

    def close(self) -> None:
        close = getattr(self.huey.storage, "close", None)
        if close is not None:
            close()
