"""Smaller leaks: the archive link's `token=` in the logs, a captured signed body replayed under a new delivery
id, database and queue files readable by every local user, and metrics served to anyone on the web port."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from ghapp.app import create_app
from ghapp.observability import Telemetry, configure_logging
from ghapp.observability.logs import Redactor
from ghapp.runtime.webhooks import WEBHOOK_PATH
from ghapp.settings import Settings
from ghapp.store.inbox import Inbox
from tests.commands.test_serve import app_env, ready, running
from tests.conftest import TestClient, delivery_headers, load_webhook
from tests.ghsim import GitHubSim
from tests.polling import free_port, wait_for


def test_the_archive_links_token_is_never_logged(ghsim_inprocess: GitHubSim, caplog: pytest.LogCaptureFixture) -> None:
    sim = ghsim_inprocess
    inst = sim.state.create_installation("octo-org")
    sim.state.create_repo("octo-org/hello", files={"README.md": "hi\n"})
    stream = io.StringIO()
    handler = configure_logging("DEBUG", stream=stream)
    caplog.set_level(logging.DEBUG)
    try:

        async def main() -> int:
            async with sim.github_app() as app:
                return await app.installation(inst.id).download_tarball(
                    "octo-org", "hello", "main", io.BytesIO(), 10**6
                )

        assert asyncio.run(main()) > 0
    finally:
        logging.getLogger().removeHandler(handler)
    links = list(sim.state.downloads)
    assert len(links) == 1
    logged = stream.getvalue() + "\n".join(r.getMessage() for r in caplog.records)
    assert links[0] not in logged, "the archive link's token reached the log"
    assert not re.search(r"token=(?!\[REDACTED\])", logged)
    assert Redactor()("GET https://codeload.github.com/o/r/legacy.tar.gz/abc?token=AABBCCDD&x=1") == (
        "GET https://codeload.github.com/o/r/legacy.tar.gz/abc?token=[REDACTED]&x=1"
    )


def _post(client: TestClient, body: bytes, delivery_id: str, event: str = "pull_request") -> Any:
    headers = {**delivery_headers(event, body), "X-GitHub-Delivery": delivery_id}
    return client.post(WEBHOOK_PATH, content=body, headers=headers)


def test_a_captured_signed_body_replayed_under_a_new_delivery_id_is_a_duplicate(
    make_settings: Callable[..., Settings],
) -> None:
    body = load_webhook("pull_request", "opened")
    with TestClient(create_app(make_settings(), run_worker=False)) as client:
        inbox: Inbox = client.app.state.inbox  # type: ignore[attr-defined]
        assert _post(client, body, "first").json()["status"] == "accepted"
        replayed = [_post(client, body, f"replay-{i}") for i in range(5)]
        assert {(r.status_code, r.json()["status"]) for r in replayed} == {(202, "duplicate")}
        assert _post(client, body, "first").json()["status"] == "duplicate"  # GitHub's redelivery: same id
        # the event header is not signed: the same bytes under another event name are the same replay
        assert _post(client, body, "other-event", event="pull_request_review").json()["status"] == "duplicate"
        assert _post(client, body + b" ", "changed").json()["status"] == "accepted"
        assert {inbox.get(i) is not None for i in ("first", "changed")} == {True}
        assert all(inbox.get(i) is None for i in ("other-event", *(f"replay-{n}" for n in range(5))))


def test_the_database_and_queue_files_are_created_owner_only(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    old = os.umask(0o022)
    try:
        settings = make_settings()
        with TestClient(create_app(settings, run_worker=False)) as client:
            assert _post(client, load_webhook("pull_request", "opened"), "d1").status_code == 202
        files = [Path(settings.database_url.removeprefix("sqlite:///")), Path(settings.queue_path)]
        files += [f for f in tmp_path.iterdir() if f.name.endswith(("-wal", "-shm"))]
        assert len(files) >= 2
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}
    finally:
        os.umask(old)


def test_metrics_are_served_on_the_web_port_only_with_a_token(make_settings: Callable[..., Settings]) -> None:
    for token, expected in (("", 404), ("t" * 32, 401)):
        settings = make_settings(metrics_token=token)
        telemetry = Telemetry.create(settings, registry=CollectorRegistry())
        with TestClient(create_app(settings, telemetry=telemetry, run_worker=False)) as client:
            assert client.get("/metrics").status_code == expected
            assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == expected
            if token:
                ok = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
                assert ok.status_code == 200 and "ghapp_queue_depth" in ok.text


@pytest.mark.slow
def test_ghapp_serve_keeps_metrics_off_the_web_port_and_its_files_private(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    env = app_env(tmp_path)
    old = os.umask(0o022)
    try:
        with running(["serve", "--port", str(port), "--metrics-port", str(metrics_port)], env, tmp_path, "serve"):
            assert wait_for(lambda: ready(f"http://127.0.0.1:{port}"), 60), (tmp_path / "serve.log").read_text()
            assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 404
            scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
            assert scraped.status_code == 200 and "ghapp_queue_depth" in scraped.text
    finally:
        os.umask(old)
    modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in tmp_path.iterdir() if f.name.startswith("ghapp")}
    assert {"ghapp.db", "ghapp-queue.db"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes
