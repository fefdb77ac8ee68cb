"""Memory of the App's processes: RSS idle after start, and peak while a burst of deliveries is processed.

Run from the repository root:  .venv/bin/python bench/worker_memory.py [--deliveries 200] [--bursts 2]

Two set-ups, each started fresh against a GitHub simulator in its own process (bench/worker_scaling.py's: an
org, CODEOWNERS, N AI-written pull requests touching billing/, a policy that turns the four tool gates off so
the App's own memory is measured, not ruff's or semgrep's):
  embedded  `ghapp serve` on SQLite defaults, its worker in a child process (measured as `worker`) and its
            other web processes (`web-2`, ...);
  scaled    `ghapp serve --no-worker` and one `ghapp worker`, on a fresh PostgreSQL database and Redis.
After /readyz and a few seconds of rest, each process's RSS is read from /proc/<pid>/status (idle). Then each
burst POSTs N signed `pull_request` `opened` deliveries (new delivery ids, one after the other as fast as
they are acknowledged) and waits until the inbox has processed all of them, sampling VmRSS every 20 ms;
peak is the largest sample, VmHWM the kernel's high-water mark since start. The tools' own memory on a
50-file PR is measured by `bench/pr_latency.py --sizes 50 --tool-rss`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from ghapp.github.cache import RedisCache, cache_from_settings
from ghapp.runtime.queue import Queue
from ghapp.settings import Settings
from ghapp.store.database import open_database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox
from ghapp.store.migrations import upgrade

ROOT = Path(__file__).resolve().parents[1]
GHAPP = ROOT / ".venv" / "bin" / "ghapp"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def status_kib(pid: int, field: str) -> int:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith(field + ":"))
    return int(line.split()[1])


def mb(kib: int) -> float:
    return round(kib / 1024, 1)


@contextmanager
def simulator(tmp: Path, count: int) -> Iterator[dict[str, Any]]:
    world_file = tmp / "world.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "worker_scaling.py"),
            "--simulator",
            str(world_file),
            "--deliveries",
            str(count),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 120
        while not world_file.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the simulator did not start"
            time.sleep(0.1)
        yield json.loads(world_file.read_text())
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(tmp: Path, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    with (tmp / f"{name}.log").open("wb") as log:
        return subprocess.Popen([str(GHAPP), *args], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "ghapp serve exited; see its log"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("ghapp serve did not become ready")


def children_of(pid: int) -> dict[str, int]:
    """`ghapp serve`'s children by role: `worker`, and `web-2`, `web-3`... for its other web processes (Linux:
    /proc/<pid>/task/<tid>/children)."""
    found: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            role = (
                f"web-{len([k for k in found if k.startswith('web')]) + 2}" if b"--listen-fd" in command else "worker"
            )
            found[role] = int(child)
    assert "worker" in found, f"no worker process among the children of {pid}: {found}"
    return found


class Sampler:
    """The largest VmRSS of each process, sampled every 20 ms in a thread while it runs."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids, self.peak = pids, dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], status_kib(pid, "VmRSS"))
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def burst(url: str, world: dict[str, Any], inbox: Inbox, expected: int, timeout: float) -> float:
    """POST every payload once with a new delivery id; wait until `expected` deliveries are processed."""
    secret = world["webhook_secret"].encode()
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        for payload in world["payloads"]:
            # a field of its own per post: GitHub never sends the same body twice, and the App takes a body
            # seen before under another delivery id for a replay (GHAPP_REPLAY_WINDOW_S)
            body = json.dumps({**payload, "bench_post": uuid.uuid4().hex}).encode()
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
            }
            assert client.post(url, content=body, headers=headers).status_code == 202
    while sum(inbox.counts()[s] for s in (DeliveryState.DONE, DeliveryState.FAILED)) < expected:
        if time.monotonic() - started > timeout:
            raise SystemExit(f"deliveries still waiting after {timeout:g} s: {inbox.counts()}")
        time.sleep(0.1)
    return time.monotonic() - started


