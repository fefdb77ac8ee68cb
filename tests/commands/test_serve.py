"""`ghapp serve` as a real process: starts on embedded defaults (SQLite migrated at start), accepts and
processes signed deliveries, starts without credentials showing setup, hands work to `ghapp worker` with
--no-worker, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ghapp.cli import main
from ghapp.commands import serve
from ghapp.commands.serve import web_processes
from ghapp.observability.metrics import SHARED_DIR
from ghapp.settings import Settings
from ghapp.store.database import open_database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox
from tests.conftest import WEBHOOK_SECRET, delivery_headers, load_webhook
from tests.paths import ROOT
from tests.polling import free_port, wait_for

GHAPP = ROOT / ".venv" / "bin" / "ghapp"
# A connection the kernel hands to a web process still starting waits in that socket's queue until it accepts,
# which on a loaded machine can take longer than httpx's 5 s default.
ANSWER_S = 30.0


def app_env(tmp_path: Path, *, credentials: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHAPP_")}
    env.update(
        {
            "GHAPP_HOST": "127.0.0.1",
            "GHAPP_DATA_DIR": str(tmp_path / "var"),
            "GHAPP_SWEEP_INTERVAL_S": "1",
            "GHAPP_GITHUB_API_URL": "http://127.0.0.1:9",
            "GHAPP_REDELIVER_INTERVAL_S": "86400",
        }
    )
    if credentials:
        env.update({"GHAPP_APP_ID": "1", "GHAPP_PRIVATE_KEY": "unused", "GHAPP_WEBHOOK_SECRET": WEBHOOK_SECRET})
    return env


@contextmanager
def running(args: list[str], env: dict[str, str], cwd: Path, name: str) -> Iterator[subprocess.Popen[bytes]]:
    with (cwd / f"{name}.log").open("wb") as log:
        proc = subprocess.Popen([str(GHAPP), *args], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


def ready(base: str) -> bool:
    try:
        return httpx.get(base + "/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def state(tmp_path: Path, delivery_id: str) -> str | None:
    db = open_database(f"sqlite:///{tmp_path / 'ghapp.db'}")
    try:
        row = Inbox(db).get(delivery_id)
        return row.state if row is not None else None
    finally:
        db.engine.dispose()


@pytest.mark.slow
def test_serve_accepts_and_processes_a_signed_delivery_then_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port)], app_env(tmp_path), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base)), (tmp_path / "serve.log").read_text()
        body = load_webhook("installation", "created")
        headers = delivery_headers("installation", body)
        response = httpx.post(base + "/api/github/webhooks", content=body, headers=headers, timeout=ANSWER_S)
        assert response.status_code == 202 and response.json()["status"] == "accepted"
        assert wait_for(lambda: state(tmp_path, headers["X-GitHub-Delivery"]) == DeliveryState.DONE)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert (tmp_path / "ghapp.db").exists() and (tmp_path / "ghapp-queue.db").exists()  # embedded defaults


@pytest.mark.slow
def test_serve_without_credentials_shows_setup_and_refuses_deliveries(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    arguments = ["serve", "--port", str(port), "--web-processes", "2"]
    with running(arguments, app_env(tmp_path, credentials=False), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base)), (tmp_path / "serve.log").read_text()
        assert web_children(proc.pid) == []  # one web process until /setup has stored the credentials
        setup = httpx.get(base + "/setup")
        assert setup.status_code == 200
        assert f"http://localhost:{port}/api/github/webhooks" in setup.text  # the port served, not the default
        body = load_webhook("ping", "payload")
        refused = httpx.post(
            base + "/api/github/webhooks", content=body, headers=delivery_headers("ping", body), timeout=ANSWER_S
        )
        assert refused.status_code == 503 and "/setup" in refused.json()["error"]
    assert "refused until the App is configured" in (tmp_path / "serve.log").read_text()


@pytest.mark.slow
def test_serve_without_a_worker_hands_deliveries_to_ghapp_worker(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(tmp_path)
    with running(["serve", "--port", str(port), "--no-worker"], env, tmp_path, "serve"):
        assert wait_for(lambda: ready(base)), (tmp_path / "serve.log").read_text()
        body = load_webhook("ping", "payload")
        headers = delivery_headers("ping", body)
        answer = httpx.post(base + "/api/github/webhooks", content=body, headers=headers, timeout=ANSWER_S)
        assert answer.status_code == 202
        time.sleep(1.0)
        assert state(tmp_path, headers["X-GitHub-Delivery"]) == DeliveryState.PENDING
        with running(["worker"], env, tmp_path, "worker"):
            assert wait_for(lambda: state(tmp_path, headers["X-GitHub-Delivery"]) == DeliveryState.DONE)


def worker_children(pid: int) -> list[int]:
    """The `ghapp worker` processes whose parent is `pid` (zombies left out)."""
    return children(pid, b"worker", b"--wake-fd")


def web_children(pid: int) -> list[int]:
    """The web processes `pid` started (zombies left out)."""
    return children(pid, b"serve", b"--listen-fd")


def children(pid: int, *words: bytes) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[1]) == pid and stat[0] != "Z" and all(word in command for word in words):
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def accept(base: str, tmp_path: Path, event: str = "installation", name: str = "created") -> None:
    body = load_webhook(event, name)  # each body once: the same body again is a replay, not recorded
    headers = delivery_headers(event, body)
    answer = httpx.post(base + "/api/github/webhooks", content=body, headers=headers, timeout=ANSWER_S)
    assert answer.status_code == 202
    assert wait_for(lambda: state(tmp_path, headers["X-GitHub-Delivery"]) == DeliveryState.DONE)


@pytest.mark.slow
def test_serve_runs_its_worker_in_a_child_process_started_again_when_it_dies(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port)], app_env(tmp_path), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base) and len(worker_children(proc.pid)) == 1)
        [first] = worker_children(proc.pid)
        accept(base, tmp_path)  # processed by the child
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: worker_children(proc.pid) not in ([], [first]))
        [second] = worker_children(proc.pid)
        accept(base, tmp_path, "ping", "payload")  # and by the new one
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert wait_for(lambda: not alive(second))  # stopped with it
    log = (tmp_path / "serve.log").read_text()
    assert "the worker process exited with -9; starting another" in log


@pytest.mark.slow
def test_a_killed_serve_takes_its_worker_process_with_it(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port)], app_env(tmp_path), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base) and len(worker_children(proc.pid)) == 1)
        [child] = worker_children(proc.pid)
        proc.kill()  # no chance to stop the child: the pipe's end of file tells it
        proc.wait(30)
        assert wait_for(lambda: not alive(child))
    assert "the serving process is gone: stopping" in (tmp_path / "serve.log").read_text()


@pytest.mark.slow
def test_serve_shares_its_port_with_more_web_processes_and_restarts_one_that_dies(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port), "--web-processes", "2"], app_env(tmp_path), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base) and len(web_children(proc.pid)) == 1), (tmp_path / "serve.log").read_text()
        [web] = web_children(proc.pid)
        # With the first process stopped, only the second can answer: of 24 new connections (the kernel hashes
        # each to one of the two sockets) it answers its share, and the rest wait for the first to go on.
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            answered = sum(accepted_within(base, 3.0, str(n)) for n in range(24))
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        assert 0 < answered < 24
        os.kill(web, signal.SIGKILL)
        assert wait_for(lambda: web_children(proc.pid) not in ([], [web]))
        accept(base, tmp_path)  # every socket answers again
        [second] = web_children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert wait_for(lambda: not alive(second))
    assert "the web process exited with -9; starting another" in (tmp_path / "serve.log").read_text()


def accepted_within(base: str, timeout_s: float, salt: str) -> bool:
    """A new delivery on a new connection was acknowledged within `timeout_s`."""
    body = json.dumps({"zen": f"Keep it logically awesome {salt}", "hook_id": 1}).encode()
    try:
        answer = httpx.post(
            base + "/api/github/webhooks", content=body, headers=delivery_headers("ping", body), timeout=timeout_s
        )
    except httpx.TimeoutException:
        return False
    return answer.status_code == 202


@pytest.mark.slow
def test_a_killed_serve_takes_its_web_processes_with_it(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port), "--web-processes", "3"], app_env(tmp_path), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base) and len(web_children(proc.pid)) == 2 and worker_children(proc.pid))
        [worker] = worker_children(proc.pid)
        webs = web_children(proc.pid)
        proc.kill()  # no chance to stop them: their pipes' end of file tells them
        proc.wait(30)
        assert wait_for(lambda: not any(alive(pid) for pid in [*webs, worker]), 60)


@pytest.mark.slow
def test_a_second_serve_on_a_taken_port_fails_rather_than_sharing_it(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    with running(["serve", "--port", str(port), "--web-processes", "2"], app_env(first), first, "serve"):
        assert wait_for(lambda: ready(base))
        # Another App's data dir on the same port: were it let in, the kernel would split deliveries between
        # two inboxes. It must stop with an error instead.
        other = subprocess.run(
            [str(GHAPP), "serve", "--port", str(port), "--web-processes", "2"],
            cwd=second,
            env=app_env(second),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert other.returncode == 1 and b"cannot listen" in other.stderr


@pytest.mark.slow
def test_serve_can_keep_its_worker_in_a_thread(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port), "--worker", "thread"], app_env(tmp_path), tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base))
        assert worker_children(proc.pid) == [] and web_children(proc.pid) == []  # one process
        accept(base, tmp_path)


def test_bad_settings_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GHAPP_PORT", "three thousand")
    assert main(["serve"]) == 2
    assert "GHAPP_PORT" in capsys.readouterr().err
    assert main(["worker"]) == 2


@pytest.mark.parametrize(
    ("asked", "configured", "cpus", "expected"),
    [(None, 0, 2, 2), (None, 0, 16, 4), (None, 0, None, 1), (None, 3, 16, 3), (1, 3, 16, 1), (0, 0, 8, 4)],
)
def test_the_number_of_web_processes(
    monkeypatch: pytest.MonkeyPatch, asked: int | None, configured: int, cpus: int | None, expected: int
) -> None:
    monkeypatch.setattr(serve, "usable_cpus", lambda: cpus or 1)
    assert web_processes(Settings(web_processes=configured), asked) == expected


def two_free_ports() -> int:
    """A port that is free, and the one after it too."""
    while True:
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


def accepted_pings(url: str, token: str | None = None) -> float | None:
    """`ghapp_deliveries_total` of accepted pings as `url` serves it; None while it does not answer."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        text = httpx.get(url, headers=headers, timeout=2).text
    except httpx.TransportError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "ghapp_deliveries_total" and sample.labels == {"event": "ping", "outcome": "accepted"}:
                return sample.value
    return 0.0


