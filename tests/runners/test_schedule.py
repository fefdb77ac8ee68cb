"""run_all(): the files each tool reads, the longest tool of the last runs first, reports in the order given."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from ghapp.core.decisions import Gate, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.runners.base import RunContext
from ghapp.runners.schedule import RecentTimes, applicable, run_all
from tests.runners.script_runner import Script


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


def test_applicable_reads_present_files_of_its_kind_once(ctx: RunContext) -> None:
    assert applicable(Script(""), ctx, [ChangedFile("a.py"), ChangedFile("a.py")]) == ["a.py"]


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
