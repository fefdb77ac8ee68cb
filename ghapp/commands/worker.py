"""`ghapp worker`: workers only (scale-out): process queued deliveries, sweep, ask GitHub for missed ones."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import signal
import sys

from ghapp.github import GitHubApp
from ghapp.github.cache import cache_from_settings
from ghapp.handlers import HANDLERS
from ghapp.observability import Telemetry, configure_logging, secrets_of
from ghapp.observability.github import MetricsCounter
from ghapp.observability.metrics import serve_metrics
from ghapp.runtime.jobs import HandlerTable
from ghapp.runtime.queue import Queue
from ghapp.runtime.worker import Worker
from ghapp.settings import SettingsError, from_env
from ghapp.store.inbox import Inbox
from ghapp.store.migrations import SchemaNotCurrent, ready_database

HELP = "Run workers without the web server (for scale-out); stops cleanly on SIGTERM or Ctrl-C."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=int, default=None, help="jobs at once (default: GHAPP_WORKERS)")
    parser.add_argument("--handlers", default=None, metavar="MODULE:NAME",
                        help="use another handler table (an extension's, or a test's) instead of ghapp.handlers")
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="serve Prometheus /metrics on this port (the worker has no web server otherwise)")


def load_handlers(spec: str | None) -> HandlerTable:
    if spec is None:
        return HANDLERS
    module_name, _, attr = spec.partition(":")
    table: HandlerTable = getattr(importlib.import_module(module_name), attr or "HANDLERS")
    return table


def run(args: argparse.Namespace) -> int:
    try:
        settings = from_env()
        handlers = load_handlers(args.handlers)
        db = ready_database(settings.database_url)
    except (SettingsError, SchemaNotCurrent, ImportError, AttributeError) as exc:
        print(f"ghapp worker: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, secrets_of(settings))
    telemetry = Telemetry.create(settings)
    inbox = Inbox(db, max_attempts=settings.max_attempts)
    counter = MetricsCounter(telemetry.metrics)
    github = (GitHubApp(settings, cache=cache_from_settings(settings), counter=counter, tracing=telemetry.tracing)
              if settings.app_id and settings.private_key else None)
    worker = Worker(settings, inbox, Queue.from_settings(settings), handlers=handlers, github=lambda: github,
                    concurrency=args.concurrency, metrics=telemetry.metrics, tracing=telemetry.tracing)
    stop_metrics = None
    if args.metrics_port is not None:
        telemetry.metrics.track_queue_depth(inbox.depth)
        stop_metrics = serve_metrics(telemetry.metrics, args.metrics_port)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await worker.run(stop)

    try:
        asyncio.run(main())
    finally:
        if stop_metrics is not None:
            stop_metrics()
        telemetry.tracing.shutdown()
    return 0
