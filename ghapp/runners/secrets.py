"""Secrets in the semgrep gate: detect-secrets (provider-specific detectors and entropy) on every changed text
file; only secrets on added lines count (the gates are diff-aware). A finding names the file, line and
detector, never the secret: the tool reports only a hash of it.

No verification calls (`--no-verify`: a PR's key is never sent anywhere), and the PR's `pragma: allowlist
secret` comments have no effect (the allowlist filter is off). detect-secrets reads no configuration file.
The hex-entropy detector is off: every pinned action, commit id and checksum would trip it; the provider
detectors and the base64-entropy one stay on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ghapp.core.decisions import Finding, Gate, ToolReport
from ghapp.runners.base import RunContext, RunnerError, ToolRun, relative
from ghapp.runners.lockfiles import is_lock_file

_NOT_TEXT = frozenset(
    {
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".ico",
        ".webp",
        ".pdf",
        ".zip",
        ".gz",
        ".tgz",
        ".jar",
        ".whl",
        ".so",
        ".dll",
        ".exe",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".mp3",
        ".mp4",
        ".svg",
        ".lock",
        ".sum",
    }
)


@dataclass(frozen=True)
class Secrets:
    name: str = "detect-secrets"
    gate: Gate = Gate.SEMGREP
    dist: str = "detect-secrets"
    needs_network: bool = False
    env: Mapping[str, str] = field(default_factory=dict)

    def applies_to(self, path: str) -> bool:
        return PurePosixPath(path).suffix.lower() not in _NOT_TEXT and not is_lock_file(path)

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return {}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        return [
            ctx.tool("detect-secrets"),
            "scan",
            "--no-verify",
            "--disable-filter",
            "detect_secrets.filters.allowlist.is_line_allowlisted",
            "--disable-plugin",
            "HexHighEntropyString",
            "--",
            *files,
        ]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        if run.returncode != 0:
            raise RunnerError("detect-secrets failed")
        try:
            results: dict[str, list[dict[str, Any]]] = json.loads(run.stdout)["results"]
            findings = tuple(_finding(item, ctx) for items in results.values() for item in items)
        except (ValueError, KeyError, TypeError) as exc:
            raise RunnerError(f"cannot read detect-secrets' JSON output: {exc}") from exc
        return ToolReport(gate=self.gate, tool=self.name, findings=findings)


def _finding(item: dict[str, Any], ctx: RunContext) -> Finding:
    kind = str(item["type"])
    rule = "secret-" + re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")
    return Finding(
        path=relative(ctx, item["filename"]),
        line=int(item["line_number"]),
        rule=rule,
        message=f"{kind} on this line: remove it from the change and rotate it",
        severity="error",
        category="secrets",
    )
