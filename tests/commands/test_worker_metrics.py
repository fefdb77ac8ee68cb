"""`ghapp worker --metrics-port` serves the worker's Prometheus metrics and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.polling import free_port


@pytest.mark.slow
def test_worker_serves_metrics_on_its_own_port(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHAPP_")}
    env.update(
        GHAPP_DATABASE_URL=f"sqlite:///{tmp_path / 'ghapp.db'}",
        GHAPP_QUEUE_PATH=str(tmp_path / "q.db"),
        GHAPP_DATA_DIR=str(tmp_path / "var"),
    )
    ghapp = Path(sys.executable).with_name("ghapp")
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(ghapp), "worker", "--metrics-port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert "ghapp_queue_depth 0.0" in body, log.read_text()
        assert "ghapp_job_duration_seconds" in body and "ghapp_github_api_calls_total" in body
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
