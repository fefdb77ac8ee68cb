"""The queue transport: the huey queue that carries delivery ids between the web tier and the workers.
The only module that imports huey.

huey delivers at most once (a task in flight when a worker dies is gone), so a message is only a hint:
the inbox row is the truth, and the sweeper enqueues again whatever a lost message left behind.
SQLite queue file by default (`GHAPP_QUEUE_PATH`), Redis when `GHAPP_REDIS_URL` is set.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.registry import Message
from huey.serializer import Serializer
from huey.storage import RedisStorage, SqliteStorage

from ghapp.clock import utcnow
from ghapp.credentials import create_private
from ghapp.runtime.queue_codec import DeliveryMessage, RefusedMessage, decode, encode
from ghapp.settings import Settings

TASK_NAME = "ghapp.process_delivery"
log = logging.getLogger(__name__)


class _SqliteQueueStorage(SqliteStorage):  # type: ignore[misc]
    """huey's SQLite storage with `synchronous=NORMAL` (WAL: no fsync per commit, still crash-safe) instead of
    FULL: an fsync for every enqueue and dequeue cost more than the rest of the acknowledgement, and a
    message lost to a power cut is found again by the sweeper."""

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn


class _DeliveryIdSerializer(Serializer):  # type: ignore[misc]
    """huey's serializer seam, JSON instead of pickle: a `Message` for our one task <-> `queue_codec` bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.task_name = ""  # set by the queue once its task is registered

    def _serialize(self, data: Any) -> bytes:
        args = data.args if isinstance(data, Message) else None
        if (
            data.name != self.task_name
            or not isinstance(args, tuple | list)
            or len(args) != 1
            or not isinstance(args[0], str)
            or data.kwargs
        ):
            raise RefusedMessage("only a delivery id is ever enqueued")
        return encode(DeliveryMessage(data.id, data.name, data.eta, args[0]))

    def _deserialize(self, data: bytes) -> Message:
        message = decode(data, self.task_name)
        return Message(message.task_id, message.name, message.eta, args=(message.delivery_id,), kwargs={})


def _never_run(delivery_id: str) -> None:
    raise RuntimeError("deliveries are processed by ghapp.runtime.worker, not by huey's own consumer")


class Queue:
    """Delivery ids in a huey queue; delayed ones in huey's schedule until `promote_due` moves them."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._task = huey.task(name=TASK_NAME)(_never_run)
        self._task_name = huey._registry.task_to_string(self._task.task_class)
        if isinstance(huey.serializer, _DeliveryIdSerializer):  # the one task name it lets through
            huey.serializer.task_name = self._task_name

    @classmethod
    def from_settings(cls, settings: Settings, name: str | None = None) -> Queue:
        name = name or settings.queue_name
        serializer = _DeliveryIdSerializer()  # JSON, never pickle: see queue_codec
        if settings.redis_url:
            return cls(RedisHuey(name, url=settings.redis_url, results=False, read_timeout=1, serializer=serializer))
        create_private(Path(settings.queue_path))
        return cls(
            SqliteHuey(
                name,
                filename=settings.queue_path,
                results=False,
                serializer=serializer,
                storage_class=_SqliteQueueStorage,
            )
        )

    def enqueue(self, delivery_id: str, delay_s: float = 0.0) -> None:
        if delay_s > 0:
            task = self._task.s(delivery_id)
            task.eta = utcnow().replace(tzinfo=None) + dt.timedelta(seconds=delay_s)  # huey keeps naive UTC
            self.huey.add_schedule(task)
        else:
            self.huey.enqueue(self._task.s(delivery_id))

    def enqueue_many(self, delivery_ids: Sequence[str]) -> None:
        """Enqueue several ids with ONE write: one SQLite transaction, or one Redis LPUSH (the web tier's writer
        calls this once per committed batch instead of once per delivery)."""
        if not delivery_ids:
            return
        # Messages built straight from the ids: a huey Task each would draw a fresh uuid4 (a system call) per
        # id. Each message's task id is the batch's and its place in it.
        batch, serialize = uuid.uuid4().hex, self.huey.serializer.serialize
        messages = [
            serialize(Message(f"{batch}-{i:x}", self._task_name, None, args=(d,), kwargs={}))
            for i, d in enumerate(delivery_ids)
        ]
        storage = self.huey.storage
        if isinstance(storage, SqliteStorage):
            with storage.db(commit=True) as cursor:
                cursor.executemany(
                    "insert into task (queue, data, priority) values (?, ?, ?)",
                    [(storage.name, message, 0.0) for message in messages],
                )
        elif isinstance(storage, RedisStorage):
            storage.conn.lpush(storage.queue_key, *messages)  # the consumer pops from the other end: FIFO kept
        else:
            for message in messages:
                storage.enqueue(message)

    def dequeue(self) -> str | None:
        """The next delivery id, or None when the queue is empty (Redis waits up to a second for one)."""
        try:
            task = self.huey.dequeue()
        except RefusedMessage as exc:  # written by someone else; the sweeper enqueues ours again
            log.warning("queue message refused: %s", exc)
            return None
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
