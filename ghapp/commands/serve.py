"""`ghapp serve`: the App on uvicorn: webhooks, health, setup and pages, and a worker in the same process."""

from __future__ import annotations

import argparse
import signal
import sys

import uvicorn

from ghapp.app import create_app
from ghapp.observability import Telemetry, configure_logging, secrets_of
from ghapp.observability.metrics import serve_metrics
from ghapp.settings import SettingsError, from_env
from ghapp.store.migrations import SchemaNotCurrent

HELP = "Run the App (webhooks, setup, health) with an in-process worker; SQLite is migrated at start."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (default: GHAPP_HOST or 0.0.0.0)")
    parser.add_argument("--port", type=int, default=None, help="port (default: GHAPP_PORT or 3000)")
    parser.add_argument(
        "--no-worker", action="store_true", help="accept and record deliveries only; `ghapp worker` processes them"
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus /metrics on this port, apart from the web port (which serves it "
        "only with GHAPP_METRICS_TOKEN)",
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
    configure_logging(settings.log_level, secrets_of(settings))
    telemetry = Telemetry.create(settings)
    try:
        app = create_app(settings, telemetry=telemetry, run_worker=not args.no_worker)
    except SchemaNotCurrent as exc:
        print(f"ghapp serve: {exc}", file=sys.stderr)
        return 2
    if args.metrics_port is not None:
        serve_metrics(telemetry.metrics, args.metrics_port)  # a daemon thread: ends with the process
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again under the handler that was
    # there before it started; with these no-op handlers in place that ends here, as a clean exit 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=settings.port,
        log_config=None,
        access_log=args.access_log,
        timeout_graceful_shutdown=15,
        server_header=False,
    )
    return 0
