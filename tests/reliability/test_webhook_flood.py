"""Unauthenticated uploads against the webhook endpoint: requests without GitHub's headers are refused before a
byte of their body is read, a trickled body is dropped after the read timeout, and fifty concurrent 25 MB
uploads with a forged signature leave a real `ghapp serve` within 50 MB of its resident memory while signed
deliveries keep being acknowledged."""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ghapp.app import create_app
from ghapp.runtime.webhooks import WEBHOOK_PATH
from ghapp.settings import Settings
from tests.commands.test_serve import app_env, ready, running, web_children
from tests.conftest import WEBHOOK_SECRET, sign
from tests.polling import free_port, wait_for

CHUNK = b"x" * 1024


class Upload:
    """An ASGI request whose body arrives in `chunks` pieces (optionally `pause_s` apart); counts what was read."""

    def __init__(self, headers: dict[str, str], chunks: int, pause_s: float = 0.0, chunk: bytes = CHUNK) -> None:
        self.headers = headers
        self.chunks = chunks
        self.pause_s = pause_s
        self.chunk = chunk
        self.read = 0
        self.status: int | None = None
        self.response_headers: dict[str, str] = {}

    async def receive(self) -> dict[str, Any]:
        if self.pause_s:
            await asyncio.sleep(self.pause_s)
        self.read += 1
        return {"type": "http.request", "body": self.chunk, "more_body": self.read < self.chunks}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_headers = {k.decode(): v.decode() for k, v in message["headers"]}

    def scope(self) -> dict[str, Any]:
        return {
            "type": "http",
            "method": "POST",
            "path": WEBHOOK_PATH,
            "raw_path": WEBHOOK_PATH.encode(),
            "query_string": b"",
            "root_path": "",
            "scheme": "http",
            "http_version": "1.1",
            "server": ("127.0.0.1", 3000),
            "client": ("203.0.113.9", 4000),
            "headers": [(k.lower().encode(), v.encode()) for k, v in self.headers.items()],
        }

    def run(self, app: Any) -> Upload:
        asyncio.run(app(self.scope(), self.receive, self.send))
        return self


def github_headers(**extra: str) -> dict[str, str]:
    return {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + "0" * 64,
        **extra,
    }


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 400),  # no GitHub headers at all
        ({"User-Agent": "GitHub-Hookshot/1", "X-GitHub-Event": "ping"}, 400),  # no delivery id
        ({"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-1"}, 401),  # no signature
        ({"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-1", "X-Hub-Signature": "sha1=" + "0" * 40}, 401),
        ({"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": "0" * 64}, 401),
        ({"X-GitHub-Event": "../x", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": "sha256=" + "0" * 64}, 400),
    ],
)
def test_requests_without_githubs_headers_are_refused_before_the_body_is_read(
    make_settings: Callable[..., Settings], headers: dict[str, str], status: int
) -> None:
    upload = Upload(headers, chunks=1000).run(create_app(make_settings(), run_worker=False))
    assert upload.status == status
    assert upload.read == 0, f"{upload.read} KB of an unauthenticated body were read before refusing it"


def test_a_trickled_body_is_dropped_after_the_read_timeout(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(body_timeout_s=1), run_worker=False)
    upload = Upload(github_headers(), chunks=200, pause_s=0.2, chunk=b"x").run(app)  # 1 byte per 0.2 s: 40 s
    assert upload.status == 408
    assert upload.read <= 10, f"{upload.read} of 200 trickled bytes were waited for"


def test_past_the_concurrent_body_bound_a_delivery_is_told_to_retry(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(max_body_readers=3, body_timeout_s=30), run_worker=False)

    async def main() -> list[Upload]:
        slow = [Upload(github_headers(), chunks=30, pause_s=0.05) for _ in range(3)]
        tasks = [asyncio.create_task(app(u.scope(), u.receive, u.send)) for u in slow]
        await asyncio.sleep(0.2)  # the three are reading
        extra = Upload(github_headers(), chunks=30)
        await app(extra.scope(), extra.receive, extra.send)
        await asyncio.gather(*tasks)
        return [*slow, extra]

    *slow, extra = asyncio.run(main())
    assert (extra.status, extra.read, extra.response_headers.get("retry-after")) == (503, 0, "10")
    assert [u.status for u in slow] == [401, 401, 401]  # read in full, then the forged signature refused
    again = Upload(github_headers(), chunks=3).run(app)
    assert again.status == 401 and again.read == 3  # the bound is given back


