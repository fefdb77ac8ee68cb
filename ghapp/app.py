"""The composition root. `bootstrap(settings, ...)` wires what every process of the App uses (inbox, queue,
handler table, GitHub client with its cache, call counter, telemetry) once, for `ghapp serve` and
`ghapp worker` alike; `create_app(settings, ...)` puts the web tier on top of it.

Tests pass fakes through the keyword arguments (inbox, queue, github, handlers, telemetry). Web pages are
mounted from `page_routes` (add a module's `routes(...)` there); `routes=` adds more for one app.
With no App credentials the app still starts: webhooks answer 503 and `/` points at `/setup`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from ghapp.credentials import AppCredentials
from ghapp.github import CallCounter, GitHubApp
from ghapp.github.cache import Cache, cache_from_settings
from ghapp.handlers import build_handlers, low_value
from ghapp.observability.github import MetricsCounter
from ghapp.runtime.front import WebhookFront
from ghapp.runtime.jobs import HandlerTable, find_handler
from ghapp.runtime.queue import Queue
from ghapp.runtime.recorder import Recorder
from ghapp.runtime.webhooks import WEBHOOK_PATH, WebhookReceiver, refusal
from ghapp.runtime.worker import Worker, WorkerThread
from ghapp.settings import Settings, with_stored_credentials
from ghapp.store.inbox import Inbox
from ghapp.store.migrations import ready_database
from ghapp.web import health
from ghapp.web.dashboard import DashboardDeps
from ghapp.web.site import Site, rerun_with

if TYPE_CHECKING:
    from ghapp.observability import Metrics, Telemetry, Tracing

log = logging.getLogger(__name__)
DEFAULT_API_URL = "https://api.github.com"


class Runtime:
    """What one process may change while it runs: the settings (the setup flow stores credentials) and the
    GitHub client built from them."""

    def __init__(
        self,
        settings: Settings,
        github: GitHubApp | None,
        counter: CallCounter | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self.settings = settings
        self.github = github
        self.counter = counter  # GitHub calls feed the metrics through it
        self.tracing = tracing  # and get a span each
        self.listeners: list[Callable[[Settings], None]] = []
        self.caches: list[Cache] = []  # the caches this process built (closed when it stops)

    def new_github(self, settings: Settings) -> GitHubApp:
        """The GitHub client, with the cache the App's processes share (Redis when configured, sealed with the
        App's private key, hence built with the credentials)."""
        cache = cache_from_settings(settings)
        self.caches.append(cache)
        return GitHubApp(settings, cache=cache, counter=self.counter, tracing=self.tracing)

    def close(self) -> None:
        for cache in self.caches:
            cache.close()

    def use_stored_credentials(self, _creds: AppCredentials | None = None) -> None:
        settings = with_stored_credentials(self.settings, api_url_set=self.settings.github_api_url != DEFAULT_API_URL)
        self.settings = settings
        if self.github is None and settings.app_id and settings.private_key:
            self.github = self.new_github(settings)
        for listener in self.listeners:
            listener(settings)
        log.info("App credentials loaded; webhook deliveries are accepted from now on")


def page_routes(runtime: Runtime, inbox: Inbox, queue: Queue, metrics: Metrics | None = None) -> list[BaseRoute]:
    """The pages people open (setup, sign-in, dashboard, static files) and `/metrics` (see ghapp.web.site)."""
    deps = DashboardDeps(inbox.db, rerun_with(inbox.requeue, queue.enqueue))
    site = Site(
        runtime.settings,
        deps,
        metrics=metrics,
        on_credentials=runtime.use_stored_credentials,
        github=lambda: runtime.github,
    )
    runtime.listeners.append(site.use_settings)
    return site.routes()


@dataclass(frozen=True)
class Services:
    """What `bootstrap` wired: one set per process."""

    settings: Settings
    inbox: Inbox
    queue: Queue
    handlers: HandlerTable
    runtime: Runtime  # the settings as they change and the GitHub client built from them
    metrics: Metrics | None = None
    tracing: Tracing | None = None

    def worker(self, *, concurrency: int | None = None, periodic: bool = True) -> Worker:
        runtime = self.runtime
        return Worker(
            self.settings,
            self.inbox,
            self.queue,
            handlers=self.handlers,
            sheddable=low_value,
            github=lambda: runtime.github,
            concurrency=concurrency,
            metrics=self.metrics,
            periodic=periodic,
            tracing=self.tracing,
        )

    def handled(self, event: str, action: str | None) -> bool:
        """Whether a handler wants deliveries of (event, action): the others are recorded as ignored."""
        return find_handler(self.handlers, event, action) is not None

    def close(self) -> None:
        self.runtime.close()


