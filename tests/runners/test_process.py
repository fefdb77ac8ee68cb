"""run(): the one place a subprocess starts. Timeouts kill the whole group, memory is capped, secrets stay out."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from ghapp.core.decisions import Finding, Gate, ToolReport
from ghapp.runners.base import RunContext, ToolRun
from ghapp.runners.process import DATA_HEADROOM, run
from tests.polling import wait_for
from tests.runners.script_runner import Script


def test_runs_in_the_checkout_and_parses(ctx: RunContext) -> None:
    code = "import os, sys, json; print(json.dumps({'findings': [[f, 1] for f in sys.argv[1:] if os.path.exists(f)]}))"
    report = asyncio.run(run(Script(code), ctx, ["a.py"], timeout_s=30))
    assert report.status == "ok"
    assert report.findings == (Finding("a.py", 1, "r", "m"),)
    assert report.files == ("a.py",) and report.tool == "script" and report.gate is Gate.LINT
    assert report.version and report.duration_s > 0


def test_environment_carries_no_tokens_or_app_secrets(ctx: RunContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_secret")
    monkeypatch.setenv("GHAPP_WEBHOOK_SECRET", "hush")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "k")
    dump = Path(ctx.scratch / "env.json")
    code = (
        f"import os, json; open({str(dump)!r}, 'w').write(json.dumps(dict(os.environ)))\nprint('{{\"findings\": []}}')"
    )
    report = asyncio.run(run(Script(code), ctx, ["a.py"], timeout_s=30))
    assert report.status == "ok"
    env = json.loads(dump.read_text())
    assert not {"GITHUB_TOKEN", "GHAPP_WEBHOOK_SECRET", "AWS_SECRET_ACCESS_KEY"} & set(env)
    assert env["HOME"].startswith(str(ctx.scratch)) and env["TOOL_SETTING"] == "1"
    assert set(env) <= {
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "TMPDIR",
        "XDG_CACHE_HOME",
        "XDG_CONFIG_HOME",
        "TOOL_SETTING",
        "LC_CTYPE",
        "PWD",
    }


def test_prepared_inputs_are_written_to_scratch_and_passed_to_parse(ctx: RunContext) -> None:
    seen: dict[str, str] = {}

    @dataclass(frozen=True)
    class Recording(Script):
        def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
            seen.update(run.inputs)
            return super().parse(run, ctx)

    path = ctx.scratch_for("script") / "conf.ini"
    code = f"print(open({str(path)!r}).read().strip())"
    report = asyncio.run(
        run(Recording(code, inputs={"conf.ini": '{"findings": [["b.py", 3]]}'}), ctx, ["b.py"], timeout_s=30)
    )
    assert report.findings == (Finding("b.py", 3, "r", "m"),)
    assert seen == {"conf.ini": '{"findings": [["b.py", 3]]}'}


def test_timeout_kills_the_whole_process_group(ctx: RunContext) -> None:
    """The tool and its child sleep for an hour and hold the output pipe: `run` returns only because the
    timeout killed the whole group (were it waiting for them, pytest's own timeout would end the test)."""
    pid_file = ctx.scratch / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(3600)\n"
    )
    try:
        report = asyncio.run(run(Script(code), ctx, ["a.py"], timeout_s=1.5))
        assert report.status == "timeout" and "1.5 s" in report.error
        child = int(pid_file.read_text())
        assert wait_for(lambda: not _alive(child)), "the tool's child outlived the timeout"
    finally:  # a failed run must not leave an hour-long sleeper behind
        if pid_file.exists() and _alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead but not yet reaped by its parent
        return stat.read().split()[2] != "Z"


def test_memory_limit_stops_a_greedy_tool(ctx: RunContext) -> None:
    code = "x = bytearray(600 * 1024 * 1024); print('{\"findings\": []}')"
    report = asyncio.run(run(Script(code), ctx, ["a.py"], timeout_s=30, memory_mb=200))
    assert report.status == "error"
    assert "MemoryError" in report.error
    assert asyncio.run(run(Script(code), ctx, ["a.py"], timeout_s=30, memory_mb=2048)).status == "ok"


def test_a_runner_with_data_headroom_gets_a_larger_data_segment_cap(
    ctx: RunContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = "x = bytearray(600 * 1024 * 1024); print('{\"findings\": []}')"
    monkeypatch.setitem(DATA_HEADROOM, "script", 4)
    assert asyncio.run(run(Script(code), ctx, ["a.py"], timeout_s=30, memory_mb=200)).status == "ok"  # 800 MB cap


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (
            Script("import sys; sys.stderr.write('boom: bad things\\nlast line\\n'); print('garbage')"),
            "not JSON (exit 0): last line\n--- stderr tail ---\nboom: bad things",
        ),
        (Script("print(1)", fail_prepare=True), "cannot read the repository's config"),
    ],
)
def test_failures_become_error_reports(ctx: RunContext, script: Script, error: str) -> None:
    report = asyncio.run(run(script, ctx, ["a.py"], timeout_s=30))
    assert report.status == "error"
    assert error in report.error
    assert report.findings == ()


def test_a_missing_tool_is_an_error_report(ctx: RunContext, tmp_path: Path) -> None:
    empty = RunContext(root=ctx.root, scratch=ctx.scratch, tool_dir=tmp_path / "nowhere")
    report = asyncio.run(run(Script("print(1)"), empty, ["a.py"], timeout_s=30))
    assert report.status == "error" and "cannot start" in report.error


def test_a_runner_may_seed_its_own_scratch_before_the_tool_starts(ctx: RunContext) -> None:
    """`seed` sees the written inputs; what it puts in the runner's scratch directory is there when the tool
    starts; a seed that fails with an OSError leaves a cold start, not a failed run."""
    seen: list[dict[str, str]] = []

    @dataclass(frozen=True)
    class Seeded(Script):
        broken: bool = False

        def seed(self, ctx: RunContext, inputs: Mapping[str, str]) -> None:
            seen.append(dict(inputs))
            if self.broken:
                raise OSError("no space left on device")
            (ctx.scratch_for(self.name) / "warm").write_text("ready")

    code = (
        "import json, pathlib, sys; warm = pathlib.Path(sys.argv[1]) / 'warm'; "
        "print(json.dumps({'findings': [['a.py', 1]] if warm.exists() else []}))"
    )

    @dataclass(frozen=True)
    class WithScratch(Seeded):
        def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
            return [ctx.tool("python"), "-c", self.code, str(ctx.scratch_for(self.name))]

    warm = asyncio.run(run(WithScratch(code, inputs={"config.ini": "[x]\n"}), ctx, ["a.py"], timeout_s=30))
    assert seen == [{"config.ini": "[x]\n"}]
    assert warm.status == "ok" and [f.path for f in warm.findings] == ["a.py"]
    cold = asyncio.run(run(WithScratch(code, name="cold", broken=True), ctx, ["a.py"], timeout_s=30))
    assert cold.status == "ok" and cold.findings == ()
