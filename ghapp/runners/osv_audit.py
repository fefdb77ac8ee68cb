"""The dependency-audit gate for npm, Go, Rust, Ruby, PHP and Java lock files: the App reads them (no package
manager runs) and asks the same OSV service as pip-audit (`GHAPP_OSV_URL`), in batches.

The query runs as a tool process of our own (`osv_query`) started with `python -I`: isolated mode, so the
checkout it runs in (the PR's files) is not on its import path and no PYTHON* variable applies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ghapp.core.decisions import Gate, ToolReport
from ghapp.runners.audit_report import audit_report, collect_pins
from ghapp.runners.base import RunContext, RunnerError, ToolRun
from ghapp.runners.dependency_files import Pin
from ghapp.runners.lockfiles import is_lock_file, read_locked

_PINS = "pins.json"
_ORIGINS = "origins.json"


@dataclass(frozen=True)
class OsvAudit:
    name: str = "osv"
    gate: Gate = Gate.DEPENDENCY_AUDIT
    dist: str = "prompt-to-pr"
    env: Mapping[str, str] = field(default_factory=dict)
    needs_network: bool = True  # it asks the OSV service; it reads only our file of pins, never a PR file

    def applies_to(self, path: str) -> bool:
        return is_lock_file(path)

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        pins = collect_pins(ctx.root, files, read_locked)
        wanted = sorted({(p.ecosystem, p.name, p.version) for p in pins if p.version is not None})
        queries = [{"ecosystem": e, "name": n, "version": v} for e, n, v in wanted]
        return {_PINS: json.dumps(queries), _ORIGINS: json.dumps([vars(p) for p in pins])}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        pins = ctx.scratch_for(self.name) / _PINS
        return [ctx.tool("python"), "-I", "-m", "ghapp.runners.osv_query", str(pins), ctx.osv_url]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        if run.returncode != 0:
            raise RunnerError("the OSV service could not be asked")
        try:
            pins = [Pin(**o) for o in json.loads(run.inputs[_ORIGINS])]
            answers: list[dict[str, Any]] = json.loads(run.stdout)["dependencies"]
            results: dict[tuple[str, str, str | None], dict[str, Any]] = {
                (str(a["ecosystem"]), str(a["name"]), str(a["version"])): a for a in answers
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise RunnerError(f"cannot read the OSV answer: {exc}") from exc
        return audit_report(self.gate, self.name, pins, results)
