"""The dependency-audit gate: pip-audit on the pins of the changed dependency files, nothing installed.

We read the dependency files ourselves (`dependency_files`) and hand pip-audit one generated requirements
file of exact pins, with `--no-deps --disable-pip`: no resolver, no build backend, no code from the PR.
Anything we or pip-audit could not audit becomes an `unaudited` finding: never a pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import canonicalize_name

from ghapp.core.decisions import Gate, ToolReport
from ghapp.runners.audit_report import audit_report, collect_pins
from ghapp.runners.base import RunContext, RunnerError, ToolRun
from ghapp.runners.dependency_files import Pin, is_dependency_file, read_pins, unique_pins
from ghapp.runners.requirement_includes import included_pins

_PINS = "requirements.audit.txt"
_ORIGINS = "origins.json"


@dataclass(frozen=True)
class PipAudit:
    """pip-audit against an OSV-compatible service (`GHAPP_OSV_URL`)."""

    name: str = "pip-audit"
    gate: Gate = Gate.DEPENDENCY_AUDIT
    dist: str = "pip-audit"
    needs_network: bool = True  # it asks the OSV service; it reads only our file of pins, never a PR file
    env: Mapping[str, str] = field(default_factory=lambda: {"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})

    def applies_to(self, path: str) -> bool:
        return is_dependency_file(path)

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        pins = collect_pins(ctx.root, files, read_pins) + included_pins(ctx.root, files)
        lines = [f"{name}=={version}" for name, version in unique_pins(pins)]
        origins = [vars(p) for p in pins]
        return {_PINS: "".join(f"{line}\n" for line in lines), _ORIGINS: json.dumps(origins)}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        own = ctx.scratch_for(self.name)
        return [
            ctx.tool("pip-audit"),
            "-r",
            str(own / _PINS),
            "--no-deps",
            "--disable-pip",
            "-s",
            "osv",
            "--osv-url",
            ctx.osv_url,
            "-f",
            "json",
            "--progress-spinner",
            "off",
            "--cache-dir",
            str(own / "cache"),
            "--timeout",
            "30",
            "--aliases",
            "on",
            "--desc",
            "on",
        ]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        try:
            pins = [Pin(**o) for o in json.loads(run.inputs[_ORIGINS])]
            data: dict[str, Any] = json.loads(run.stdout) if run.stdout.strip() else {}
            audited: list[dict[str, Any]] = data["dependencies"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RunnerError(f"cannot read pip-audit's JSON output: {exc}") from exc
        by_pin = {("PyPI", str(canonicalize_name(d["name"])), d.get("version")): d for d in audited}
        return audit_report(self.gate, self.name, pins, by_pin)
