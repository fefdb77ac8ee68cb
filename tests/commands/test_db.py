"""`ghapp db`: upgrade, current (exit 1 when behind), requeue (a failed delivery runs again), as a function
and as a real process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ghapp.cli import main
from ghapp.runtime.queue import Queue
from ghapp.settings import from_env
from ghapp.store.database import open_database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox, NewDelivery
from tests.paths import ROOT


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("GHAPP_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GHAPP_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("GHAPP_QUEUE_PATH", str(tmp_path / "queue.db"))
    return tmp_path


def test_upgrade_and_current(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current"]) == 1
    assert "database at revision none" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    out = capsys.readouterr().out
    assert "database at revision" in out and "none" not in out


def test_requeue_runs_a_failed_delivery_again(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    inbox = Inbox(open_database(os.environ["GHAPP_DATABASE_URL"]), max_attempts=1)
    inbox.record(NewDelivery("broken", "ping", None, None, None, None, "{}"))
    inbox.claim("broken", "w", 60)
    assert inbox.fail("broken", "w", "boom") is None
    assert (row := inbox.get("broken")) is not None and row.state == DeliveryState.FAILED
    assert main(["db", "requeue", "broken"]) == 0
    assert (row := inbox.get("broken")) is not None and row.state == DeliveryState.PENDING and row.attempts == 0
    queue = Queue.from_settings(from_env(dotenv=None))
    assert queue.dequeue() == "broken"
    queue.close()
    assert main(["db", "requeue", "broken"]) == 1  # already waiting
    assert main(["db", "requeue", "unknown"]) == 1
    assert "unknown" in capsys.readouterr().err
    inbox.db.engine.dispose()


def test_an_unreachable_database_is_an_environment_error(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GHAPP_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 2
    assert "OperationalError" in capsys.readouterr().err


def test_usage_errors(env: Path) -> None:
    assert main(["db"]) == 2
    assert main(["db", "downgrade"]) == 2


def test_db_upgrade_as_a_real_process(env: Path) -> None:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ghapp"), "db", "upgrade"],
        cwd=env,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "database at revision" in result.stdout
    assert (env / "app.db").exists()
