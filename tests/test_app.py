"""The composed App: health and readiness, the setup seam, credentials arriving at run time, and real payloads
accepted and processed end to end (in-process, and over real HTTP through uvicorn)."""

from __future__ import annotations

import ast
import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from huey import SqliteHuey
from sqlmodel import select

from ghapp.app import bootstrap, create_app
from ghapp.credentials import AppCredentials, save_credentials
from ghapp.github.cache import MemoryCache, RedisCache
from ghapp.runtime.jobs import JobContext
from ghapp.runtime.queue import Queue
from ghapp.runtime.webhooks import WEBHOOK_PATH
from ghapp.settings import Settings
from ghapp.store.database import open_database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox
from ghapp.store.installations import Installation
from ghapp.store.migrations import upgrade
from tests.conftest import TestClient, delivery_headers, load_webhook
from tests.paths import ROOT
from tests.polling import wait_for


def state_of(inbox: Inbox, delivery_id: str) -> str | None:
    row = inbox.get(delivery_id)
    return row.state if row is not None else None


class BrokenQueue(Queue):
    def ping(self) -> None:
        raise ConnectionError("redis://secret-host:6379 refused")


def test_health_and_readiness(make_settings: Callable[..., Settings]) -> None:
    with TestClient(create_app(make_settings(), run_worker=False)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_readiness_says_which_dependency_failed(make_settings: Callable[..., Settings], tmp_path: Any) -> None:
    settings = make_settings()
    broken_db = Inbox(open_database(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"))
    queue = BrokenQueue(SqliteHuey("broken", filename=str(tmp_path / "q.db"), results=False))
    with TestClient(create_app(settings, inbox=broken_db, queue=queue, run_worker=False)) as client:
        assert client.get("/healthz").status_code == 200  # the process is up all the same
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "database": "error: OperationalError",
            "queue": "error: ConnectionError",
        }
        assert "secret-host" not in ready.text


def test_without_credentials_the_app_starts_and_points_at_setup(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(app_id="", private_key="", webhook_secret="")
    with TestClient(create_app(settings, run_worker=False)) as client:
        assert client.get("/").status_code == 200
        assert client.get("/setup").status_code == 200
        body = load_webhook("ping", "payload")
        refused = client.post(WEBHOOK_PATH, content=body, headers=delivery_headers("ping", body))
        assert refused.status_code == 503


def test_credentials_stored_by_setup_take_effect_without_a_restart(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(app_id="", private_key="", webhook_secret="")
    app = create_app(settings, run_worker=False)
    body = load_webhook("ping", "payload")
    with TestClient(app) as client:
        assert client.post(WEBHOOK_PATH, content=body, headers=delivery_headers("ping", body)).status_code == 503
        save_credentials(
            settings.credentials_file,
            AppCredentials(
                app_id="777",
                slug="prompt-to-pr",
                pem="-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----",
                webhook_secret="It's a Secret to Everybody",
                client_id="Iv1.x",
                client_secret="s",
            ),
        )
        app.state.runtime.use_stored_credentials()
        accepted = client.post(WEBHOOK_PATH, content=body, headers=delivery_headers("ping", body))
        assert accepted.status_code == 202
        assert app.state.runtime.github is not None
        assert client.get("/setup").status_code == 404  # setup cannot be replayed


def test_extra_routes_are_mounted(make_settings: Callable[..., Settings]) -> None:
    from starlette.responses import PlainTextResponse  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415

    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("hello")

    with TestClient(create_app(make_settings(), run_worker=False, routes=[Route("/hello", hello)])) as client:
        assert client.get("/hello").text == "hello"


def test_a_signed_real_payload_is_accepted_and_processed_in_process(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    app = create_app(settings)
    body = load_webhook("installation", "created")
    headers = delivery_headers("installation", body)
    with TestClient(app) as client:
        assert client.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 202
        inbox: Inbox = app.state.inbox
        assert wait_for(lambda: state_of(inbox, headers["X-GitHub-Delivery"]) == DeliveryState.DONE)
        again = client.post(WEBHOOK_PATH, content=body, headers=headers)
        assert again.json()["status"] == "duplicate"
    with inbox.db.session() as session:
        assert [i.account_login for i in session.exec(select(Installation))] == ["Codertocat"]
    row = inbox.get(headers["X-GitHub-Delivery"])
    assert row is not None and row.attempts == 1


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """The App on uvicorn over real HTTP on a free loopback port, lifespan included."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started, 60)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def test_real_http_deliveries_are_processed_exactly_once(make_settings: Callable[..., Settings]) -> None:
    calls: list[str] = []

    async def count(ctx: JobContext) -> None:
        calls.append(ctx.delivery.delivery_id)

    settings = make_settings()
    upgrade(open_database(settings.database_url))
    app = create_app(settings, handlers={"installation": count, "ping": count, "pull_request": count})
    deliveries = [
        ("installation", "created"),
        ("ping", "payload"),
        ("pull_request", "opened"),
        ("pull_request", "synchronize"),
        ("pull_request", "closed"),
    ]

    async def send(base: str) -> list[tuple[str, int]]:
        async with httpx.AsyncClient(base_url=base) as client:
            sent = []
            for event, name in deliveries:
                body = load_webhook(event, name)
                headers = delivery_headers(event, body)
                responses = await asyncio.gather(
                    *(client.post(WEBHOOK_PATH, content=body, headers=headers) for _ in range(3))
                )  # GitHub redelivering, concurrently
                statuses = sorted(r.json()["status"] for r in responses)
                assert [r.status_code for r in responses] == [202, 202, 202]
                assert statuses == ["accepted", "duplicate", "duplicate"]
                sent.append((headers["X-GitHub-Delivery"], len(body)))
            return sent

    with serve(app) as base:
        sent = asyncio.run(send(base))
        inbox: Inbox = app.state.inbox
        assert wait_for(lambda: all(state_of(inbox, d) == DeliveryState.DONE for d, _ in sent))
        assert httpx.get(base + "/readyz").status_code == 200
    assert sorted(calls) == sorted(d for d, _ in sent)


@pytest.mark.redis
def test_the_github_client_shares_the_cache_the_settings_choose(
    make_settings: Callable[..., Settings], redis_url: str
) -> None:
    alone = create_app(make_settings(), run_worker=False)
    assert isinstance(alone.state.runtime.github.cache, MemoryCache)
    scaled = create_app(make_settings(redis_url=redis_url, queue_name="ghapp-test-app-cache"), run_worker=False)
    cache = scaled.state.runtime.github.cache
    assert isinstance(cache, RedisCache) and cache.prefix == "ghapp-test-app-cache:cache:"
    with TestClient(scaled):
        cache.set("k", 1, 5)
        assert cache.get("k") == 1
    cache.clear()
    assert scaled.state.runtime.caches == [cache]


def test_serve_and_worker_wire_one_process_the_same_way(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    services = bootstrap(settings)
    try:
        # the App's own table, built for this process (not a table built when a module was imported)
        assert services.handled("pull_request", "opened") and services.handled("ping", None)
        assert not services.handled("watch", "started")
        assert services.handlers is not bootstrap(settings, inbox=services.inbox, queue=services.queue).handlers
        worker = services.worker(concurrency=3)
        assert worker.handlers is services.handlers and worker.inbox is services.inbox
        assert worker.queue is services.queue and worker.concurrency == 3
        assert worker.github() is services.runtime.github is not None
        assert worker.sheddable("pull_request", "labeled", {}) and not worker.sheddable("pull_request", "opened", {})
    finally:
        services.close()
    app = create_app(settings, run_worker=True)
    served = app.state.services
    assert app.state.worker.handlers is served.handlers and app.state.inbox is served.inbox
    assert app.state.runtime is served.runtime


def test_the_runtime_imports_no_handlers() -> None:
    """The worker runs the table it is handed: the runtime knows no handler module and no policy."""
    for path in (ROOT / "ghapp" / "runtime").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not {m for m in modules if m.startswith(("ghapp.handlers", "ghapp.enforcement", "ghapp.app"))}, path
