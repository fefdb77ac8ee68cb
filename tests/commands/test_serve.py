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


def test_bad_settings_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GHAPP_PORT", "three thousand")
    assert main(["serve"]) == 2
    assert "GHAPP_PORT" in capsys.readouterr().err
    assert main(["worker"]) == 2
