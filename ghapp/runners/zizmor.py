"""GitHub Actions workflows in the semgrep gate: zizmor's security audits (a `pull_request_target` that checks
out the head, template injection, excessive permissions, unpinned actions, ...) offline, with no configuration
and no ignore comments honoured (`--offline --no-config --no-ignores`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ghapp.core.decisions import Finding, Gate, Severity, ToolReport
from ghapp.runners.base import RunContext, RunnerError, ToolRun, relative

_SEVERITY: dict[str, Severity] = {
    "High": "error",
    "Medium": "error",
    "Low": "warning",
    "Informational": "note",
    "Unknown": "warning",
}
_EXIT_FINDINGS = frozenset({0, 10, 11, 12, 13, 14})  # zizmor's exit codes for "no" to "high severity" findings


def is_workflow(path: str) -> bool:
    pure = PurePosixPath(path)
    if pure.suffix not in (".yml", ".yaml"):
        return False
    return pure.parent.as_posix() == ".github/workflows" or pure.stem == "action"


@dataclass(frozen=True)
class Zizmor:
    name: str = "zizmor"
    gate: Gate = Gate.SEMGREP
    dist: str = "zizmor"
    needs_network: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: {"NO_COLOR": "1"})

    def applies_to(self, path: str) -> bool:
        return is_workflow(path)

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return {}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        return [
            ctx.tool("zizmor"),
            "--offline",
            "--no-config",
            "--no-ignores",
            "--no-progress",
            "--persona",
            "regular",
            "--format",
            "json-v1",
            "--",
            *files,
        ]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        if run.returncode not in _EXIT_FINDINGS:
            raise RunnerError("zizmor failed")
        try:
            items: list[dict[str, Any]] = json.loads(run.stdout)
            findings = tuple(f for item in items for f in _findings(item, ctx))
        except (ValueError, KeyError, TypeError) as exc:
            raise RunnerError(f"cannot read zizmor's JSON output: {exc}") from exc
        return ToolReport(gate=self.gate, tool=self.name, findings=findings)


def _findings(item: dict[str, Any], ctx: RunContext) -> list[Finding]:
    severity = _SEVERITY.get(item.get("determinations", {}).get("severity", "Unknown"), "warning")
    found = []
    for location in item.get("locations", []):
        if location.get("symbolic", {}).get("kind") != "Primary":
            continue
        path = location["symbolic"]["key"]["Local"]["verbatim_path"]
        start = location["concrete"]["location"]["start_point"]
        end = location["concrete"]["location"]["end_point"]
        note = location["symbolic"].get("annotation", "")
        found.append(
            Finding(
                path=relative(ctx, path),
                line=int(start["row"]) + 1,
                column=int(start["column"]) + 1,
                end_line=int(end["row"]) + 1,
                rule=str(item["ident"]),
                severity=severity,
                message=f"{item.get('desc', item['ident'])}: {note}".strip(": "),
                category="ci",
            )
        )
    return found
