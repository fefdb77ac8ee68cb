"""The semgrep gate: bundled rules plus the repository's own (from its base branch), on explicit paths only.

The PR cannot hide code from the scan: `# nosemgrep` comments and `.semgrepignore` files are not honoured,
and a file semgrep skipped or timed out on is reported as unaudited rather than clean.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ghapp.core.decisions import Finding, Gate, Severity, ToolReport
from ghapp.resources import semgrep_rules_dir
from ghapp.runners.base import RunContext, RunnerError, ToolRun, relative

_EXTENSIONS = frozenset(
    {
        ".py",
        ".pyi",
        ".js",
        ".jsx",
        ".mjs",
        ".cjs",
        ".ts",
        ".tsx",
        ".go",
        ".java",
        ".kt",
        ".rb",
        ".php",
        ".cs",
        ".rs",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".swift",
        ".scala",
        ".sh",
        ".bash",
        ".tf",
        ".sql",
        ".yml",
        ".yaml",
        ".json",
        ".toml",
        ".ini",
        ".cfg",
        ".conf",
        ".env",
        ".pem",
        ".key",
        ".properties",
        ".xml",
        ".txt",
    }
)
_NAMES = frozenset({"Dockerfile", ".env", "Makefile"})
_SEVERITY: dict[str, Severity] = {"ERROR": "error", "WARNING": "warning", "INFO": "note"}


def bundled_rules() -> tuple[Path, ...]:
    return tuple(sorted(semgrep_rules_dir().glob("*.yml")))


@dataclass(frozen=True)
class Semgrep:
    """`semgrep scan` with local rule files only: no registry, no metrics, no version check (all need network)."""

    name: str = "semgrep"
    gate: Gate = Gate.SEMGREP
    dist: str = "semgrep"
    needs_network: bool = False
    rules: tuple[Path, ...] = field(default_factory=bundled_rules)
    env: Mapping[str, str] = field(
        default_factory=lambda: {"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    )

    def applies_to(self, path: str) -> bool:
        pure = PurePosixPath(path)
        return pure.suffix.lower() in _EXTENSIONS or pure.name in _NAMES or pure.name.startswith(".env")

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return {}

    def configs(self, ctx: RunContext) -> tuple[Path, ...]:
        return (*self.rules, *ctx.semgrep_rules)

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        # `--experimental` is semgrep's native command: the same rules and results without the Python wrapper's
        # start-up (about 10x faster on a small diff); every safety flag below keeps its effect there, which
        # the hostile-repository tests check with the real tool.
        argv = [
            ctx.tool("semgrep"),
            "scan",
            "--experimental",
            "--metrics=off",
            "--disable-version-check",
            "--json",
            "--quiet",
            "--disable-nosem",
            "--x-ignore-semgrepignore-files",
            "--no-git-ignore",
            "--oss-only",
            "--jobs",
            "1",
            "--timeout",
            str(ctx.semgrep_timeout_s),
            "--max-memory",
            str(ctx.memory_mb),
        ]
        for config in self.configs(ctx):
            argv += ["--config", str(config)]
        return [*argv, "--", *files]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        try:
            data: dict[str, Any] = json.loads(run.stdout)
            results: list[dict[str, Any]] = data["results"]
            errors: list[dict[str, Any]] = data.get("errors", [])
        except (ValueError, KeyError, TypeError) as exc:
            raise RunnerError(f"cannot read semgrep's JSON output: {exc}") from exc
        fatal = [e for e in errors if not e.get("path") and e.get("level") == "error"]
        if fatal or run.returncode not in (0, 1):
            messages = "; ".join(str(e.get("message", e.get("type", "?"))).strip()[:300] for e in fatal)
            raise RunnerError(f"semgrep failed: {messages or 'no results'}")
        prefixes = _prefixes(self.configs(ctx))
        findings = tuple(_finding(r, ctx, prefixes) for r in results)
        scanned = {relative(ctx, p) for p in data.get("paths", {}).get("scanned", [])}
        unaudited = {f"{relative(ctx, e['path'])}: {e.get('type', 'error')}" for e in errors if e.get("path")}
        unaudited |= {f"{f}: not scanned" for f in run.files if f not in scanned}
        return ToolReport(
            gate=self.gate,
            tool=self.name,
            findings=findings,
            unaudited=tuple(sorted(unaudited)),
            rules=tuple(p.stem for p in self.configs(ctx)),
        )


def _prefixes(configs: Sequence[Path]) -> tuple[str, ...]:
    """semgrep prefixes rule ids with the config file's folder, dotted; longest first."""
    dotted = {".".join(part for part in c.parent.parts if part not in ("/", ".")) + "." for c in configs}
    return tuple(sorted(dotted, key=len, reverse=True))


def _rule_id(check_id: str, prefixes: Sequence[str]) -> str:
    for prefix in prefixes:
        if check_id.startswith(prefix):
            return check_id[len(prefix) :]
    return check_id


def _finding(result: dict[str, Any], ctx: RunContext, prefixes: Sequence[str]) -> Finding:
    extra = result.get("extra", {})
    category = extra.get("metadata", {}).get("category")
    start, end = result["start"], result.get("end", {})
    return Finding(
        path=relative(ctx, result["path"]),
        line=int(start["line"]),
        column=start.get("col"),
        end_line=end.get("line"),
        end_column=end.get("col"),
        rule=_rule_id(result["check_id"], prefixes),
        message=str(extra.get("message", "")).strip(),
        severity=_SEVERITY.get(extra.get("severity", ""), "warning"),
        category=str(category) if category else None,
    )
