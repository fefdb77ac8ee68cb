"""Webhook acknowledgement, side by side in one run on one machine: prompt-to-pr on its embedded defaults
(SQLite inbox and queue, one web process per CPU, its worker in a child process), prompt-to-pr scaled out
(PostgreSQL inbox, Redis queue), and a minimal Probot app (bench/probot: Probot's own middleware, same path,
same secret, same HMAC-SHA256 check, a no-op handler). Every server gets the same load from the same generators:

- fixed arrival rates (open loop, asyncio on raw kept-alive connections with pre-built requests): each
  delivery is due at its time whatever the server does, and its latency runs from that due time to the
  answer, so queueing shows;
- saturation (closed loop, `wrk` with a Lua script): as fast as `--connections` connections go;
- with `--rounds N`, saturation again in N rounds with every server up at once, measured in turns whose
  order reverses each round, so that a box whose speed drifts during the run weighs on every server alike.

Every request carries the same real, signed 28 KB `pull_request` payload from tests/fixtures/webhooks
(signed once) and a new `X-GitHub-Delivery` id. GitHub's API is unreachable for prompt-to-pr (a closed
port), as in an outage: its worker's first deliveries fail their token requests, the GitHub circuit breaker
opens, and the worker claims nothing more until the cool-down's probe (the deliveries wait in the inbox);
Probot does no work after the acknowledgement either. After each server, the deliveries prompt-to-pr
acknowledged are counted in its inbox. Server CPU counts every process of a server (`ghapp serve`'s other web
processes and its worker process included).

    .venv/bin/python bench/ack_compare.py                            # 100, 200, 400/s for 8 s + 10 s of wrk
    .venv/bin/python bench/ack_compare.py --rates 100,200 --seconds 5 --only probot,sqlite
    .venv/bin/python bench/ack_compare.py --rates 400 --seconds 4 --rounds 6   # then 6 rounds in turns

Needs: node + `npm ci` in bench/probot, wrk (apt-get install -y wrk), PostgreSQL and Redis on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package (fixtures)
from tests.paths import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = FIXTURES / "webhooks" / "pull_request" / "opened.json"
PROBOT = ROOT / "bench" / "probot"
PATH = "/api/github/webhooks"
SECRET = "bench-" + uuid.uuid4().hex
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_DB = 12
SERVERS = ("probot", "sqlite", "postgres+redis")

WRK_SCRIPT = r"""
wrk.method = "POST"
local f = assert(io.open("%(body)s", "rb"))
wrk.body = f:read("*a")
f:close()
local base = {["Content-Type"] = "application/json", ["User-Agent"] = "GitHub-Hookshot/bench",
              ["X-GitHub-Event"] = "pull_request", ["X-Hub-Signature-256"] = "%(signature)s"}
local threads, counter, tid = {}, 0, 0
function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
  table.insert(threads, thread)
end
function request()
  counter = counter + 1
  local headers = {}
  for k, v in pairs(base) do headers[k] = v end
  headers["X-GitHub-Delivery"] = string.format("%(prefix)s-%%d-%%d", tid, counter)
  return wrk.format(nil, nil, headers, nil)
end
function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %%d, \"duration_us\": %%d, \"non2xx\": %%d, \"errors\": %%d, " ..
    "\"p50\": %%d, \"p95\": %%d, \"p99\": %%d, \"max\": %%d}\n", summary.requests, summary.duration,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass
