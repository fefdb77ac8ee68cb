"""`ghapp worker` as a real process: a worker SIGKILLed in the middle of a job loses nothing (the next worker
finishes the delivery exactly once), SIGTERM stops it cleanly, and bad options are usage errors."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from ghapp.cli import main
from ghapp.runtime.queue import Queue
from ghapp.settings import from_env
from ghapp.store.database import open_database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox, NewDelivery
from ghapp.store.migrations import upgrade
from tests.conftest import REDIS_URL, scratch_pg_database, truncate_all
from tests.paths import ROOT
from tests.polling import wait_for

GHAPP = ROOT / ".venv" / "bin" / "ghapp"
HANDLERS = "tests.commands.blocking_handlers:HANDLERS"


@pytest.fixture(params=["sqlite", pytest.param("postgres+redis", marks=[pytest.mark.postgres, pytest.mark.redis])])
def worker_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The environment of a worker process: SQLite file and queue, or PostgreSQL and Redis (scale-out)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHAPP_")}
    env.update(
        {
            "GHAPP_TEST_DIR": str(tmp_path),
            "PYTHONPATH": str(ROOT),
            "GHAPP_DATA_DIR": str(tmp_path / "var"),
            "GHAPP_LEASE_SECONDS": "2",
            "GHAPP_SWEEP_INTERVAL_S": "1",
            "GHAPP_WORKERS": "2",
            "GHAPP_LOG_LEVEL": "INFO",
            "GHAPP_QUEUE_PATH": str(tmp_path / "queue.db"),
            "GHAPP_QUEUE_NAME": f"ghapp-test-{uuid.uuid4().hex[:10]}",
        }
    )
    if request.param == "sqlite":
        env["GHAPP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'inbox.db'}"
        db = open_database(env["GHAPP_DATABASE_URL"])
        upgrade(db)
        db.engine.dispose()
    else:
        env["GHAPP_DATABASE_URL"] = request.getfixturevalue("pg_database")
        env["GHAPP_REDIS_URL"] = REDIS_URL
        db = open_database(env["GHAPP_DATABASE_URL"])
        truncate_all(db)
        db.engine.dispose()
    return env


def start_worker(env: dict[str, str], tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    with (tmp_path / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [str(GHAPP), "worker", "--handlers", HANDLERS], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
        )


@pytest.mark.slow
def test_a_worker_killed_mid_job_loses_nothing(worker_env: dict[str, str], tmp_path: Path) -> None:
    settings = from_env(worker_env, dotenv=None)
    inbox, queue = Inbox(open_database(settings.database_url)), Queue.from_settings(settings)
    delivery_id = str(uuid.uuid4())
    inbox.record(NewDelivery(delivery_id, "ping", None, None, None, None, '{"zen": "x"}'))
    queue.enqueue(delivery_id)
    (tmp_path / "block").touch()

    first = start_worker(worker_env, tmp_path, "first")
    assert wait_for((tmp_path / f"started-{first.pid}").exists), (tmp_path / "first.log").read_text()
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    row = inbox.get(delivery_id)
    assert row is not None and row.state == "processing" and queue.size() == 0  # the queue lost the task

    (tmp_path / "block").unlink()
    second = start_worker(worker_env, tmp_path, "second")
    try:
        done = wait_for(lambda: (inbox.get(delivery_id) or row).state == DeliveryState.DONE)
        assert done, (tmp_path / "second.log").read_text()
    finally:
        second.send_signal(signal.SIGTERM)
        code = second.wait(30)
    assert code == 0
    assert (tmp_path / "completed").read_text().splitlines() == [delivery_id]
    done = inbox.get(delivery_id)
    assert done is not None and done.attempts == 2 and done.lease_owner is None
    assert (tmp_path / f"started-{second.pid}").exists()
    queue.huey.flush()
    queue.close()
    inbox.db.engine.dispose()


def test_a_bad_handler_table_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GHAPP_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["worker", "--handlers", "tests.no_such_module:HANDLERS"]) == 2
    assert "no_such_module" in capsys.readouterr().err
    assert main(["worker", "--handlers", "tests.commands.blocking_handlers:NOPE"]) == 2


@pytest.mark.postgres
def test_a_postgres_schema_behind_stops_the_worker(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with scratch_pg_database("ghapp_behind") as url:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("GHAPP_DATABASE_URL", url)
        assert main(["worker"]) == 2
        assert "ghapp db upgrade" in capsys.readouterr().err
