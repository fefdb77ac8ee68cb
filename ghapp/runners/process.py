"""`run()`, the only place a subprocess starts: timeout, memory limit, clean environment, capped output.

It does the I/O around a runner's pure steps (`runners/base.py`) and fails closed: a crash, a timeout or
output it cannot read becomes a ToolReport that cannot pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ghapp.core.decisions import ToolReport
from ghapp.resources import policies_dir
from ghapp.runners import sandbox
from ghapp.runners.base import RunContext, Runner, RunnerError, ToolRun, tool_version

log = logging.getLogger(__name__)

_SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
# What one run may hand back. Over either cap the gate fails and says so (fail closed): a PR's content could
# otherwise make a tool print gigabytes, or hundreds of thousands of findings, for the worker to hold, parse,
# store and publish (a 2 MB file gave 480,000 findings and a 98 MB report).
MAX_OUTPUT_BYTES = 32 * 1024 * 1024
MAX_FINDINGS = 10_000
_STDERR_KEPT = 64 * 1024
# After a tool's process group is killed: how long its pipes may take to reach their end (a process that left
# the group can hold them open for ever).
REAP_S = 5.0


def environment(ctx: RunContext, runner: Runner) -> dict[str, str]:
    """PATH, HOME, LANG and a temp dir: nothing inherited, so no token or GHAPP_* secret reaches a tool."""
    home = ctx.scratch / "home"
    tmp = ctx.scratch / "tmp"
    return {
        "PATH": f"{ctx.tool_dir}:{_SAFE_PATH}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": str(tmp),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        **runner.env,
    }


# The data-segment cap is the memory limit times this. semgrep-core's runtime maps data segments it never
# touches (VmData well over its heap), and under load a cap of the plain limit killed it now and then on a
# 6,000-file checkout; its heap stays bounded by semgrep's own `--max-memory`, which gets the plain limit.
DATA_HEADROOM: dict[str, int] = {"semgrep": 4}


def _limits(memory_mb: int) -> Callable[[], None]:
    def apply() -> None:
        # RLIMIT_DATA, not RLIMIT_AS: semgrep-core reserves far more address space than it ever touches.
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _report(runner: Runner, files: Sequence[str], started: float, **fields: object) -> ToolReport:
    return ToolReport(
        gate=runner.gate,
        tool=runner.name,
        version=tool_version(runner.dist),
        files=tuple(files),
        duration_s=round(time.monotonic() - started, 3),
        **fields,  # type: ignore[arg-type]
    )


async def run(
    runner: Runner, ctx: RunContext, files: Sequence[str], *, timeout_s: float, memory_mb: int | None = None
) -> ToolReport:
    """Run one tool on `files` (paths relative to `ctx.root`) and return its report; never raises for the
    tool's own failures."""
    started = time.monotonic()
    try:
        inputs = runner.prepare(ctx, files)
        argv = runner.command(ctx, files)
    except (RunnerError, OSError) as exc:
        return _report(runner, files, started, status="error", error=f"cannot prepare {runner.name}: {exc}")
    env = environment(ctx, runner)
    for directory in (Path(env["HOME"]), Path(env["TMPDIR"]), ctx.scratch_for(runner.name)):
        directory.mkdir(parents=True, exist_ok=True)
    for name, text in inputs.items():
        (ctx.scratch_for(runner.name) / name).write_text(text, encoding="utf-8")
    seed = getattr(runner, "seed", None)  # optional: a warm start in the runner's own scratch directory
    if seed is not None:
        try:
            seed(ctx, inputs)
        except OSError as exc:  # a cold start, as without it
            log.warning("%s starts cold: %s", runner.name, exc)
    if ctx.sandbox is not None:
        argv = sandbox.wrap(
            ctx.sandbox,
            argv,
            root=ctx.root,
            scratch=ctx.scratch,
            env=env,
            read_only=[policies_dir(), *ctx.semgrep_rules, ctx.tool_dir],
            network=runner.needs_network,
        )
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=ctx.root,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_limits((memory_mb or ctx.memory_mb) * DATA_HEADROOM.get(runner.name, 1)),
        )
    except OSError as exc:
        return _report(runner, files, started, status="error", error=f"cannot start {argv[0]}: {exc.strerror}")
    try:
        out, err, overflow = await asyncio.wait_for(_collect(proc), timeout_s)
    except TimeoutError:
        _kill_group(proc.pid)
        await _reap(proc)
        return _report(runner, files, started, status="timeout", error=f"{runner.name} ran over {timeout_s:g} s")
    finally:
        if proc.returncode is None:  # cancelled from outside: leave nothing running
            _kill_group(proc.pid)
    if overflow:
        return _report(
            runner,
            files,
            started,
            status="error",
            error=f"{runner.name} wrote more than {MAX_OUTPUT_BYTES // 2**20} MB of output, too much to "
            "judge: it was stopped, and the gate cannot pass. Split the change, or exclude "
            "generated files",
        )
    tool_run = ToolRun(
        argv=tuple(argv),
        returncode=proc.returncode if proc.returncode is not None else -1,
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
        files=tuple(files),
        inputs=inputs,
        duration_s=time.monotonic() - started,
    )
    try:
        report = await asyncio.to_thread(runner.parse, tool_run, ctx)  # CPU-bound: off the event loop
    except RunnerError as exc:
        detail = f"{exc} (exit {tool_run.returncode})"
        if tool_run.stderr_tail:
            detail += f": {tool_run.last_error_line}\n--- stderr tail ---\n{tool_run.stderr_tail}"
        return _report(runner, files, started, status="error", error=detail)
    status, findings, error = report.status, report.findings, report.error
    if len(findings) > MAX_FINDINGS:
        status, findings = "error", findings[:MAX_FINDINGS]
        error = "; ".join(
            filter(
                None,
                [
                    error,
                    (
                        f"{len(report.findings):,} findings, more than the {MAX_FINDINGS:,} kept: the first "
                        f"{MAX_FINDINGS:,} "
                        "are shown, and the gate cannot pass until there are fewer"
                    ),
                ],
            )
        )
    return _report(
        runner,
        files,
        started,
        status=status,
        findings=findings,
        error=error,
        unaudited=report.unaudited,
        rules=report.rules,
        fixes=report.fixes,
    )