def bootstrap(
    settings: Settings,
    *,
    inbox: Inbox | None = None,
    queue: Queue | None = None,
    github: GitHubApp | None = None,
    handlers: HandlerTable | None = None,
    telemetry: Telemetry | None = None,
) -> Services:
    """Wire one process of the App. Without `inbox` the database comes from settings (SQLite migrated on the
    spot; PostgreSQL must be current, else SchemaNotCurrent); without `handlers` the App's own table."""
    inbox = inbox or Inbox(ready_database(settings.database_url), max_attempts=settings.max_attempts)
    queue = queue or Queue.from_settings(settings)
    metrics = telemetry.metrics if telemetry is not None else None
    tracing = telemetry.tracing if telemetry is not None else None
    runtime = Runtime(settings, github, MetricsCounter(metrics) if metrics is not None else None, tracing)
    if github is None and settings.app_id and settings.private_key:
        runtime.github = runtime.new_github(settings)
    return Services(
        settings=settings,
        inbox=inbox,
        queue=queue,
        handlers=build_handlers() if handlers is None else handlers,
        runtime=runtime,
        metrics=metrics,
        tracing=tracing,
    )


def create_app(
    settings: Settings,
    *,
    inbox: Inbox | None = None,
    queue: Queue | None = None,
    github: GitHubApp | None = None,
    handlers: HandlerTable | None = None,
    telemetry: Telemetry | None = None,
    run_worker: bool = True,
    routes: Sequence[BaseRoute] = (),
    on_enqueued: Callable[[], None] | None = None,
) -> Starlette:
    """The App. `run_worker` starts a worker thread in the process (`ghapp serve --worker thread`); without it,
    `on_enqueued` is called after each committed batch was enqueued (`ghapp serve` wakes its worker process)."""
    services = bootstrap(settings, inbox=inbox, queue=queue, github=github, handlers=handlers, telemetry=telemetry)
    inbox, transport, runtime = services.inbox, services.queue, services.runtime
    metrics, tracing = services.metrics, services.tracing
    worker = services.worker() if run_worker else None
    recorder = Recorder(
        inbox,
        transport.enqueue,
        on_enqueued=worker.wake if worker else on_enqueued,
        enqueue_many=transport.enqueue_many,
        replay_window_s=settings.replay_window_s,
    )
    receiver = WebhookReceiver(settings, recorder, services.handled, metrics, tracing)

    def use_settings(new: Settings) -> None:
        receiver.settings = new
        recorder.replay_window_s = new.replay_window_s

    runtime.listeners.append(use_settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        problem = refusal(settings)
        if settings.allow_unsigned and not settings.webhook_secret:
            log.warning(
                "GHAPP_ALLOW_UNSIGNED is set and there is no webhook secret: ANYONE who can reach this "
                "server can submit webhook deliveries. Development only."
            )
        elif problem is not None:
            log.warning("webhook deliveries are refused until the App is configured: %s", problem)
        if metrics is not None:
            metrics.track_queue_depth(inbox.depth)
        recorder.start()
        thread = WorkerThread(worker) if worker is not None else None
        if thread is not None:
            thread.start()
        try:
            yield
        finally:
            recorder.stop()
            if thread is not None:
                thread.stop()
            if runtime.github is not None:  # the pool the web pages used (the what-if), in this loop
                await runtime.github.aclose()
            services.close()

    all_routes: list[BaseRoute] = [
        Route(WEBHOOK_PATH, receiver, methods=["POST"]),
        *health.routes({"database": inbox.db.ping, "queue": transport.ping}),
        *routes,
        *page_routes(runtime, inbox, transport, metrics),
    ]
    app = Starlette(routes=all_routes, lifespan=lifespan, middleware=[Middleware(WebhookFront, receiver=receiver)])
    app.state.runtime, app.state.inbox, app.state.queue = runtime, inbox, transport
    app.state.recorder, app.state.worker, app.state.services = recorder, worker, services
    return app