class Result:
    server: str
    phase: str
    sent: int
    rate: float  # deliveries acknowledged per second
    p50: float
    p95: float
    p99: float
    statuses: dict[str, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


class Server:
    """One server under test in its own process(es); `stop` also drops what it created."""

    def __init__(self, name: str, workdir: Path, key: str) -> None:
        self.name, self.workdir, self.key = name, workdir, key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{PATH}"
        self.process: subprocess.Popen[bytes] | None = None
        self.database = ""
        self.queue_name = f"bench-{uuid.uuid4().hex[:8]}"
        self.replay_window_s = 0  # see env()

    def env(self) -> dict[str, str]:
        base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
        if self.name == "probot":
            return {
                **base,
                "PORT": str(self.port),
                "WEBHOOK_SECRET": SECRET,
                "PRIVATE_KEY": self.key,
                "APP_ID": "1",
                "NODE_ENV": "production",
            }
        env = {
            **base,
            "GHAPP_APP_ID": "1",
            "GHAPP_PRIVATE_KEY": self.key,
            "GHAPP_WEBHOOK_SECRET": SECRET,
            "GHAPP_GITHUB_API_URL": "http://127.0.0.1:9/",
            "GHAPP_HOST": "127.0.0.1",
            "GHAPP_PORT": str(self.port),
            "GHAPP_LOG_LEVEL": "WARNING",
            "GHAPP_DATA_DIR": str(self.workdir / "var"),
            # The set-up sends ONE signed body under many delivery ids, which is exactly a replay: with the
            # replay window on, every delivery after the first is answered "duplicate" and not committed.
            # The window is off here so that each delivery is committed, the work this benchmark measures.
            "GHAPP_REPLAY_WINDOW_S": str(self.replay_window_s),
        }
        if self.name == "postgres+redis":
            env |= {
                "GHAPP_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{self.database}",
                "GHAPP_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
                "GHAPP_QUEUE_NAME": self.queue_name,
            }
        return env

    def start(self) -> None:
        log = (self.workdir / f"{self.name.replace('+', '-')}.log").open("wb")
        if self.name == "probot":
            self.process = subprocess.Popen(["node", "app.js"], cwd=PROBOT, env=self.env(), stdout=log, stderr=log)
        else:
            if self.name == "postgres+redis":
                self.database = f"ghapp_bench_{uuid.uuid4().hex[:10]}"
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f'CREATE DATABASE "{self.database}"')
                subprocess.run(
                    [str(Path(sys.executable).parent / "ghapp"), "db", "upgrade"],
                    env=self.env(),
                    cwd=self.workdir,
                    check=True,
                    capture_output=True,
                )
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "ghapp"), "serve"],
                cwd=self.workdir,
                env=self.env(),
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                probe = httpx.post(
                    self.url,
                    content=b"{}",
                    timeout=2,
                    headers={
                        "X-GitHub-Event": "ping",
                        "X-GitHub-Delivery": "probe",
                        "Content-Type": "application/json",
                    },
                )
                if 400 <= probe.status_code < 500:  # up, and refusing an unsigned delivery
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start; see {log.name}")
            time.sleep(0.2)

    def settle(self, quiet_s: float = 0.05, limit_s: float = 30.0) -> None:
        """Wait until the server's processes are idle (under `quiet_s` of CPU in half a second): `ghapp serve`'s
        worker process may still be importing when the web tier already answers, and that start-up is not
        the acknowledgement's cost."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(0.5)
            if self.cpu_seconds() - before < quiet_s:
                return

    def recorded(self) -> int | None:
        """Deliveries in prompt-to-pr's inbox (None for Probot, which keeps nothing)."""
        if self.name == "sqlite":
            with sqlite3.connect(self.workdir / "ghapp.db") as conn:
                return int(conn.execute("SELECT count(*) FROM deliveries").fetchone()[0])
        if self.name == "postgres+redis":
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{self.database}") as conn:
                row = conn.execute("SELECT count(*) FROM deliveries").fetchone()
                return int(row[0]) if row else 0
        return None

    def cpu_seconds(self) -> float:
        """CPU (user + system) of the server's process and its children (`ghapp serve`'s worker process)."""
        return sum(self.cpu_by_process().values())

    def cpu_by_process(self) -> dict[str, float]:
        """CPU seconds of the server's processes by role: `web` (the one started and the web processes it
        started) and `worker` (its worker process and what that runs)."""
        if self.process is None:
            return {}
        found: dict[str, float] = {}
        for pid in [self.process.pid, *children(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            try:
                web = pid == self.process.pid or b"--listen-fd" in Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            role = "web" if web else "worker"  # `ghapp serve`'s other web processes are web too
            found[role] = found.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return found

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.database:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
            keys = list(client.scan_iter(f"*{self.queue_name}*"))
            if keys:
                client.delete(*keys)
            client.close()


def children(pid: int) -> list[int]:
    """The live descendants of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == pid:
                found += [int(entry.name), *children(int(entry.name))]
    return found


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> str:
    """One HTTP/1.1 request on a kept-alive connection; returns the status code."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ")[1]
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def fixed_rate(
    url: str, body: bytes, signature: str, rate: float, seconds: float, connections: int, prefix: str
) -> tuple[list[float], Counter[str], float]:
    """Open loop: delivery i is due at start + i / rate and goes out on the next free connection; latency
    runs from the due time to the answer. Requests are pre-built bytes on raw kept-alive connections, so the
    generator spends microseconds per delivery (an HTTP client library would be the bottleneck on 2 cores)."""
    parts = urlsplit(url)
    count = int(rate * seconds)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"User-Agent: GitHub-Hookshot/bench\r\nX-GitHub-Event: pull_request\r\n"
        f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n"
    )
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    jobs: asyncio.Queue[int] = asyncio.Queue()
    start = time.perf_counter() + 0.1
    last = start

    async def connection() -> None:
        nonlocal last
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while True:
                i = await jobs.get()
                if i < 0:
                    return
                request = (head + f"X-GitHub-Delivery: {prefix}-{i}\r\n\r\n").encode() + body
                try:
                    statuses[await _exchange(reader, writer, request)] += 1
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    statuses[type(exc).__name__] += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                now = time.perf_counter()
                latencies.append(now - (start + i / rate))
                last = max(last, now)
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        jobs.put_nowait(i)
    for _ in workers:
        jobs.put_nowait(-1)
    await asyncio.gather(*workers)
    return latencies, statuses, count / (last - start)


