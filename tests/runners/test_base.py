"""run(): the one place a subprocess starts. Timeouts kill the whole group, memory is capped, secrets stay out."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ghapp.core.decisions import Finding, Gate, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.runners import RUNNERS
from ghapp.runners.base import (
    DATA_HEADROOM,
    RecentTimes,
    RunContext,
    RunnerError,
    ToolRun,
    applicable,
    relative,
    run,
    run_all,
)
from tests.polling import wait_for


@dataclass(frozen=True)
class Script:
    """A runner whose tool is `python -c <code>`; its output must be JSON {"findings": [[path, line], ...]}."""

    code: str
    name: str = "script"
    gate: Gate = Gate.LINT
    dist: str = "pytest"
    needs_network: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: {"TOOL_SETTING": "1"})
    inputs: Mapping[str, str] = field(default_factory=dict)
    fail_prepare: bool = False

    def applies_to(self, path: str) -> bool:
        return path.endswith(".py")

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        if self.fail_prepare:
            raise RunnerError("cannot read the repository's config")
        return dict(self.inputs)

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        return [ctx.tool("python"), "-c", self.code, *files]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        try:
            data = json.loads(run.stdout)
        except ValueError as exc:
            raise RunnerError("not JSON") from exc
        findings = tuple(Finding(path, line, "r", "m") for path, line in data["findings"])
        return ToolReport(gate=self.gate, tool=self.name, findings=findings)


@pytest.fixture
def ctx(tmp_path: Path) -> RunContext:
    root = tmp_path / "head"
    root.mkdir()
    (root / "a.py").write_text("x = 1\n")
    (root / "b.py").write_text("y = 2\n")
    (root / "notes.md").write_text("hi\n")
    return RunContext(root=root, scratch=tmp_path / "scratch")


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


def test_run_all_gives_one_report_per_runner_and_skips_what_does_not_apply(ctx: RunContext) -> None:
    code = "import sys, json; print(json.dumps({'findings': [[f, 2] for f in sys.argv[1:]]}))"
    changed: list[ChangedFile | str] = [
        ChangedFile("a.py"),
        ChangedFile("gone.py", status="removed"),
        ChangedFile("notes.md"),
        "b.py",
        ChangedFile("missing.py"),
    ]

    @dataclass(frozen=True)
    class OnlyMarkdown(Script):
        def applies_to(self, path: str) -> bool:
            return path.endswith(".rst")

    started: list[tuple[str, list[str]]] = []
    done: list[str] = []
    reports = asyncio.run(
        run_all(
            [Script(code), OnlyMarkdown(code, name="docs")],
            ctx,
            changed,
            timeout_s=30,
            on_start=lambda runner, files: started.append((runner.name, list(files))),
            on_done=lambda report: done.append(report.tool),
        )
    )
    assert started == [("script", ["a.py", "b.py"])]  # nothing starts for a runner without files
    assert sorted(done) == ["docs", "script"]
    assert [r.tool for r in reports] == ["script", "docs"]
    assert reports[0].files == ("a.py", "b.py")
    assert {f.path for f in reports[0].findings} == {"a.py", "b.py"}
    assert reports[1] == ToolReport(gate=Gate.LINT, tool="docs", version=reports[1].version)


def test_applicable_and_relative(ctx: RunContext) -> None:
    assert applicable(Script(""), ctx, [ChangedFile("a.py"), ChangedFile("a.py")]) == ["a.py"]
    assert relative(ctx, str(ctx.root / "pkg" / "m.py")) == "pkg/m.py"
    assert relative(ctx, "./pkg/m.py") == "pkg/m.py"
    assert relative(ctx, "/elsewhere/m.py") == "/elsewhere/m.py"
    assert ctx.tool("ruff") == str(Path(sys.executable).parent / "ruff")


def test_only_the_two_dependency_audits_of_the_bundled_tools_get_a_network() -> None:
    # the sandbox shares the network with exactly these; every tool that reads the PR's files runs without one
    assert {r.name for r in RUNNERS if r.needs_network} == {"pip-audit", "osv"}


def test_the_longest_tool_of_the_last_runs_starts_first() -> None:
    @dataclass(frozen=True)
    class Named:
        name: str

    recent = RecentTimes()
    runners: list[Any] = [Named("ruff"), Named("mypy"), Named("new"), Named("semgrep")]
    for tool, seconds in (("ruff", 0.05), ("mypy", 0.9), ("semgrep", 0.26)):
        recent.note(ToolReport(gate=Gate.LINT, tool=tool, version="1", duration_s=seconds))
    assert [runners[i].name for i in recent.order(runners)] == ["new", "mypy", "semgrep", "ruff"]


def test_run_all_starts_tools_longest_first_and_reports_in_the_order_given(ctx: RunContext) -> None:
    code = "import sys\\nprint('[]')\\n"
    runners = [Script(code, name="quick"), Script(code, name="slow")]
    recent = RecentTimes()
    recent.note(ToolReport(gate=Gate.LINT, tool="quick", version="1", duration_s=0.1))
    recent.note(ToolReport(gate=Gate.LINT, tool="slow", version="1", duration_s=5.0))
    started: list[str] = []
    reports = asyncio.run(
        run_all(
            runners,
            ctx,
            ["a.py"],
            timeout_s=30,
            concurrency=1,
            recent=recent,
            on_start=lambda runner, files: started.append(runner.name),
        )
    )
    assert started == ["slow", "quick"]
    assert [r.tool for r in reports] == ["quick", "slow"]