def shared_dir(pid: int) -> Path:
    """The directory process `pid` was started to count its metrics in."""
    environ = dict(
        entry.split(b"=", 1) for entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in entry
    )
    return Path(environ[SHARED_DIR.encode()].decode())


@pytest.mark.slow
def test_every_process_of_serve_serves_the_sums_of_all(tmp_path: Path) -> None:
    """Whichever process answers a scrape, it shows what all of them counted: a counter never goes back
    because another web process answered, and one scrape target sees the worker child too."""
    port, metrics, worker_metrics = free_port(), two_free_ports(), free_port()
    base = f"http://127.0.0.1:{port}"
    arguments = ["serve", "--port", str(port), "--web-processes", "2"]
    arguments += ["--metrics-port", str(metrics), "--worker-metrics-port", str(worker_metrics)]
    env = app_env(tmp_path) | {"GHAPP_METRICS_TOKEN": "scrape-token"}
    with running(arguments, env, tmp_path, "serve") as proc:
        assert wait_for(lambda: ready(base) and len(web_children(proc.pid)) == 1), (tmp_path / "serve.log").read_text()
        [web] = web_children(proc.pid)
        assert all(accepted_within(base, 10.0, str(n)) for n in range(16))  # new connections: both sockets
        scrapes = [f"http://127.0.0.1:{at}/metrics" for at in (metrics, metrics + 1, worker_metrics)]
        assert wait_for(lambda: all(accepted_pings(url) == 16 for url in scrapes))
        assert accepted_pings(base + "/metrics", "scrape-token") == 16
        directory = shared_dir(web)  # named by the first process after it started: its children inherit it
        counted_by = {path.name for path in directory.glob("counter_*.db")}
        assert {f"counter_{proc.pid}.db", f"counter_{web}.db"} <= counted_by  # both web processes answered
        assert len(counted_by) == 3  # and the worker child counts there too
        assert directory.stat().st_mode & 0o077 == 0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    assert not directory.exists()


def test_without_a_temporary_directory_each_process_counts_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SHARED_DIR, "")  # unset for the test, and removed again after it

    def no_room(prefix: str) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(serve.tempfile, "mkdtemp", no_room)
    serve._count_metrics_together(3)()
    assert not os.environ[SHARED_DIR]
    assert "each process keeps its own metrics: [Errno 28] No space left on device" in capsys.readouterr().err
