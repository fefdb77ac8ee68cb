"""Throughput of processed deliveries with 1, 2 and 4 `ghapp worker` processes on PostgreSQL + Redis, same machine.

Run from the repository root:  .venv/bin/python bench/worker_scaling.py [--deliveries 150] [--workers 1,2,4]

For each worker count: a fresh GitHub simulator in its own process (an org with a billing team, CODEOWNERS and
N AI-written pull requests touching billing/, over real HTTP), a fresh PostgreSQL database, a queue name of its
own in Redis, and that many real `ghapp worker` processes (`--concurrency` jobs each) with the production
handler table. The repository's policy turns the four tool gates off, so what is measured is the App's own
work per delivery (claim, policy, facts, evaluation, check runs, review request, labels: about 20 GitHub
calls), not ruff or semgrep. N `pull_request` `opened` deliveries are recorded in the inbox, then enqueued;
throughput is N over the time from the first enqueue to the last `finished_at`. Warm-up pings make sure every
worker is up before the clock starts. CPU seconds of the workers and the simulator come from /proc.
`--latency-ms` makes the simulator answer each call that much later, as GitHub across the internet does
(the work becomes I/O-bound instead of CPU-bound).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests package (simulator, world)

import psycopg  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from ghapp.github.cache import RedisCache, cache_from_settings  # noqa: E402
from ghapp.runtime.queue import Queue  # noqa: E402
from ghapp.settings import Settings  # noqa: E402
from ghapp.store.database import open_database  # noqa: E402
from ghapp.store.deliveries import DELIVERIES, DeliveryState  # noqa: E402
from ghapp.store.inbox import Inbox, NewDelivery  # noqa: E402
from ghapp.store.migrations import upgrade  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
GHAPP = ROOT / ".venv" / "bin" / "ghapp"
NO_TOOLS = (
    "gates:\n  lint:\n    enabled: false\n  types:\n    enabled: false\n  semgrep:\n    enabled: false\n"
    "  dependency_audit:\n    enabled: false\n"
)
TICKS = os.sysconf("SC_CLK_TCK")


def simulator(world_file: str, count: int, latency_s: float) -> None:
    """The simulator's own process: build the world, serve it, write what the bench needs, wait for stdin to close,
    then print the requests it answered by route."""
    from collections import Counter  # noqa: PLC0415

    from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world  # noqa: PLC0415
    from tests.ghsim import GitHubSim  # noqa: PLC0415

    with GitHubSim() as sim:
        if latency_s > 0:  # every answer waits, as GitHub's do, without using the simulator's CPU
            sim.faults.add(r".", "slow", count=None, delay=latency_s)
        installation = build_world(sim, policy=NO_TOOLS)
        pulls = [
            sim.state.create_pull(
                REPO,
                changes={"billing/charge.py": CHARGE_AI + f"# change {i}\n", f"app/feature_{i}.py": f"VALUE = {i}\n"},
                messages=[AI_MESSAGE],
                body=AI_BODY,
                user="alice",
                title=f"Change {i}",
            )
            for i in range(count)
        ]
        settings = sim.settings()
        world = {
            "api_url": settings.github_api_url,
            "app_id": settings.app_id,
            "private_key": settings.private_key,
            "webhook_secret": settings.webhook_secret,
            "installation_id": installation,
            "repo": REPO,
            "payloads": [sim.payloads.pull_request(REPO, p.number, "opened") for p in pulls],
        }
        Path(world_file + ".tmp").write_text(json.dumps(world))
        Path(world_file + ".tmp").replace(world_file)
        sys.stdin.read()
        routes = Counter(f"{r.method} {r.status}" for r in sim.state.log)
        print(
            json.dumps(
                {
                    "requests": len(sim.state.log),
                    "by_method_status": dict(routes),
                    "tarballs": len(sim.state.requests("GET", "/tarball/")),
                }
            )
        )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def run_one(workers: int, count: int, concurrency: int, timeout: float, tmp: Path, latency_ms: float) -> dict[str, Any]:
    tmp.mkdir(parents=True, exist_ok=True)
    world_file = tmp / f"world-{workers}.json"
    sim = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--simulator",
            str(world_file),
            "--deliveries",
            str(count),
            "--latency-ms",
            str(latency_ms),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    database = f"ghapp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    procs: list[subprocess.Popen[bytes]] = []
    db = open_database(url)
    queue: Queue | None = None
    settings: Settings | None = None
    try:
        upgrade(db)
        wait_until(world_file.exists, 120, "the simulator")
        world = json.loads(world_file.read_text())
        settings = Settings(
            app_id=world["app_id"],
            private_key=world["private_key"],
            database_url=url,
            webhook_secret=world["webhook_secret"],
            github_api_url=world["api_url"],
            redis_url=REDIS_URL,
            queue_name=f"ghapp-bench-{uuid.uuid4().hex[:10]}",
        )
        inbox, queue = Inbox(db), Queue.from_settings(settings)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GHAPP_")}
        env.update(
            {
                "GHAPP_APP_ID": settings.app_id,
                "GHAPP_PRIVATE_KEY": settings.private_key,
                "GHAPP_WEBHOOK_SECRET": settings.webhook_secret,
                "GHAPP_GITHUB_API_URL": settings.github_api_url,
                "GHAPP_DATABASE_URL": url,
                "GHAPP_REDIS_URL": REDIS_URL,
                "GHAPP_QUEUE_NAME": settings.queue_name,
                "GHAPP_DATA_DIR": str(tmp / "var"),
                "GHAPP_LOG_LEVEL": "WARNING",
                "GHAPP_WORKERS": str(concurrency),
            }
        )
        for i in range(workers):
            with (tmp / f"worker-{workers}-{i}.log").open("wb") as log:
                procs.append(
                    subprocess.Popen([str(GHAPP), "worker"], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
                )
        warm = [f"warm-{i}" for i in range(4 * workers)]
        inbox.record_many([NewDelivery(d, "ping", None, None, None, None, '{"zen": "warm"}') for d in warm])
        for d in warm:
            queue.enqueue(d)
        wait_until(lambda: inbox.counts()[DeliveryState.DONE] == len(warm), 120, "the warm-up pings")
        time.sleep(1.0)

        ids = [f"bench-{i}" for i in range(count)]
        inbox.record_many(
            [
                NewDelivery(
                    d, "pull_request", "opened", world["installation_id"], world["repo"], p["number"], json.dumps(p)
                )
                for d, p in zip(ids, world["payloads"], strict=True)
            ]
        )
        cpu_before = [cpu_seconds(p.pid) for p in procs], cpu_seconds(sim.pid)
        busy_before, load_before = machine_busy(), os.getloadavg()[0]
        started = time.time()
        for d in ids:
            queue.enqueue(d)
        finished = len(warm) + count
        over = (DeliveryState.DONE, DeliveryState.FAILED)
        wait_until(lambda: sum(inbox.counts()[s] for s in over) >= finished, timeout, "the deliveries")
        busy_after = machine_busy()
        cpu_workers = sum(cpu_seconds(p.pid) for p in procs) - sum(cpu_before[0])
        cpu_sim = cpu_seconds(sim.pid) - cpu_before[1]
        table = DELIVERIES.c
        with db.engine.connect() as conn:
            last, mean_ms = conn.execute(
                select(func.max(table.finished_at), func.avg(table.duration_ms)).where(table.delivery_id.in_(ids))
            ).one()
        counts = inbox.counts()
        elapsed = last.timestamp() - started
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
        summary = json.loads(sim.communicate("", timeout=60)[0] or "{}")
        if queue is not None:
            queue.huey.flush()
            queue.close()
        if settings is not None:
            cache = cache_from_settings(settings)
            if isinstance(cache, RedisCache):
                cache.clear()
                cache.close()
        db.engine.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    return {
        "workers": workers,
        "concurrency": concurrency,
        "deliveries": count,
        "seconds": round(elapsed, 2),
        "per_second": round(count / elapsed, 2),
        "failed": counts[DeliveryState.FAILED],
        "mean_job_ms": round(mean_ms or 0, 1),
        "cpu_workers_s": round(cpu_workers, 1),
        "cpu_simulator_s": round(cpu_sim, 1),
        "machine_busy_pct": round(100 * busy, 1),
        "load_before": round(load_before, 2),
        "github_calls_per_delivery": round(summary.get("requests", 0) / count, 1),
        "tarballs": summary.get("tarballs"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=150, help="deliveries per worker count (max 1000)")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts to compare")
    parser.add_argument("--concurrency", type=int, default=2, help="jobs at once per worker process (GHAPP_WORKERS)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per worker count")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="the simulator answers every call this much later (GitHub's own latency)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count (the median is reported)")
    parser.add_argument("--simulator", metavar="WORLD_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    count = max(1, min(args.deliveries, 1000))
    if args.simulator:
        simulator(args.simulator, count, args.latency_ms / 1000)
        return 0
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    counts = [int(w) for w in args.workers.split(",")]
    runs: dict[int, list[dict[str, Any]]] = {w: [] for w in counts}
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(max(1, args.repeat)):  # interleaved, so a noisy minute hits every count alike
            for workers in counts:
                runs[workers].append(
                    run_one(workers, count, args.concurrency, args.timeout, Path(tmp) / str(attempt), args.latency_ms)
                )
                print(json.dumps(runs[workers][-1]), file=sys.stderr)
    results = [
        sorted(runs[w], key=lambda r: r["per_second"])[len(runs[w]) // 2]
        | {"all_per_second": [r["per_second"] for r in runs[w]]}
        for w in counts
    ]  # the median run of each count
    if args.json:
        print(json.dumps({"nproc": os.cpu_count(), "cpu": cpu, "results": results}, indent=2))
        return 0
    print(
        f"{os.cpu_count()} x {cpu}, Python {sys.version.split()[0]}; {count} pull_request opened deliveries, "
        f"tools off by policy, {args.concurrency} jobs per worker process, GitHub latency {args.latency_ms:g} ms; "
        f"median of {args.repeat} runs"
    )
    base = results[0]["per_second"]
    for r in results:
        print(
            f"{r['workers']} worker(s): {r['per_second']:6.2f} deliveries/s {r['all_per_second']} ({r['seconds']} s,"
            f" x{r['per_second'] / base:.2f}), mean job {r['mean_job_ms']} ms,"
            f" CPU workers {r['cpu_workers_s']} s + simulator {r['cpu_simulator_s']} s,"
            f" machine busy {r['machine_busy_pct']}%, {r['github_calls_per_delivery']} GitHub calls/delivery,"
            f" failed {r['failed']}, load before {r['load_before']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
