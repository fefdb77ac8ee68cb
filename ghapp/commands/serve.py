"""`ghapp serve`: the App on uvicorn (webhooks, health, setup and pages), and its worker in a child process."""

from __future__ import annotations

import argparse
import os
import signal
import sys

import uvicorn

from ghapp.app import create_app
from ghapp.observability import Telemetry, configure_logging, secrets_of
from ghapp.observability.metrics import serve_metrics
from ghapp.runtime.child import WorkerProcess
from ghapp.settings import SettingsError, from_env
from ghapp.store.migrations import SchemaNotCurrent

HELP = "Run the App (webhooks, setup, health) and its worker; SQLite is migrated at start."
WORKER_MODES = ("process", "thread", "none")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (default: GHAPP_HOST or 0.0.0.0)")
    parser.add_argument("--port", type=int, default=None, help="port (default: GHAPP_PORT or 3000)")
    parser.add_argument(
        "--worker",
        choices=WORKER_MODES,
        default="process",
        help="where deliveries are processed: a child process (default; the web tier keeps its interpreter to "
        "itself), a thread of this process (one process, one /metrics), or none (`ghapp worker` does it)",
    )
    parser.add_argument("--no-worker", action="store_true", help="the same as --worker none")
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus /metrics on this port, apart from the web port (which serves it "
        "only with GHAPP_METRICS_TOKEN)",
    )
    parser.add_argument(
        "--worker-metrics-port",
        type=int,
        default=None,
        help="with the worker in a child process: serve ITS /metrics on this port",
    )
    parser.add_argument("--access-log", action="store_true", help="log every HTTP request (off: it costs latency)")


def run(args: argparse.Namespace) -> int:
    try:
        settings = from_env()
    except SettingsError as exc:
        print(f"ghapp serve: {exc}", file=sys.stderr)
        return 2
    if args.port is not None:
        settings = settings.serving_on(args.port)
    mode = "none" if args.no_worker else args.worker
    configure_logging(settings.log_level, secrets_of(settings))
    telemetry = Telemetry.create(settings)
    child = None
    if mode == "process":
        extra = ["--metrics-port", str(args.worker_metrics_port)] if args.worker_metrics_port is not None else []
        # The same settings as this process: the environment, and the port, which a derived public URL follows.
        child = WorkerProcess(extra, env={**os.environ, "GHAPP_PORT": str(settings.port)})
    try:
        app = create_app(
            settings, telemetry=telemetry, run_worker=mode == "thread", on_enqueued=child.wake if child else None
        )
    except SchemaNotCurrent as exc:
        print(f"ghapp serve: {exc}", file=sys.stderr)
        return 2
    if args.metrics_port is not None:
        serve_metrics(telemetry.metrics, args.metrics_port)  # a daemon thread: ends with the process
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again under the handler that was
    # there before it started; with these no-op handlers in place that ends here, as a clean exit 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    if child is not None:
        child.start()  # after create_app: SQLite is migrated once, by this process
        app.state.runtime.listeners.append(lambda _settings: child.renew())  # new credentials from /setup
    try:
        uvicorn.run(
            app,
            host=args.host or settings.host,
            port=settings.port,
            log_config=None,
            access_log=args.access_log,
            timeout_graceful_shutdown=15,
            server_header=False,
        )
    finally:
        if child is not None:  # last: the web tier has committed and enqueued everything it acknowledged
            child.stop()
    return 0