async def _collect(proc: asyncio.subprocess.Process) -> tuple[bytes, bytes, bool]:
    """stdout up to MAX_OUTPUT_BYTES (past it the tool's group is killed: True), the tail of stderr."""

    async def stdout() -> tuple[bytes, bool]:
        kept = bytearray()
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(1 << 16):
            kept += chunk
            if len(kept) > MAX_OUTPUT_BYTES:
                _kill_group(proc.pid)
                await _drain(proc.stdout)
                return b"", True
        return bytes(kept), False

    async def stderr() -> bytes:
        kept = bytearray()
        assert proc.stderr is not None
        while chunk := await proc.stderr.read(1 << 16):
            kept += chunk
            del kept[: max(0, len(kept) - _STDERR_KEPT)]
        return bytes(kept)

    (out, overflow), err = await asyncio.gather(stdout(), stderr())
    await proc.wait()
    return out, err, overflow


async def _drain(stream: asyncio.StreamReader | None) -> None:
    """Read a pipe to its end, keeping nothing. On Python 3.11 `Process.wait()` returns only once every pipe
    is closed, and a pipe nobody reads stops being read when its buffer fills, so it never sees its end."""
    while stream is not None and await stream.read(1 << 16):
        pass


async def _reap(proc: asyncio.subprocess.Process) -> None:
    """Wait for a killed tool: its pipes drained, its exit seen. Past REAP_S (a process that left the group holds
    a pipe open) our ends of the pipes are closed, so nothing of the run stays open in the worker."""
    try:
        await asyncio.wait_for(asyncio.gather(_drain(proc.stdout), _drain(proc.stderr), proc.wait()), REAP_S)
    except TimeoutError:
        transport = getattr(proc, "_transport", None)  # asyncio keeps the process's transport to itself
        if transport is not None:
            transport.close()


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