def measure(setup: str, world: dict[str, Any], tmp: Path, bursts: int, rest: float, timeout: float) -> dict[str, Any]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHAPP_")}
    env.update(
        {
            "GHAPP_APP_ID": str(world["app_id"]),
            "GHAPP_PRIVATE_KEY": world["private_key"],
            "GHAPP_WEBHOOK_SECRET": world["webhook_secret"],
            "GHAPP_GITHUB_API_URL": world["api_url"],
            "GHAPP_HOST": "127.0.0.1",
            "GHAPP_PORT": str(port),
            "GHAPP_LOG_LEVEL": "WARNING",
            "GHAPP_DATA_DIR": str(tmp / "var"),
            "GHAPP_REDELIVER_INTERVAL_S": "86400",
        }
    )
    database = f"ghapp_mem_{uuid.uuid4().hex[:10]}"
    if setup == "embedded":
        url = f"sqlite:///{tmp / 'app.db'}"
        env.update({"GHAPP_DATABASE_URL": url, "GHAPP_QUEUE_PATH": str(tmp / "queue.db")})
    else:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{database}"
        db = open_database(url)
        upgrade(db)
        db.engine.dispose()
        env.update({"GHAPP_DATABASE_URL": url, "GHAPP_REDIS_URL": REDIS_URL, "GHAPP_QUEUE_NAME": database})
    procs = {"serve": start(tmp, "serve", ["serve"] if setup == "embedded" else ["serve", "--no-worker"], env)}
    try:
        wait_ready(port, procs["serve"])
        if setup == "scaled":
            procs["worker"] = start(tmp, "worker", ["worker"], env)
        time.sleep(rest)
        pids = {name: p.pid for name, p in procs.items()}
        if setup == "embedded":  # `ghapp serve` started its worker (and its other web processes) as children
            pids |= children_of(pids["serve"])
        result: dict[str, Any] = {
            "setup": setup,
            "load": round(os.getloadavg()[0], 1),
            "idle_mb": {name: mb(status_kib(pid, "VmRSS")) for name, pid in pids.items()},
            "bursts": [],
        }
        inbox = Inbox(open_database(url))
        for n in range(1, bursts + 1):
            with Sampler(pids) as sampler:
                seconds = burst(
                    f"http://127.0.0.1:{port}/api/github/webhooks", world, inbox, n * len(world["payloads"]), timeout
                )
            peak = {name: mb(kib) for name, kib in sampler.peak.items()}
            result["bursts"].append(
                {
                    "seconds": round(seconds, 1),
                    "peak_mb": peak,
                    "after_mb": {k: mb(status_kib(pid, "VmRSS")) for k, pid in pids.items()},
                    "failed": inbox.counts()[DeliveryState.FAILED],
                }
            )
        result["hwm_mb"] = {name: mb(status_kib(pid, "VmHWM")) for name, pid in pids.items()}
        inbox.db.engine.dispose()
        return result
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(60)
        if setup == "scaled":
            forget_redis(world, database)
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def forget_redis(world: dict[str, Any], queue_name: str) -> None:
    """Delete the run's queue and cache keys from Redis."""
    settings = Settings(
        app_id=str(world["app_id"]), private_key=world["private_key"], redis_url=REDIS_URL, queue_name=queue_name
    )
    queue = Queue.from_settings(settings)
    queue.huey.flush()
    queue.close()
    cache = cache_from_settings(settings)
    if isinstance(cache, RedisCache):
        cache.clear()
    cache.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=200, help="deliveries per burst (distinct PRs)")
    parser.add_argument("--bursts", type=int, default=2)
    parser.add_argument("--rest", type=float, default=5.0, help="seconds between ready and the idle reading")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per burst")
    parser.add_argument("--setups", default="embedded,scaled")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for setup in args.setups.split(","):
            folder = Path(tmp) / setup
            folder.mkdir()
            with simulator(folder, args.deliveries) as world:
                results.append(measure(setup, world, folder, args.bursts, args.rest, args.timeout))
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    if args.json:
        print(json.dumps(results, indent=2))
    print(
        f"{os.cpu_count()} x {cpu}, Python {platform.python_version()}; {args.deliveries} deliveries per burst, "
        "tools off by policy; RSS in MB"
    )
    for r in results:
        print(f"{r['setup']} (load {r['load']}): idle {r['idle_mb']}; high-water mark {r['hwm_mb']}")
        for n, b in enumerate(r["bursts"], 1):
            print(
                f"  burst {n}: {b['seconds']} s, peak {b['peak_mb']}, after {b['after_mb']}, "
                f"failed so far {b['failed']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
