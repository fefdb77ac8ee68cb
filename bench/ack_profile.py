"""Where an acknowledgement's CPU goes: one server of `bench/ack_compare.py` saturated with its wrk script, and
the CPU of each of its processes and threads, and of the local PostgreSQL and Redis, per acknowledged delivery.

Run from the repository root:  .venv/bin/python bench/ack_profile.py sqlite|postgres+redis|probot [--seconds 10]
                                [--bodies 8192 --window 1]

The server starts fresh (a new SQLite directory or PostgreSQL database, as in `ack_compare`), waits until its
processes are idle, then takes `wrk -c32` for `--seconds`. CPU is read from /proc before and after; each
thread's figure is its CPU divided by every delivery acknowledged in the run, so the threads of two web
processes add up to the server's cost of one delivery. PostgreSQL's and Redis's processes are counted for every
server (only the PostgreSQL + Redis server uses them).

`--bodies N --window S` measures the App as it runs by default, with the replay window on (the comparison
turns it off because it sends one body under many ids, which is a replay). wrk then cycles through N bodies,
each the same payload with a nonce of its own and signed, and the window is S seconds: N bodies must take
longer than S to go round, or the later rounds are replays that insert nothing (the run's inbox count shows
it). Every batch then takes the digests' locks and looks them up before its INSERT.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ack_compare  # the servers, the wrk script and the signed body of the side-by-side benchmark

SERVICES = ("(postgres)", "(redis-server)")

# wrk with a body of its own for each request, cycling through a file of records "<signature> <length>\n<body>".
WRK_BODIES_SCRIPT = r"""
wrk.method = "POST"
local bodies, signatures = {}, {}
local f = assert(io.open("%(bodies)s", "rb"))
while true do
  local line = f:read("*l")
  if not line then break end
  local signature, length = line:match("^(%%S+) (%%d+)$")
  table.insert(signatures, signature)
  table.insert(bodies, f:read(tonumber(length)))
end
f:close()
local tid, counter = 0, 0
function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end
function request()
  counter = counter + 1
  local i = counter %% #bodies + 1
  local headers = {["Content-Type"] = "application/json", ["User-Agent"] = "GitHub-Hookshot/bench",
                   ["X-GitHub-Event"] = "pull_request", ["X-Hub-Signature-256"] = signatures[i],
                   ["X-GitHub-Delivery"] = string.format("%(prefix)s-%%d-%%d", tid, counter)}
  return wrk.format(nil, nil, headers, bodies[i])
end
function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %%d, \"duration_us\": %%d, \"non2xx\": %%d, \"errors\": %%d}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def signed_bodies(body: bytes, count: int, path: Path) -> None:
    """`count` variants of the JSON object `body`, each with a nonce field of the same width, signed."""
    assert body.rstrip().endswith(b"}")
    with path.open("wb") as out:
        for n in range(count):
            variant = body.rstrip()[:-1] + b',"bench_nonce":"%08d"}' % n
            signature = "sha256=" + hmac.new(ack_compare.SECRET.encode(), variant, hashlib.sha256).hexdigest()
            out.write(f"{signature} {len(variant)}\n".encode() + variant)


def saturate_bodies(url: str, bodies: Path, seconds: int, workdir: Path) -> dict[str, float]:
    script = workdir / "wrk-bodies.lua"
    script.write_text(WRK_BODIES_SCRIPT % {"bodies": str(bodies), "prefix": uuid.uuid4().hex[:12]})
    return ack_compare.wrk(script, url, seconds, 32, 1)


def cpu_s(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads(pids: list[int]) -> dict[tuple[int, int, str], float]:
    """CPU seconds of every thread of `pids`, keyed by (pid, thread id, name)."""
    found: dict[tuple[int, int, str], float] = {}
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                stat = (task / "stat").read_text()
            except OSError:
                continue
            found[(pid, int(task.name), stat.split("(", 1)[1].split(")", 1)[0])] = cpu_s(stat)
    return found


def services_cpu_s() -> dict[str, float]:
    """CPU seconds of PostgreSQL's and Redis's processes, by service."""
    total = dict.fromkeys(SERVICES, 0.0)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            for name in SERVICES:
                if name in stat:
                    total[name] += cpu_s(stat)
    return total


def box_idle() -> tuple[float, float]:
    """The whole machine's idle and total CPU time so far, in clock ticks (`/proc/stat`)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[3] + fields[4], sum(fields)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("server", choices=ack_compare.SERVERS)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--bodies", type=int, default=1, help="distinct signed bodies (with --window)")
    parser.add_argument("--window", type=int, default=0, help="the replay window in seconds (0: off)")
    args = parser.parse_args()
    body = ack_compare.PAYLOAD.read_bytes()
    signature = "sha256=" + hmac.new(ack_compare.SECRET.encode(), body, hashlib.sha256).hexdigest()
    workdir = Path(tempfile.mkdtemp(prefix="ack-profile-"))
    body_path = workdir / "body.json"
    body_path.write_bytes(body)
    server = ack_compare.Server(args.server, workdir, ack_compare.private_key())
    server.replay_window_s = args.window
    if args.bodies > 1:
        signed_bodies(body, args.bodies, workdir / "bodies")
    try:
        server.start()
        server.settle()
        assert server.process is not None
        pids = [server.process.pid, *ack_compare.children(server.process.pid)]
        before, services_before, idle_before = threads(pids), services_cpu_s(), box_idle()
        if args.bodies > 1:
            result = saturate_bodies(server.url, workdir / "bodies", args.seconds, workdir)
        else:
            result = ack_compare.saturate(server.url, body_path, signature, args.seconds, 32, 1, workdir)
        after, services_after, idle_after = threads(pids), services_cpu_s(), box_idle()
        acknowledged = int(result["requests"] - result["non2xx"] - result["errors"])
        print(
            f"{args.server}: {acknowledged:,} acknowledged in {args.seconds} s ({acknowledged / args.seconds:,.0f}/s)"
            + (f", {args.bodies} bodies, replay window {args.window} s" if args.window else "")
        )
        total = 0.0
        for key in sorted(after):
            spent = after[key] - before.get(key, 0.0)
            total += spent
            if spent >= 0.05:
                pid, tid, name = key
                print(
                    f"  pid {pid} thread {tid} ({name}): {spent:.2f} s, {1e6 * spent / acknowledged:.0f} µs a delivery"
                )
        print(f"  the server in all: {1e6 * total / acknowledged:.0f} µs a delivery")
        for name in SERVICES:
            spent = services_after[name] - services_before[name]
            print(f"  {name[1:-1]}: {spent:.2f} s, {1e6 * spent / acknowledged:.0f} µs a delivery")
        idle = (idle_after[0] - idle_before[0]) / (idle_after[1] - idle_before[1])
        print(f"  the box idle: {100 * idle:.0f} %")
        print(f"  in the inbox afterwards: {server.recorded()}")
        print(f"machine: {ack_compare.machine()}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
