"""The types gate: mypy with a config we generate, no site-packages and a cache outside the checkout."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ghapp.core.decisions import Finding, Gate, Severity, ToolReport
from ghapp.runners.base import RunContext, RunnerError, ToolRun, relative
from ghapp.runners.mypy_config import CONFIG_FILES, build_config
from ghapp.runners.mypy_stdlib import StdlibCaches

_CONFIG = "mypy.ini"
_MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Mypy:
    """mypy never sees the repository's config file: plugins and `python_executable` would run PR code."""

    name: str = "mypy"
    gate: Gate = Gate.TYPES
    dist: str = "mypy"
    needs_network: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    stdlib: StdlibCaches | None = None  # ready caches of the standard library, one per config (None: cold runs)

    def applies_to(self, path: str) -> bool:
        return path.endswith((".py", ".pyi"))

    def seed(self, ctx: RunContext, inputs: Mapping[str, str]) -> None:
        """Start from a ready cache of the standard library for this config, when there is one."""
        if self.stdlib is not None:
            cache = ctx.scratch_for(self.name) / "cache"
            self.stdlib.seed(ctx, (_CONFIG, inputs[_CONFIG]), cache, self.command)

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        repo_files: dict[str, str] = {}
        for name in CONFIG_FILES:
            path = ctx.root / name
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= _MAX_CONFIG_BYTES:
                repo_files[name] = path.read_text(encoding="utf-8", errors="replace")
        return {_CONFIG: build_config(repo_files).text}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        own = ctx.scratch_for(self.name)
        return [
            ctx.tool("mypy"),
            "--config-file",
            str(own / _CONFIG),
            "--no-site-packages",
            "--cache-dir",
            str(own / "cache"),
            "--follow-imports",
            "silent",
            "-O",
            "json",
            "--no-error-summary",
            "--",
            *files,
        ]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        if run.returncode not in (0, 1, 2):
            raise RunnerError("mypy failed")
        findings: list[Finding] = []
        for line in run.stdout.splitlines():
            if not line.startswith("{"):
                continue
            try:
                finding = _finding(json.loads(line), ctx)
            except (ValueError, KeyError, TypeError) as exc:
                raise RunnerError(f"cannot read mypy's JSON output: {exc}") from exc
            if finding is not None:
                findings.append(finding)
        # Exit 2 is a blocking error: a syntax error in a file (reported as findings) or a failed run.
        if run.returncode == 2 and not findings:
            raise RunnerError("mypy stopped with a blocking error")
        if run.returncode == 1 and not findings:
            raise RunnerError("mypy reported errors it did not print")
        return ToolReport(gate=self.gate, tool=self.name, findings=tuple(findings))


def _finding(item: dict[str, Any], ctx: RunContext) -> Finding | None:
    severity: Severity = "error" if item["severity"] == "error" else "note"
    if severity == "note":
        return None  # notes elaborate on the error before them
    code = item.get("code") or "misc"
    hint = f" ({item['hint']})" if item.get("hint") else ""
    column = item.get("column")
    end_column = item.get("end_column")
    end_line = item.get("end_line")
    return Finding(
        # mypy says line -1 for file-level errors; our file-level line is 0
        path=relative(ctx, item["file"]),
        line=max(int(item["line"]), 0),
        rule=code,
        message=f"{item['message']}{hint} [{code}]",
        severity=severity,
        end_line=end_line if isinstance(end_line, int) and end_line > 0 else None,
        # mypy's JSON columns are 0-based; ours are 1-based (end columns: exclusive 0-based == inclusive 1-based)
        column=int(column) + 1 if isinstance(column, int) and column >= 0 else None,
        end_column=int(end_column) if isinstance(end_column, int) and end_column > 0 else None,
    )
