"""The lint gate: ruff with an explicit rule selection, ignoring any configuration the PR ships."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ghapp.core.decisions import Edit, Finding, Fix, Gate, ToolReport
from ghapp.runners.base import RunContext, RunnerError, ToolRun, relative

_PYTHON = (".py", ".pyi")
MAX_FIXES = 10_000  # as many as a run keeps findings


@dataclass(frozen=True)
class Ruff:
    """`ruff check --isolated`: the repository's ruff config (and its `extend` paths) is never read."""

    name: str = "ruff"
    gate: Gate = Gate.LINT
    dist: str = "ruff"
    needs_network: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: {"RUFF_NO_CACHE": "true"})

    def applies_to(self, path: str) -> bool:
        return path.endswith(_PYTHON)

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return {}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        select = ",".join(ctx.ruff_select)
        return [
            ctx.tool("ruff"),
            "check",
            "--isolated",
            "--no-cache",
            "--output-format",
            "json",
            "--select",
            select,
            "--exit-zero",
            "--",
            *files,
        ]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        if run.returncode not in (0, 1):
            raise RunnerError("ruff failed")
        try:
            items: list[dict[str, Any]] = json.loads(run.stdout)
            findings = tuple(_finding(item, ctx) for item in items)
            fixes = tuple(_fix(item, finding) for item, finding in zip(items, findings, strict=True) if item.get("fix"))
        except (ValueError, KeyError, TypeError) as exc:
            raise RunnerError(f"cannot read ruff's JSON output: {exc}") from exc
        return ToolReport(
            gate=self.gate, tool=self.name, findings=findings, rules=tuple(ctx.ruff_select), fixes=fixes[:MAX_FIXES]
        )


def _finding(item: dict[str, Any], ctx: RunContext) -> Finding:
    start, end = item["location"], item.get("end_location") or {}
    code = item.get("code") or "invalid-syntax"
    return Finding(
        path=relative(ctx, item["filename"]),
        line=int(start["row"]),
        column=int(start["column"]),
        end_line=end.get("row"),
        end_column=end.get("column"),
        rule=code,
        message=f"{item['message']} ({code})" if code != "invalid-syntax" else item["message"],
        severity="error",
    )


def _fix(item: dict[str, Any], finding: Finding) -> Fix:
    """ruff's `fix` of a finding: its applicability and edits (1-based rows, 1-based character columns). The App
    only ever reads them; whether and where one may be suggested is the core's call (ghapp.core.suggestions)."""
    fix = item["fix"]
    edits = tuple(
        Edit(
            line=int(edit["location"]["row"]),
            column=int(edit["location"]["column"]),
            end_line=int(edit["end_location"]["row"]),
            end_column=int(edit["end_location"]["column"]),
            content=str(edit["content"]),
        )
        for edit in fix["edits"]
    )
    return Fix(
        path=finding.path,
        line=finding.line,
        rule=finding.rule,
        message=str(fix.get("message") or ""),
        applicability=str(fix.get("applicability") or ""),
        edits=edits,
    )
