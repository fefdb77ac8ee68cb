"""Webhook acknowledgement latency under burst load, on embedded defaults (SQLite inbox, SQLite queue,
in-process worker), with the App and this load generator on the same machine.

It starts `ghapp serve` (uvicorn, real HTTP on loopback) in a fresh directory with its in-process worker
thread (`--worker thread`, the default), or `ghapp serve --no-worker` beside a `ghapp worker` process
(`--worker process`), or the web tier alone (`--worker none`). GitHub itself is unreachable, as in an outage:
handlers fail fast and defer their deliveries. Then it sends signed real
payloads from tests/fixtures/webhooks (every one of the 77, round robin, each with a new delivery id)
at fixed arrival rates with a fixed number of connections, for a fixed time per rate. Latency is measured
from each delivery's scheduled send time (open loop: a slow server cannot hide its queueing) to the 202.
After the run it checks that every acknowledged delivery is a committed row in the inbox.

    .venv/bin/python bench/ack_latency.py                       # default rates
    .venv/bin/python bench/ack_latency.py --rates 100,400 --seconds 5 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package (fixtures)
from tests.paths import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
WEBHOOKS = FIXTURES / "webhooks"
SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def payloads() -> list[tuple[str, bytes]]:
    return [(p.parent.name, p.read_bytes()) for p in sorted(WEBHOOKS.glob("*/*.json"))]


def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def app_env(port: int, key: str) -> dict[str, str]:
    env = {
        **os.environ,
        "GHAPP_WEBHOOK_SECRET": SECRET,
        "GHAPP_APP_ID": "1",
        "GHAPP_PRIVATE_KEY": key,
        "GHAPP_HOST": "127.0.0.1",
        "GHAPP_PORT": str(port),
        "GHAPP_LOG_LEVEL": "WARNING",
        "GHAPP_REDELIVER_INTERVAL_S": "86400",
        "GHAPP_GITHUB_API_URL": "http://127.0.0.1:9",
    }
    env.pop("GHAPP_DATABASE_URL", None)
    env.pop("GHAPP_REDIS_URL", None)
    return env


def start(workdir: Path, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    with (workdir / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "ghapp"), *args], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def start_app(workdir: Path, port: int, worker: str) -> list[subprocess.Popen[bytes]]:
    """The App's processes, web first (it migrates the database), once it answers /readyz."""
    env = app_env(port, private_key())
    # One web process (the figures are one process's CPU); bench/ack_compare.py measures the default set-up.
    web = ["--web-processes", "1"]
    procs = [start(workdir, "serve", ["serve", *web] if worker == "thread" else ["serve", "--no-worker", *web], env)]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                if worker == "process":
                    procs.append(start(workdir, "worker", ["worker"], env))
                return procs
        except httpx.TransportError:
            time.sleep(0.1)
    procs[0].kill()
    raise SystemExit("ghapp serve did not become ready; see " + str(workdir / "serve.log"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


async def phase(
    clients: list[httpx.AsyncClient],
    url: str,
    bodies: list[tuple[str, bytes]],
    rate: float,
    seconds: float,
    sent: list[str],
) -> dict[str, float]:
    """Send `rate` deliveries/s for `seconds` through one connection per client; open-loop latencies."""
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    queue: asyncio.Queue[int | None] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while (i := await queue.get()) is not None:
            event, body = bodies[i % len(bodies)]
            # each post a body of its own, as GitHub's are: one seen before under another delivery id is a replay
            body = body.rstrip()[:-1] + b',"bench_post":%d}' % i
            delivery = str(uuid.uuid4())
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": event,
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
            }
            try:
                response = await client.post(url, content=body, headers=headers)
                ok = response.status_code == 202
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - (start + i / rate))
                sent.append(delivery)
            else:
                errors += 1

    senders = [asyncio.create_task(sender(client)) for client in clients]
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(i)
    for _ in senders:
        queue.put_nowait(None)
    await asyncio.gather(*senders)
    elapsed = time.perf_counter() - start
    ms = [x * 1000 for x in latencies]
    return {
        "rate": rate,
        "sent": total,
        "ok": len(latencies),
        "errors": errors,
        "achieved": len(latencies) / elapsed,
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms or [0]),
    }


async def run(args: argparse.Namespace, port: int, pid: int) -> tuple[list[dict[str, float]], list[str]]:
    url = f"http://127.0.0.1:{port}/api/github/webhooks"
    bodies = payloads()
    sent: list[str] = []
    # One client per connection: httpx's pool gets slow with many connections in one client, and the load
    # generator must not be what limits the measurement.
    clients = [httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=30) for _ in range(args.concurrency)]
    results = []
    try:
        await phase(clients, url, bodies, 50, 1, [])  # warm up connections and code paths
        for rate in args.rates:
            cpu = cpu_seconds(pid)
            result = await phase(clients, url, bodies, rate, args.seconds, sent)
            result["cpu_ms"] = (cpu_seconds(pid) - cpu) * 1000 / max(1.0, result["ok"])
            results.append(result)
            await asyncio.sleep(args.pause)
    finally:
        for client in clients:
            await client.aclose()
    return results, sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rates", type=lambda s: [float(x) for x in s.split(",")], default=[100.0, 200.0, 400.0, 600.0, 800.0, 1000.0]
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each rate")
    parser.add_argument("--concurrency", type=int, default=32, help="connections the load generator keeps open")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between rates")
    parser.add_argument(
        "--worker",
        choices=["thread", "process", "none"],
        default="thread",
        help="worker in the web process (default), in a `ghapp worker` process beside it, or none",
    )
    args = parser.parse_args()
    port = free_port()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ghapp-bench-") as tmp:
        workdir = Path(tmp)
        procs = start_app(workdir, port, args.worker)
        try:
            results, sent = asyncio.run(run(args, port, procs[0].pid))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(30)
        with sqlite3.connect(workdir / "ghapp.db") as conn:
            stored = {row[0] for row in conn.execute("SELECT delivery_id FROM deliveries")}
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(
        f"machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.platform()}, "
        f"load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after"
    )
    print(
        f"load: {args.concurrency} connections, {args.seconds:g} s per rate, {len(payloads())} real payloads, "
        f"worker: {args.worker}; server CPU = the web process's CPU per acknowledged delivery"
    )
    print("| offered/s | sent | 202 | errors | achieved/s | p50 ms | p95 ms | p99 ms | max ms | server CPU ms | SLO |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        slo = "ok" if r["p95"] < 250 and r["p99"] < 500 and not r["errors"] else "MISSED"
        print(
            f"| {r['rate']:.0f} | {r['sent']:.0f} | {r['ok']:.0f} | {r['errors']:.0f} | {r['achieved']:.0f} | "
            f"{r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | {r['cpu_ms']:.2f} | {slo} |"
        )
    passed = [r["rate"] for r in results if r["p95"] < 250 and r["p99"] < 500 and not r["errors"]]
    print(
        f"highest offered rate within the SLO (p95 < 250 ms, p99 < 500 ms): {max(passed):.0f}/s"
        if passed
        else "no rate met the SLO"
    )
    missing = [d for d in sent if d not in stored]
    print(f"acknowledged deliveries committed to the inbox: {len(sent) - len(missing)} of {len(sent)}")
    print(json.dumps({"results": results}, indent=None))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
