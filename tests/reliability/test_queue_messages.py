"""Whoever can write to the queue (the Redis, or the SQLite queue file) must not run code in a worker: a
message is JSON holding one delivery id, and anything else is refused with a log line and skipped."""

from __future__ import annotations

import datetime
import json
import logging
import os
import pickle
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from huey.registry import Message

from ghapp.runtime.queue import Queue
from ghapp.settings import Settings


class _Marker:
    """Unpickling this runs `os.system(touch PATH)`: what an attacker with write access to the queue sends."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.path}",))


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


def _hostile(marker: Path, task_name: str) -> list[bytes]:
    """Messages someone else wrote: pickles that run a command (a bare one, and one shaped like huey's own
    message), JSON for another task, with extra fields, with a delivery id no GitHub header could carry."""
    good = {"id": str(uuid.uuid4()), "name": task_name, "eta": None, "delivery_id": "d-1"}
    return [
        pickle.dumps(_Marker(marker)),
        pickle.dumps(Message(str(uuid.uuid4()), task_name, None, 0, 0, None, (_Marker(marker),), {})),
        json.dumps({**good, "name": "os.system"}).encode(),
        json.dumps({**good, "args": ["x"]}).encode(),
        json.dumps({**good, "delivery_id": "../../etc/passwd"}).encode(),
        json.dumps({**good, "delivery_id": ["d-1"]}).encode(),
        json.dumps({**good, "eta": "yesterday"}).encode(),
        b"{" + b" " * 5000 + b"}",
        b"\x80\x04garbage",
    ]


def test_a_pickle_or_foreign_message_in_the_queue_is_refused_not_run(
    queue: Queue, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "ran"
    hostile = _hostile(marker, queue.huey.serializer.task_name)
    queue.enqueue("before")
    for data in hostile:
        queue.huey.storage.enqueue(data)
    queue.enqueue("after")
    caplog.set_level(logging.WARNING, logger="ghapp.runtime.queue")
    seen = [queue.dequeue() for _ in range(len(hostile) + 2)]
    assert not marker.exists(), "a queue message ran a command in the worker"
    assert [s for s in seen if s is not None] == ["before", "after"]
    refused = [r for r in caplog.records if r.getMessage().startswith("queue message refused")]
    assert len(refused) == len(hostile)
    assert queue.size() == 0


def test_a_pickle_in_the_schedule_is_refused_not_run(queue: Queue, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    for data in _hostile(marker, queue.huey.serializer.task_name):
        queue.huey.storage.add_to_schedule(data, datetime.datetime(2000, 1, 1))
    queue.enqueue("later", delay_s=0.01)
    time.sleep(0.05)
    assert queue.promote_due() == 1
    assert queue.dequeue() == "later"
    assert not marker.exists()


def test_what_the_app_writes_is_json_with_only_a_delivery_id(queue: Queue) -> None:
    queue.enqueue("72d3162e-cc78-11e3-81ab-4c9367dc0958")
    raw = queue.huey.storage.dequeue()
    message = json.loads(raw)
    assert set(message) == {"id", "name", "eta", "delivery_id"}
    assert message["delivery_id"] == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    with pytest.raises(ValueError, match="delivery id"):
        queue.enqueue("a b")  # never written at all