def saturate(
    url: str, body_path: Path, signature: str, seconds: int, connections: int, threads: int, workdir: Path
) -> dict[str, float]:
    script = workdir / f"wrk-{uuid.uuid4().hex[:6]}.lua"
    script.write_text(WRK_SCRIPT % {"body": str(body_path), "signature": signature, "prefix": uuid.uuid4().hex[:12]})
    return wrk(script, url, seconds, connections, threads)


def wrk(script: Path, url: str, seconds: int, connections: int, threads: int) -> dict[str, float]:
    """Run wrk with `script`, whose done() prints one line `JSON {...}`; that line's figures."""
    done = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("JSON "))
    data: dict[str, float] = json.loads(line[5:])
    return data


def machine() -> dict[str, str]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout.split("[")[0].strip()
    probot = json.loads((PROBOT / "node_modules" / "probot" / "package.json").read_text())["version"]
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "node": node,
        "wrk": wrk,
        "probot": probot,
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def run_server(
    name: str, args: argparse.Namespace, key: str, body: bytes, signature: str, body_path: Path
) -> tuple[list[Result], dict[str, object]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"ack-{name.replace('+', '-')}-"))
    server = Server(name, workdir, key)
    results: list[Result] = []
    acked = 0
    try:
        server.start()
        server.settle()
        asyncio.run(fixed_rate(server.url, body, signature, 50, 2, args.connections, f"warm-{uuid.uuid4().hex}"))
        server.settle()
        cpu_before = server.cpu_by_process()
        for rate in args.rates:
            lat, statuses, achieved = asyncio.run(
                fixed_rate(
                    server.url, body, signature, rate, args.seconds, args.connections, f"r{rate}-{uuid.uuid4().hex}"
                )
            )
            acked += sum(n for code, n in statuses.items() if code.startswith("2"))
            results.append(
                Result(
                    name,
                    f"{rate:g}/s",
                    len(lat),
                    achieved,
                    1000 * percentile(lat, 50),
                    1000 * percentile(lat, 95),
                    1000 * percentile(lat, 99),
                    dict(statuses),
                )
            )
            time.sleep(args.pause)
        sat = saturate(
            server.url, body_path, signature, args.wrk_seconds, args.wrk_connections, args.wrk_threads, workdir
        )
        acked += int(sat["requests"] - sat["non2xx"] - sat["errors"])
        results.append(
            Result(
                name,
                f"saturation (wrk -c{args.wrk_connections})",
                int(sat["requests"]),
                sat["requests"] / (sat["duration_us"] / 1e6),
                sat["p50"] / 1000,
                sat["p95"] / 1000,
                sat["p99"] / 1000,
                {"non-2xx": int(sat["non2xx"]), "socket errors": int(sat["errors"])},
            )
        )
        cpu = {role: used - cpu_before.get(role, 0.0) for role, used in server.cpu_by_process().items()}
        time.sleep(1.0)
        recorded = server.recorded()
        total = sum(cpu.values())
        extra: dict[str, object] = {
            "acknowledged": acked,
            "recorded": recorded,
            "server_cpu_s": round(total, 1),
            "cpu_ms_per_delivery": round(1000 * total / acked, 3) if acked else None,
        }
        if "worker" in cpu:
            extra["worker_process_cpu_s"] = round(cpu["worker"], 1)
        return results, extra
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def alternating(
    names: list[str], args: argparse.Namespace, key: str, body: bytes, signature: str, body_path: Path
) -> dict[str, list[float]]:
    """Saturation again, every server started at once and measured in turns, the order reversed each round
    (A B C, C B A, ...): a box whose speed drifts during the run weighs on every server alike, where one
    server after another would give the drift to whichever came last. The others stay idle meanwhile."""
    workdirs = {name: Path(tempfile.mkdtemp(prefix=f"ack-rounds-{name.replace('+', '-')}-")) for name in names}
    servers = {name: Server(name, workdirs[name], key) for name in names}
    rates: dict[str, list[float]] = {name: [] for name in names}
    acked = dict.fromkeys(names, 0)
    try:
        for name, server in servers.items():
            server.start()
            server.settle()
            _, statuses, _ = asyncio.run(
                fixed_rate(server.url, body, signature, 50, 2, args.connections, f"warm-{uuid.uuid4().hex}")
            )
            acked[name] += sum(n for code, n in statuses.items() if code.startswith("2"))
        for turn in range(args.rounds):
            for name in names if turn % 2 == 0 else list(reversed(names)):
                servers[name].settle()
                time.sleep(args.pause)
                sat = saturate(
                    servers[name].url,
                    body_path,
                    signature,
                    args.wrk_seconds,
                    args.wrk_connections,
                    args.wrk_threads,
                    workdirs[name],
                )
                ok = sat["requests"] - sat["non2xx"] - sat["errors"]
                acked[name] += int(ok)
                rates[name].append(ok / (sat["duration_us"] / 1e6))
                print(f"   round {turn + 1} {name}: {rates[name][-1]:,.0f}/s", flush=True)
        time.sleep(1.0)
        for name, server in servers.items():
            recorded = server.recorded()
            if recorded is not None and recorded < acked[name]:
                raise RuntimeError(f"{name}: {acked[name]} acknowledged in the rounds, {recorded} in the inbox")
        return rates
    finally:
        for server in servers.values():
            server.stop()
        for workdir in workdirs.values():
            shutil.rmtree(workdir, ignore_errors=True)


