"""`ghapp serve` as a real process: starts on embedded defaults (SQLite migrated at start), accepts and
processes signed deliveries, starts without credentials showing setup, hands work to `ghapp worker` with
--no-worker, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ghapp.cli import main
from ghapp.store.database import open_database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox
from tests.conftest import WEBHOOK_SECRET, delivery_headers, load_webhook
from tests.paths import ROOT
from tests.polling import free_port, wait_for

GHAPP = ROOT / ".venv" / "bin" / "ghapp"


def app_env(tmp_path: Path, *, credentials: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHAPP_")}
    env.update(
        {
            "GHAPP_HOST": "127.0.0.1",
            "GHAPP_DATA_DIR": str(tmp_path / "var"),
            "GHAPP_SWEEP_INTERVAL_S": "1",
            "GHAPP_GITHUB_API_URL": "http://127.0.0.1:9",
            "GHAPP_REDELIVER_INTERVAL_S": "86400",
        }
    )
    if credentials:
        env.update({"GHAPP_APP_ID": "1", "GHAPP_PRIVATE_KEY": "unused", "GHAPP_WEBHOOK_SECRET": WEBHOOK_SECRET})
    return env


@contextmanager
def running(args: list[str], env: dict[str, str], cwd: Path, name: str) -> Iterator[subprocess.Popen[bytes]]:
    with (cwd / f"{name}.log").open("wb") as log:
        proc = subprocess.Popen([str(GHAPP), *args], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


def ready(base: str) -> bool:
    try:
        return httpx.get(base + "/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def state(tmp_path: Path, delivery_id: str) -> str | None:
    db = open_database(f"sqlite:///{tmp_path / 'ghapp.db'}")
    try:
        row = Inbox(db).get(delivery_id)
        return row.state if row is not None else None
    finally:
        db.engine.dispose()


@pytest.mark.slow
def test_serve_accepts_and_processes_a_signed_delivery_then_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port)], app_env(tmp_path), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base)), (tmp_path / "serve.log").read_text()
        body = load_webhook("installation", "created")
        headers = delivery_headers("installation", body)
        response = httpx.post(base + "/api/github/webhooks", content=body, headers=headers)
        assert response.status_code == 202 and response.json()["status"] == "accepted"
        assert wait_for(lambda: state(tmp_path, headers["X-GitHub-Delivery"]) == DeliveryState.DONE)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert (tmp_path / "ghapp.db").exists() and (tmp_path / "ghapp-queue.db").exists()  # embedded defaults


@pytest.mark.slow
def test_serve_without_credentials_shows_setup_and_refuses_deliveries(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port)], app_env(tmp_path, credentials=False), tmp_path, "serve"):
        assert wait_for(lambda: ready(base)), (tmp_path / "serve.log").read_text()
        setup = httpx.get(base + "/setup")
        assert setup.status_code == 200
        assert f"http://localhost:{port}/api/github/webhooks" in setup.text  # the port served, not the default
        body = load_webhook("ping", "payload")
        refused = httpx.post(base + "/api/github/webhooks", content=body, headers=delivery_headers("ping", body))
        assert refused.status_code == 503 and "/setup" in refused.json()["error"]
    assert "refused until the App is configured" in (tmp_path / "serve.log").read_text()


@pytest.mark.slow
def test_serve_without_a_worker_hands_deliveries_to_ghapp_worker(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(tmp_path)
    with running(["serve", "--port", str(port), "--no-worker"], env, tmp_path, "serve"):
        assert wait_for(lambda: ready(base)), (tmp_path / "serve.log").read_text()
        body = load_webhook("ping", "payload")
        headers = delivery_headers("ping", body)
        assert httpx.post(base + "/api/github/webhooks", content=body, headers=headers).status_code == 202
        time.sleep(1.0)
        assert state(tmp_path, headers["X-GitHub-Delivery"]) == DeliveryState.PENDING
        with running(["worker"], env, tmp_path, "worker"):
            assert wait_for(lambda: state(tmp_path, headers["X-GitHub-Delivery"]) == DeliveryState.DONE)


def worker_children(pid: int) -> list[int]:
    """The `ghapp worker` processes whose parent is `pid` (zombies left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[1]) == pid and stat[0] != "Z" and b"worker" in command and b"--wake-fd" in command:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def accept(base: str, tmp_path: Path, event: str = "installation", name: str = "created") -> None:
    body = load_webhook(event, name)  # each body once: the same body again is a replay, not recorded
    headers = delivery_headers(event, body)
    assert httpx.post(base + "/api/github/webhooks", content=body, headers=headers).status_code == 202
    assert wait_for(lambda: state(tmp_path, headers["X-GitHub-Delivery"]) == DeliveryState.DONE)


@pytest.mark.slow
def test_serve_runs_its_worker_in_a_child_process_started_again_when_it_dies(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port)], app_env(tmp_path), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base) and len(worker_children(proc.pid)) == 1)
        [first] = worker_children(proc.pid)
        accept(base, tmp_path)  # processed by the child
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: worker_children(proc.pid) not in ([], [first]))
        [second] = worker_children(proc.pid)
        accept(base, tmp_path, "ping", "payload")  # and by the new one
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert wait_for(lambda: not alive(second))  # stopped with it
    log = (tmp_path / "serve.log").read_text()
    assert "the worker process exited with -9; starting another" in log


@pytest.mark.slow
def test_a_killed_serve_takes_its_worker_process_with_it(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port)], app_env(tmp_path), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base) and len(worker_children(proc.pid)) == 1)
        [child] = worker_children(proc.pid)
        proc.kill()  # no chance to stop the child: the pipe's end of file tells it
        proc.wait(30)
        assert wait_for(lambda: not alive(child))
    assert "the serving process is gone: stopping" in (tmp_path / "serve.log").read_text()


@pytest.mark.slow
def test_serve_can_keep_its_worker_in_a_thread(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port), "--worker", "thread"], app_env(tmp_path), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base))
        assert worker_children(proc.pid) == []
        accept(base, tmp_path)


def test_bad_settings_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GHAPP_PORT", "three thousand")
    assert main(["serve"]) == 2
    assert "GHAPP_PORT" in capsys.readouterr().err
    assert main(["worker"]) == 2
