"""JavaScript and TypeScript in the lint gate: oxlint with a configuration the App writes, on defused copies.

The PR's `.oxlintrc.json`, nested configs, `.eslintignore` and `tsconfig.json` are never read (the copies are
outside the checkout, `--disable-nested-config --no-ignore`), and its `eslint-disable`/`oxlint-disable`
comments are defused (see staged.py).
"""

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

EXTENSIONS = frozenset({".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"})
_DIRECTIVES = re.compile(r"\b(?:eslint|oxlint)-disable|\beslint-env\b|/\*\s*eslint\s")
_CONFIG = "oxlintrc.json"
# Correctness and suspicious code, plus the rules that matter for security review.
CONFIG: dict[str, Any] = {
    "categories": {"correctness": "error", "suspicious": "warn"},
    "rules": {"no-eval": "error", "no-implied-eval": "error", "no-new-func": "error", "no-debugger": "error"},
}
_SEVERITY: dict[str, Severity] = {"error": "error", "warning": "warning", "advice": "note"}


@dataclass(frozen=True)
class Oxlint:
    name: str = "oxlint"
    gate: Gate = Gate.LINT
    dist: str = "oxlint"
    needs_network: bool = False
    env: Mapping[str, str] = field(default_factory=dict)

    def applies_to(self, path: str) -> bool:
        return PurePosixPath(path).suffix.lower() in EXTENSIONS

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return {**stage(ctx, files, _DIRECTIVES), _CONFIG: json.dumps(CONFIG)}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        config = ctx.scratch_for(self.name) / _CONFIG
        return [
            ctx.tool("oxlint"),
            "-c",
            str(config),
            "--disable-nested-config",
            "--no-ignore",
            "--format",
            "json",
            "--threads",
            "1",
            *copies(ctx, self.name, files),
        ]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        if run.returncode not in (0, 1):
            raise RunnerError("oxlint failed")
        try:
            items: list[dict[str, Any]] = json.loads(run.stdout)["diagnostics"]
            findings = tuple(_finding(item, run.files) for item in items)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise RunnerError(f"cannot read oxlint's JSON output: {exc}") from exc
        return ToolReport(gate=self.gate, tool=self.name, findings=findings, unaudited=left_out(run.inputs))


def _finding(item: dict[str, Any], files: Sequence[str]) -> Finding:
    span = item["labels"][0]["span"] if item.get("labels") else {"line": 1, "column": 1}
    code = str(item.get("code") or "oxlint")
    message = str(item.get("message", "")).strip()
    if item.get("help"):
        message += f" ({item['help']})"
    return Finding(
        path=original(files, item["filename"]),
        line=int(span["line"]),
        column=int(span["column"]),
        rule=code,
        message=message,
        severity=_SEVERITY.get(item.get("severity", ""), "warning"),
    )
