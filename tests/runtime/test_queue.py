"""The queue transport: the huey queue on SQLite and on the real Redis."""

from __future__ import annotations

import ast
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from ghapp.runtime.queue import Queue
from ghapp.settings import Settings
from tests.paths import ROOT


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


def test_a_batch_is_enqueued_in_one_write_and_kept_in_order(queue: Queue) -> None:
    queue.enqueue("first")
    queue.enqueue_many([])
    queue.enqueue_many(["b1", "b2", "b3"])
    queue.enqueue("last")
    assert queue.size() == 5
    assert [queue.dequeue() for _ in range(5)] == ["first", "b1", "b2", "b3", "last"]
    assert queue.dequeue() is None


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


def test_the_sqlite_queue_commits_without_an_fsync_each(make_settings: Callable[..., Settings]) -> None:
    q = Queue.from_settings(make_settings())
    q.enqueue("x")
    assert q.huey.storage.conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    assert q.huey.storage.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    q.close()


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_queue_transport_imports_huey() -> None:
    importers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "ghapp").rglob("*.py")
        if any(name.split(".")[0] == "huey" for name in _imports(path))
    }
    assert importers == {"ghapp/runtime/queue.py"}


def test_handlers_do_not_depend_on_the_queue() -> None:
    handler_modules = [ROOT / "ghapp" / "handlers.py", *(ROOT / "ghapp" / "enforcement").rglob("*.py")]
    for path in handler_modules:
        assert "ghapp.runtime.queue" not in _imports(path), path
