"""`ghapp worker`: workers only (scale-out): process queued deliveries, sweep, ask GitHub for missed ones."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable

from ghapp.app import bootstrap
from ghapp.observability import Telemetry, configure_logging, secrets_of
from ghapp.observability.metrics import serve_metrics
from ghapp.runtime.jobs import HandlerTable
from ghapp.settings import SettingsError, from_env
from ghapp.store.migrations import SchemaNotCurrent

log = logging.getLogger(__name__)
HELP = "Run workers without the web server (for scale-out); stops cleanly on SIGTERM or Ctrl-C."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=int, default=None, help="jobs at once (default: GHAPP_WORKERS)")
    parser.add_argument(
        "--handlers",
        default=None,
        metavar="MODULE:NAME",
        help="use another handler table (an extension's, or a test's; a table or a function "
        "returning one) instead of the App's own",
    )
    parser.add_argument("--wake-fd", type=int, default=None, help=argparse.SUPPRESS)  # `ghapp serve`'s pipe
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus /metrics on this port (the worker has no web server otherwise)",
    )


def load_handlers(spec: str | None) -> HandlerTable | None:
    """The handler table named by `MODULE:NAME` (a table, or a function that builds one); None: the App's own."""
    if spec is None:
        return None
    module_name, _, attr = spec.partition(":")
    found = getattr(importlib.import_module(module_name), attr or "HANDLERS")
    table: HandlerTable = found() if callable(found) else found
    return table


def listen_for_wakes(
    loop: asyncio.AbstractEventLoop, fd: int, wake: Callable[[], None], stop: Callable[[], None]
) -> None:
    """`ghapp serve` runs this worker as its child and writes a byte to the pipe `fd` whenever it enqueued
    deliveries. End of file: the serving process is gone (even killed), so this worker stops as on SIGTERM."""
    os.set_blocking(fd, False)

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            wake()
            return
        loop.remove_reader(fd)
        log.warning("the serving process is gone: stopping")
        stop()

    loop.add_reader(fd, readable)


def run(args: argparse.Namespace) -> int:
    try:
        settings = from_env()
        handlers = load_handlers(args.handlers)
    except (SettingsError, ImportError, AttributeError) as exc:
        print(f"ghapp worker: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, secrets_of(settings))
    telemetry = Telemetry.create(settings)
    try:
        services = bootstrap(settings, handlers=handlers, telemetry=telemetry)
    except SchemaNotCurrent as exc:
        print(f"ghapp worker: {exc}", file=sys.stderr)
        return 2
    worker = services.worker(concurrency=args.concurrency)
    stop_metrics = None
    if args.metrics_port is not None:
        telemetry.metrics.track_queue_depth(services.inbox.depth)
        stop_metrics = serve_metrics(telemetry.metrics, args.metrics_port)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if args.wake_fd is not None:
            listen_for_wakes(loop, args.wake_fd, worker.wake, stop.set)
        await worker.run(stop)

    try:
        asyncio.run(main())
    finally:
        if stop_metrics is not None:
            stop_metrics()
        services.close()
        telemetry.tracing.shutdown()
    return 0