def rounds_table(rates: dict[str, list[float]]) -> str:
    """Each server's acknowledgements a second in every round, their median, and against Probot: the ratio of
    the medians and the ratio within each round."""
    base = rates.get("probot")
    lines = [
        "| server | rounds (/s) | median /s | vs Probot: medians | vs Probot: each round |",
        "|---|---|---|---|---|",
    ]
    for name, found in rates.items():
        median = statistics.median(found)
        against = base is not None and name != "probot"
        ratio = f"x{median / statistics.median(base):.2f}" if against and base else ""
        each = (
            ", ".join(f"x{mine / theirs:.2f}" for mine, theirs in zip(found, base, strict=True))
            if base and against
            else ""
        )
        lines.append(f"| {name} | {', '.join(f'{x:,.0f}' for x in found)} | {median:,.0f} | {ratio} | {each} |")
    return "\n".join(lines)


def table(results: list[Result], extras: dict[str, dict[str, object]]) -> str:
    probot = {r.phase: r for r in results if r.server == "probot"}
    lines = [
        "| server | load | sent | acknowledged/s | p50 ms | p95 ms | p99 ms | answers | vs Probot (rate, p99) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        base = probot.get(r.phase)
        ratio = (
            f"x{r.rate / base.rate:.2f}, x{r.p99 / base.p99:.2f}"
            if base is not None and r.server != "probot" and base.rate and base.p99
            else ""
        )
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items()))
        lines.append(
            f"| {r.server} | {r.phase} | {r.sent} | {r.rate:,.0f} | {r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f} "
            f"| {answers} | {ratio} |"
        )
    lines.append("")
    for name, extra in extras.items():
        lines.append(f"- {name}: " + ", ".join(f"{k} {v}" for k, v in extra.items()))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="100,200,400", help="fixed arrival rates, deliveries per second")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per fixed rate")
    parser.add_argument("--connections", type=int, default=32, help="connections of the fixed-rate generator")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--wrk-connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between phases")
    parser.add_argument("--only", default=",".join(SERVERS), help=f"servers to run, of {', '.join(SERVERS)}")
    parser.add_argument(
        "--rounds", type=int, default=0, help="then this many saturation rounds with every server up, in turns"
    )
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    args.rates = [float(x) for x in args.rates.split(",")]
    if not (PROBOT / "node_modules" / "probot").is_dir():
        print("run `npm ci` in bench/probot first", file=sys.stderr)
        return 2
    key = private_key()
    body = PAYLOAD.read_bytes()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    info = machine()
    print(f"machine: {info}", flush=True)
    results: list[Result] = []
    extras: dict[str, dict[str, object]] = {}
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    for name in names:
        print(f"== {name}", flush=True)
        found, extra = run_server(name, args, key, body, signature, PAYLOAD.resolve())
        results += found
        extras[name] = extra
        for r in found:
            print(
                f"   {r.phase}: {r.rate:,.0f}/s p50 {r.p50:.1f} p95 {r.p95:.1f} p99 {r.p99:.1f} ms {r.statuses}",
                flush=True,
            )
        print(f"   {extra}", flush=True)
    rounds: dict[str, list[float]] = {}
    if args.rounds > 0:
        print(f"== {args.rounds} rounds in turns", flush=True)
        rounds = alternating(names, args, key, body, signature, PAYLOAD.resolve())
    info["load after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print()
    print(table(results, extras))
    if rounds:
        print()
        print(rounds_table(rounds))
    if args.out is not None:
        args.out.write_text(
            json.dumps(
                {
                    "machine": info,
                    "command": " ".join(sys.argv),
                    "results": [r.__dict__ for r in results],
                    "extras": extras,
                    "rounds": rounds,
                },
                indent=2,
            )
        )
    bad = [
        name
        for name, extra in extras.items()
        if isinstance(extra["recorded"], int) and extra["recorded"] < int(str(extra["acknowledged"]))
    ]
    if bad:
        print(f"acknowledged deliveries missing from the inbox: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
