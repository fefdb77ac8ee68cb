"""`ghapp serve`: the App on uvicorn (webhooks, health, setup and pages) in one or more web processes sharing
its port, and its worker in a child process.

The first process binds the port, readies the database and serves; once the App is configured it starts the
other web processes (`runtime.child.WebProcess`), each accepting on a socket of its own joined to the port.
Before that only the first serves: the setup flow stores the credentials in the process that ran it, which
then starts the others. All of them, the worker child too, count their metrics in one directory, so any
`/metrics` of theirs shows the sums (`observability/metrics.py`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette

from ghapp.app import create_app
from ghapp.observability import Telemetry, configure_logging, secrets_of
from ghapp.observability.metrics import SHARED_DIR, serve_metrics
from ghapp.runtime.child import WebProcess, WorkerProcess, listening_socket, stop_when_parent_is_gone, wake_by
from ghapp.runtime.webhooks import refusal
from ghapp.settings import Settings, SettingsError, from_env
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
        "only with GHAPP_METRICS_TOKEN); each other web process serves the same sums on the ports after it",
    )
    parser.add_argument(
        "--worker-metrics-port",
        type=int,
        default=None,
        help="with the worker in a child process: it also serves /metrics (the same sums) on this port",
    )
    parser.add_argument(
        "--web-processes",
        type=int,
        default=None,
        help="web processes accepting on the port (default: GHAPP_WEB_PROCESSES, else one per CPU, at most 4); "
        "each serves every page, and /metrics on any of them shows the sums of all",
    )
    parser.add_argument("--access-log", action="store_true", help="log every HTTP request (off: it costs latency)")
    # A web process started by another `ghapp serve`: its listening socket, the pipe that closes when that
    # process is gone, and the worker's wake pipe.
    parser.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--parent-fd", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--wake-write-fd", type=int, default=None, help=argparse.SUPPRESS)


def web_processes(settings: Settings, asked: int | None) -> int:
    """How many web processes to run: asked for, configured, else one per CPU this process may use, up to 4."""
    wanted = asked if asked is not None else settings.web_processes
    return max(1, wanted) if wanted else max(1, min(usable_cpus(), 4))


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's cpuset, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def run(args: argparse.Namespace) -> int:
    try:
        settings = from_env()
    except SettingsError as exc:
        print(f"ghapp serve: {exc}", file=sys.stderr)
        return 2
    if args.port is not None:
        settings = settings.serving_on(args.port)
    if args.listen_fd is not None:
        return _serve_started_by_another(args, settings)
    mode = "none" if args.no_worker else args.worker
    # `--worker thread` is the one-process mode: one web process unless asked for more
    asked = args.web_processes if args.web_processes is not None or mode != "thread" else 1
    host, count = args.host or settings.host, web_processes(settings, asked)
    remove_metrics_dir = _count_metrics_together(count + (mode == "process"))
    try:
        return _serve_with_others(args, settings, mode, host, count)
    finally:
        remove_metrics_dir()


def _serve_with_others(args: argparse.Namespace, settings: Settings, mode: str, host: str, count: int) -> int:
    """This process serves; `count` - 1 other web processes and, in mode "process", the worker child run
    beside it until it stops."""
    child = None
    if mode == "process":
        extra = ["--metrics-port", str(args.worker_metrics_port)] if args.worker_metrics_port is not None else []
        # The same settings as this process: the environment, and the port, which a derived public URL follows.
        child = WorkerProcess(extra, env={**os.environ, "GHAPP_PORT": str(settings.port)})
    app = _web_app(args, settings, run_worker=mode == "thread", on_enqueued=child.wake if child else None)
    if app is None:
        return 2
    try:
        listener = listening_socket(host, settings.port, shared=count > 1)
    except OSError as exc:
        print(f"ghapp serve: cannot listen on {host}:{settings.port}: {exc}", file=sys.stderr)
        return 1
    port = listener.getsockname()[1]  # the one given when asked for port 0
    env = {**os.environ, "GHAPP_PORT": str(settings.port)}
    wake = child.wake_fd if child else None
    others = [
        # the k-th other web process also serves /metrics, on --metrics-port + k
        WebProcess(host, port, wake, env=env, args=_metrics_port(args.metrics_port, k))
        for k in range(1, count)
    ]
    _quiet_signals()
    if child is not None:
        child.start()  # after create_app: SQLite is migrated once, by this process
        app.state.runtime.listeners.append(lambda _settings: child.renew())  # new credentials from /setup
    start_others = _once(others)
    if refusal(settings) is None:
        start_others()
    else:  # configured by /setup in this process: the others read the stored credentials when they start
        app.state.runtime.listeners.append(lambda new: start_others() if refusal(new) is None else None)
    try:
        _serve(app, args, listener)
    finally:
        for web in others:  # first: they may still be committing what they acknowledged
            web.stop()
        if child is not None:  # last: the web tier has committed and enqueued everything it acknowledged
            child.stop()
    return 0


def _count_metrics_together(processes: int) -> Callable[[], None]:
    """With more than one process, a new private directory where all of them count their metrics, named in
    this process's environment (which the others inherit) before any metric exists; returns what removes it.
    A directory the operator named is used as it is and kept."""
    if processes < 2 or os.environ.get(SHARED_DIR):
        return lambda: None
    try:
        directory = tempfile.mkdtemp(prefix="ghapp-metrics-")  # mode 0700
    except OSError as exc:  # no writable temporary directory: each process counts alone, as with one
        print(f"ghapp serve: each process keeps its own metrics: {exc}", file=sys.stderr)
        return lambda: None
    os.environ[SHARED_DIR] = directory
    return lambda: shutil.rmtree(directory, ignore_errors=True)


def _serve_started_by_another(args: argparse.Namespace, settings: Settings) -> int:
    """One more web process, on the socket the first one bound for it: no worker of its own; it wakes the
    first one's worker through the worker's pipe."""
    wake_fd = args.wake_write_fd
    wake = (lambda: wake_by(wake_fd)) if wake_fd is not None else None
    app = _web_app(args, settings, run_worker=False, on_enqueued=wake)
    if app is None:
        return 2
    if args.parent_fd is not None:
        stop_when_parent_is_gone(args.parent_fd)
    _quiet_signals()
    _serve(app, args, socket.socket(fileno=args.listen_fd))
    return 0


def _web_app(
    args: argparse.Namespace, settings: Settings, *, run_worker: bool, on_enqueued: Callable[[], None] | None
) -> Starlette | None:
    """A web process's logging, telemetry, App and metrics port; None (said on stderr) when the database
    schema is not current."""
    configure_logging(settings.log_level, secrets_of(settings))
    telemetry = Telemetry.create(settings)
    try:
        app = create_app(settings, telemetry=telemetry, run_worker=run_worker, on_enqueued=on_enqueued)
    except SchemaNotCurrent as exc:
        print(f"ghapp serve: {exc}", file=sys.stderr)
        return None
    if args.metrics_port is not None:
        serve_metrics(telemetry.metrics, args.metrics_port)  # a daemon thread: ends with the process
    return app


def _metrics_port(first: int | None, k: int) -> list[str]:
    return ["--metrics-port", str(first + k)] if first is not None else []


def _serve(app: Starlette, args: argparse.Namespace, listener: socket.socket) -> None:
    """uvicorn on `listener` until SIGTERM or SIGINT, then a graceful stop."""
    host, port = listener.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=args.access_log,
        timeout_graceful_shutdown=15,
        server_header=False,
    )
    uvicorn.Server(config).run(sockets=[listener])


def _quiet_signals() -> None:
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again under the handler that was
    # there before it started; with these no-op handlers in place that ends here, as a clean exit 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)


def _once(others: list[WebProcess]) -> Callable[[], None]:
    """Start `others` at the first call (at start, or when /setup configured the App), never again."""
    started: list[bool] = []

    def start() -> None:
        if not started:
            started.append(True)
            for web in others:
                web.start()

    return start
