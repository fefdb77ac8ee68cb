"""What is decided about the tool gates before any tool runs: which files the tools look at, which runners a
diff gives work, and whether a gate's stored reports (for this head, another diff or another PR with it)
still speak for this diff, wholly or for some of its tools."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from ghapp.core.committed import PYTHON, maybe_code
from ghapp.core.decisions import Gate, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.core.policy.load import Policy
from ghapp.runners import Runner
from ghapp.runners.base import tool_version


def checkable(files: Sequence[ChangedFile]) -> list[ChangedFile]:
    """The files tools look at: those the head keeps (binary or not: a tool that cannot read one says so)."""
    return [f for f in files if f.status != "removed"]


def code_reader(runner: Runner) -> bool:
    """Whether the runner reads some language a file without a telling name could be written in."""
    return runner.applies_to("x" + PYTHON) or runner.applies_to("x.sh")


def by_gate(runners: Sequence[Runner]) -> dict[Gate, list[Runner]]:
    """The runners of each gate, in registry order (lint: ruff, oxlint, shellcheck; ...)."""
    gates: dict[Gate, list[Runner]] = {}
    for runner in runners:
        gates.setdefault(runner.gate, []).append(runner)
    return gates


def fingerprint(policy: Policy, runners: Sequence[Runner]) -> str:
    """What a gate's stored reports depend on besides the head: its tools, their versions and the gate's tool
    settings. (`v2`: a gate stores a list of reports, one per tool; a fingerprint of the one-report rows of
    earlier releases never equals one of these, so neither release reads the other's rows.)"""
    settings = policy.gate(runners[0].gate)
    data = ["v2", [[r.name, tool_version(r.dist)] for r in runners], list(settings.rules)]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:32]


def reusable(
    runners: Sequence[Runner], stored: Sequence[ToolReport], files: Sequence[ChangedFile]
) -> tuple[ToolReport, ...] | None:
    """A gate's stored reports when they speak for this diff: each of its tools with files to read here has a
    report that looked at every one of them (a report made for another diff, a retargeted PR or another PR
    with this head, does not); tools with nothing to read get an idle report. None: run the gate again."""
    by_tool = {report.tool: report for report in stored}
    reports = []
    for runner in runners:
        needed = needs(runner, files)
        report = by_tool.get(runner.name)
        if report is None and not needed:
            reports.append(idle_report(runner))
        elif report is None or not report.covers(needed):
            return None
        else:
            reports.append(report)
    return tuple(reports)


def completions(
    runners: Sequence[Runner], stored: Sequence[ToolReport], files: Sequence[ChangedFile]
) -> dict[str, tuple[ToolReport, list[str]]]:
    """For a gate whose stored reports do not all speak for this diff: each tool with a clean stored report ->
    (that report, the files this diff gives it that the report did not look at). Those tools run on these
    files alone and their runs are joined; the gate's other tools run on everything."""
    by_tool = {report.tool: report for report in stored}
    found = {}
    for runner in runners:
        report = by_tool.get(runner.name)
        if report is not None and report.status == "ok":
            seen = set(report.considered)
            found[runner.name] = (report, [path for path in needs(runner, files) if path not in seen])
    return found


def idle_report(runner: Runner) -> ToolReport:
    """The report of a runner with no changed file of a kind it reads."""
    return ToolReport(gate=runner.gate, tool=runner.name, version=tool_version(runner.dist))


def failed(runners: Sequence[Runner], why: str, considered: Sequence[str] = ()) -> tuple[ToolReport, ...]:
    """A report of each runner that cannot pass, saying why (the tools could not judge)."""
    return tuple(
        ToolReport(
            gate=r.gate,
            tool=r.name,
            version=tool_version(r.dist),
            status="error",
            error=why,
            considered=tuple(considered),
        )
        for r in runners
    )


def busy(runners: Sequence[Runner], files: Sequence[ChangedFile]) -> list[Runner]:
    """The runners that have changed files to look at."""
    paths = [f.path for f in checkable(files)]
    return [r for r in runners if any(r.applies_to(p) or (maybe_code(p) and code_reader(r)) for p in paths)]


def needs(runner: Runner, files: Sequence[ChangedFile]) -> list[str]:
    """The changed paths a run of this runner must have looked at for its report to speak for this diff."""
    return [
        f.path for f in checkable(files) if runner.applies_to(f.path) or (maybe_code(f.path) and code_reader(runner))
    ]
