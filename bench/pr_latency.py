"""Time from a `pull_request` `opened` delivery to all six check runs completed, with the real tools, by phase and gate.

Run from the repository root:  .venv/bin/python bench/pr_latency.py [--sizes 5,50] [--repeat 5] [--json]

The App (`create_app`, the production handler table, real ruff, mypy, semgrep and pip-audit against the local
OSV server tests/osv_server.py) is served by uvicorn with its in-process worker; the GitHub simulator serves
the API over real HTTP and POSTs the signed delivery, as bench/api_calls.py does. Each run opens a new
AI-written pull request (bench/ai_pr.py: N files, realistic modules with findings, a requirements.txt with a
vulnerable pin) and polls the simulator every 10 ms for each check run's completion (GitHub's own
`completed_at` has whole seconds only). Phases come from the App's trace spans (job, GitHub calls, the
tarball download) and from each tool's start and end; the tools' `duration_s` is their reports'. A warm-up
run comes first; sizes are interleaved; `--budget` bounds the whole run. `--tool-rss` runs each tool under a
small wrapper that reports the peak RSS of the tool's largest process (getrusage of its children).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests package (simulator, harness, OSV server)

from ai_pr import ai_pull_files  # noqa: E402  (bench/, the script's own folder)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

from ghapp.app import create_app  # noqa: E402
from ghapp.core.decisions import Gate, ToolReport  # noqa: E402
from ghapp.enforcement import Enforcer  # noqa: E402
from ghapp.github import CallCounter, GitHubApp  # noqa: E402
from ghapp.handlers import build_handlers  # noqa: E402
from ghapp.observability import Telemetry  # noqa: E402
from ghapp.runners import RUNNERS, RunContext, Runner, ToolRun  # noqa: E402
from tests.e2e.harness import AI_BODY, AI_MESSAGE, REPO, AppServer, app_settings, build_world  # noqa: E402
from tests.ghsim import GitHubSim  # noqa: E402
from tests.osv_server import serve as osv_server  # noqa: E402

GATES = ("provenance", "lint", "types", "semgrep", "dependency-audit", "approvals")
PERIODIC = "GET /app/hook/deliveries"
# Runs the tool, then writes the peak RSS (KiB) of its largest process, the tool's own children included.
RSS_SHIM = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(code)"
)


class Timed:
    """A real runner that notes when its process starts and ends (and, with `rss_dir`, its peak RSS)."""

    def __init__(self, inner: Runner, log: list[dict[str, Any]], rss_dir: Path | None) -> None:
        self.inner, self.log, self.rss_dir, self.started = inner, log, rss_dir, 0.0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def gate(self) -> Gate:
        return self.inner.gate

    @property
    def dist(self) -> str:
        return self.inner.dist

    @property
    def env(self) -> dict[str, str]:
        return dict(self.inner.env)

    @property
    def needs_network(self) -> bool:  # the sandbox reads it: the dependency audits must reach the OSV server
        return self.inner.needs_network

    def applies_to(self, path: str) -> bool:
        return self.inner.applies_to(path)

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return self.inner.prepare(ctx, files)

    def seed(self, ctx: RunContext, inputs: Mapping[str, str]) -> None:  # mypy's ready standard-library cache
        seed = getattr(self.inner, "seed", None)
        if seed is not None:
            seed(ctx, inputs)

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        argv = self.inner.command(ctx, files)
        self.started = time.time()  # the process starts right after this returns
        if self.rss_dir is None:
            return argv
        return [sys.executable, "-I", "-c", RSS_SHIM, str(self.rss_dir / self.name), *argv]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        ended = time.time()
        rss = self.rss_dir / self.name if self.rss_dir is not None else None
        entry = {
            "tool": self.name,
            "start": self.started,
            "end": ended,
            "duration_s": run.duration_s,
            "files": len(run.files),
            "findings": 0,
            "status": "error",
            "exit": run.returncode,
            "peak_rss_mb": round(int(rss.read_text()) / 1024) if rss and rss.exists() else None,
        }
        self.log.append(entry)
        try:
            report = self.inner.parse(run, ctx)
        except Exception:
            entry["stderr"] = run.stderr_tail  # the check run says "error": keep what the tool said
            raise
        entry.update(findings=len(report.findings), status=report.status)
        return report


def wait_completed(sim: GitHubSim, head_sha: str, timeout: float) -> tuple[dict[str, float], dict[str, str]]:
    """Check-run name (without the App's prefix) -> the time it was first seen completed, and its conclusion."""
    seen: dict[str, float] = {}
    conclusions: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(GATES):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: completed so far {sorted(seen)}")
        with sim.state.lock:
            done = {
                run.name.rsplit("/ ", 1)[-1]: str(run.conclusion)
                for run in sim.state.check_runs_for(REPO, head_sha)
                if run.status == "completed"
            }
        now = time.time()
        for name in done:
            seen.setdefault(name, now)
        conclusions.update(done)
        time.sleep(0.01)
    return seen, conclusions


@contextmanager
def running(
    sim: GitHubSim, tmp: Path, osv: str, runners: Sequence[Runner], counter: CallCounter, exporter: InMemorySpanExporter
) -> Iterator[AppServer]:
    """The App as `ghapp serve` builds it, plus a call counter and an in-memory trace exporter."""
    settings = app_settings(sim, tmp, osv_url=f"{osv}/v1/query")
    telemetry = Telemetry.create(settings, span_exporter=exporter)
    github = GitHubApp(settings, counter=counter, tracing=telemetry.tracing)
    handlers = build_handlers(Enforcer(runners=runners))
    server = AppServer(create_app(settings, github=github, handlers=handlers, telemetry=telemetry)).start()
    try:
        yield server
    finally:
        server.stop()
        server.app.state.queue.close()


def job_span(exporter: InMemorySpanExporter, guid: str, timeout: float) -> tuple[Sequence[Any], Any]:
    """The finished spans and the delivery's job span: the worker marks the delivery done just before its span
    ends, so the span may come a moment after the inbox is idle."""
    deadline = time.monotonic() + timeout
    while True:
        spans = exporter.get_finished_spans()
        job = next((s for s in spans if s.name == "job" and (s.attributes or {}).get("github.delivery") == guid), None)
        if job is not None or time.monotonic() > deadline:
            assert job is not None, f"no job span for delivery {guid}"
            return spans, job
        time.sleep(0.01)


def one_run(
    sim: GitHubSim,
    app: AppServer,
    counter: CallCounter,
    exporter: InMemorySpanExporter,
    tools: list[dict[str, Any]],
    size: int,
    tag: str,
    timeout: float,
) -> dict[str, Any]:
    pull = sim.state.create_pull(
        REPO,
        changes=ai_pull_files(size, tag),
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title=f"Invoices, clients and jobs ({tag})",
    )
    payload = sim.payloads.pull_request(REPO, pull.number, "opened")
    exporter.clear()
    tools.clear()
    calls_before = Counter(counter.snapshot().calls)
    load = os.getloadavg()[0]
    sent = time.time()
    delivery = sim.send_webhook(app.url, "pull_request", payload)
    acked = time.time()
    assert delivery.status_code == 202, delivery.status_code
    completed, conclusions = wait_completed(sim, pull.head_sha, timeout)
    app.idle(timeout)
    calls = Counter(counter.snapshot().calls) - calls_before
    spans, job = job_span(exporter, delivery.guid, timeout)
    trace = [s for s in spans if s.context.trace_id == job.context.trace_id and s.name.startswith("GitHub ")]
    tarball = min(s.start_time or 0 for s in trace if "/tarball/" in s.name) / 1e9
    job_start = (job.start_time or 0) / 1e9
    first_tool, last_tool = min(t["start"] for t in tools), max(t["end"] for t in tools)
    done = max(completed.values())
    return {
        "size": size,
        "load": load,
        "total_s": done - sent,
        "phases_s": {
            "acknowledged": acked - sent,
            "job started": job_start - sent,
            "policy, facts, first publish": tarball - job_start,
            "tarball + unpack": first_tool - tarball,
            "tools (wall)": last_tool - first_tool,
            "publish results": done - last_tool,
        },
        "app_s": (tarball - job_start) + (first_tool - tarball) + (done - last_tool),
        "github_wait_s": sum(((s.end_time or 0) - (s.start_time or 0)) / 1e9 for s in trace),
        "gate_done_s": {gate: completed[gate] - sent for gate in GATES},
        "conclusions": conclusions,
        "tools": {
            t["tool"]: {
                **{k: v for k, v in t.items() if k not in ("tool", "start", "end")},
                "start_s": t["start"] - sent,
                "end_s": t["end"] - sent,
            }
            for t in tools
        },
        "api_calls": sum(n for route, n in calls.items() if route != PERIODIC and " /" in route),
        "api_routes": {route: n for route, n in sorted(calls.items()) if route != PERIODIC},
    }


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def summary(runs: list[dict[str, Any]]) -> list[str]:
    def of(*keys: str) -> str:
        values: list[float] = []
        for run in runs:
            value: Any = run
            for key in keys:
                value = value.get(key, {})
            if isinstance(value, float | int):  # a tool that timed out or did not start has no entry
                values.append(value)
        return spread(values)

    first, loads = runs[0], [r["load"] for r in runs]
    lines = [
        f"{first['size']}-file PR, {len(runs)} runs, median (min-max) seconds; load {min(loads):.1f}-{max(loads):.1f}",
        f"  delivery -> all six check runs completed: {of('total_s')}",
    ]
    lines += [f"  phase {name}: {of('phases_s', name)}" for name in first["phases_s"]]
    lines.append(
        f"  the App's own time (all but the tools and the wait for the worker): {of('app_s')}; "
        f"of it waiting on GitHub {of('github_wait_s')}"
    )
    lines += [f"  check run {gate} completed after {of('gate_done_s', gate)}" for gate in GATES]
    for tool in sorted({tool for r in runs for tool in r["tools"]}):
        reports = [r["tools"][tool] for r in runs if tool in r["tools"]]
        rss = [t["peak_rss_mb"] for t in reports if t["peak_rss_mb"] is not None]
        memory = f", peak RSS {max(rss)} MB" if rss else ""
        lines.append(
            f"  {tool}: {of('tools', tool, 'duration_s')} s on {max(t['files'] for t in reports)} files, "
            f"{max(t['findings'] for t in reports)} findings{memory}"
        )
    lines.append(f"  GitHub API calls for the event: {sorted({r['api_calls'] for r in runs})}")
    outcomes = {gate: dict(Counter(r["conclusions"][gate] for r in runs)) for gate in GATES}
    lines.append(f"  conclusions: {outcomes}")
    for n, run in enumerate(runs):
        lines += [
            f"  run {n}: {tool} {t['status']} (exit {t['exit']}): {t.get('stderr', '')[-300:]!r}"
            for tool, t in run["tools"].items()
            if t["status"] != "ok"
        ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,50", help="files per pull request, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="runs per size")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per run")
    parser.add_argument("--budget", type=float, default=1800, help="stop starting runs after this many seconds")
    parser.add_argument("--tool-rss", action="store_true", help="report each tool's peak RSS (adds a wrapper process)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    began = time.monotonic()
    counter, exporter = CallCounter(), InMemorySpanExporter()
    log: list[dict[str, Any]] = []
    results: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    with GitHubSim() as sim, tempfile.TemporaryDirectory() as tmp, osv_server() as (osv, _):
        build_world(sim)
        rss_dir = Path(tmp) / "rss" if args.tool_rss else None
        if rss_dir is not None:
            rss_dir.mkdir()
        runners = [Timed(r, log, rss_dir) for r in RUNNERS]
        with running(sim, Path(tmp), osv, runners, counter, exporter) as app:
            app.idle()
            warm = one_run(sim, app, counter, exporter, log, min(sizes), "warm-up", args.timeout)
            for n in range(args.repeat):
                for size in sizes:
                    if time.monotonic() - began > args.budget:
                        break
                    results[size].append(one_run(sim, app, counter, exporter, log, size, f"run {n}", args.timeout))
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if args.json:
        print(json.dumps({"warm-up": warm, **{str(size): runs for size, runs in results.items()}}, indent=2))
    print(
        f"machine: {os.cpu_count()} x {cpu_model()}, Python {platform.python_version()}; "
        f"largest child process of the run: {children_mb:.0f} MB RSS"
    )
    print(
        f"warm-up (the first delivery after start, {warm['size']} files: token, policy, CODEOWNERS and labels "
        f"not yet cached): {warm['total_s']:.2f} s, {warm['api_calls']} API calls"
    )
    for runs in results.values():
        if runs:
            print("\n".join(summary(runs)))
    return 0


def cpu_model() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")


if __name__ == "__main__":
    raise SystemExit(main())