def test_bodies_spooled_past_the_bound_are_refused_and_the_budget_given_back(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(max_spooled_bytes=600 * 1024), run_worker=False)

    async def main() -> list[Upload]:
        uploads = [Upload(github_headers(), chunks=700, pause_s=0.001) for _ in range(3)]
        await asyncio.gather(*(app(u.scope(), u.receive, u.send) for u in uploads))
        return uploads

    statuses = sorted(u.status or 0 for u in asyncio.run(main()))
    assert 503 in statuses  # 3 x (700 KB - 256 KB in memory) > 600 KB on disk
    assert Upload(github_headers(), chunks=700).run(app).status == 401  # alone it fits again


def _hostile_upload(port: int, size: int, outcome: list[str]) -> None:
    """One connection sending a 25 MB body with GitHub's headers and a forged signature, as fast as it can."""
    head = (
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-GitHub-Event: push\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
        f"X-Hub-Signature-256: sha256={'0' * 64}\r\nContent-Length: {size}\r\n\r\n"
    ).encode()
    block = b"x" * 65536
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(head)
            sent = 0
            while sent < size:
                sent += sock.send(block[: size - sent])
            outcome.append(sock.recv(64).split(b" ")[1].decode())
    except OSError:  # refused mid-body: the server answered and closed the connection
        outcome.append("closed")


def _peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


@pytest.mark.slow
def test_fifty_hostile_uploads_leave_memory_bounded_and_signed_deliveries_acknowledged(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**app_env(tmp_path), "GHAPP_MAX_SPOOLED_BYTES": str(128 * 1024 * 1024)}

    def deliver(n: int) -> int:
        body = b'{"zen": "Keep it logically awesome.", "hook_id": %d}' % n
        headers = {
            "X-GitHub-Event": "ping",
            "X-GitHub-Delivery": f"signed-{n}",
            "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
        }
        return httpx.post(base + WEBHOOK_PATH, content=body, headers=headers, timeout=30).status_code

    # Two web processes: the kernel spreads the uploads over both, and each must stay within the bound.
    with running(["serve", "--no-worker", "--port", str(port), "--web-processes", "2"], env, tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base) and len(web_children(proc.pid)) == 1, 60), (
            tmp_path / "serve.log"
        ).read_text()
        assert [deliver(n) for n in range(20)] == [202] * 20  # warm: every code path of a delivery has run
        webs = [proc.pid, *web_children(proc.pid)]
        baseline = {pid: _peak_rss_kb(pid) for pid in webs}
        outcomes: list[str] = []
        threads = [threading.Thread(target=_hostile_upload, args=(port, 25 * 1024 * 1024, outcomes)) for _ in range(50)]
        for thread in threads:
            thread.start()
        acknowledged = [deliver(n) for n in range(20, 60)]
        for thread in threads:
            thread.join()
        rose = {pid: _peak_rss_kb(pid) - baseline[pid] for pid in webs}
        log = (tmp_path / "serve.log").read_text()
    print(
        f"peak RSS rose by {[round(kb / 1024, 1) for kb in rose.values()]} MB; hostile outcomes "
        f"{sorted((o, outcomes.count(o)) for o in set(outcomes))}"
    )
    assert acknowledged == [202] * 40, log
    assert len(outcomes) == 50 and "202" not in outcomes
    assert max(rose.values()) < 50 * 1024, f"peak RSS rose {max(rose.values()) / 1024:.0f} MB under the uploads"


def test_a_signed_body_spooled_to_disk_is_recorded_byte_for_byte(make_settings: Callable[..., Settings]) -> None:
    body = b'{"zen": "' + b"z" * (3 * 1024 * 1024) + b'"}'  # past the 256 KB kept in memory
    app = create_app(make_settings(), run_worker=False)
    upload = Upload(
        {"X-GitHub-Event": "ping", "X-GitHub-Delivery": "big-1", "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body)},
        chunks=1,
        chunk=body,
    )

    try:
        upload.run(app)  # the recorder starts with the first delivery
    finally:
        app.state.recorder.stop()
    assert upload.status == 202
    row = app.state.inbox.get("big-1")
    assert row is not None and row.payload.encode() == body
