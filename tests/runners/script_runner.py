"""A runner for tests: its tool is `python -c <code>`, so a test says what the tool does."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ghapp.core.decisions import Finding, Gate, ToolReport
from ghapp.runners.base import RunContext, RunnerError, ToolRun


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
