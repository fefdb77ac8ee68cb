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

from ghapp.core.decisions import Finding, Gate, ToolReport
from ghapp.runners.base import RunContext, RunnerError, ToolRun
from ghapp.runners.dependency_files import Pin, is_dependency_file, read_pins, unique_pins

_PINS = "requirements.audit.txt"
_ORIGINS = "origins.json"
_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class PipAudit:
    """pip-audit against an OSV-compatible service (`GHAPP_OSV_URL`)."""

    name: str = "pip-audit"
    gate: Gate = Gate.DEPENDENCY_AUDIT
    dist: str = "pip-audit"
    env: Mapping[str, str] = field(default_factory=lambda: {"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})

    def applies_to(self, path: str) -> bool:
        return is_dependency_file(path)

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        pins: list[Pin] = []
        for path in files:
            source = ctx.root / path
            if source.is_symlink() or source.stat().st_size > _MAX_BYTES:
                pins.append(Pin(path, None, path, 1, "dependency file is a link or too large to read"))
                continue
            try:
                pins += read_pins(path, source.read_text(encoding="utf-8", errors="replace"))
            except ValueError as exc:  # tomllib and json errors are ValueErrors
                pins.append(Pin(path, None, path, 1, f"cannot parse the file: {exc}"))
        lines = [f"{name}=={version}" for name, version in unique_pins(pins)]
        origins = [vars(p) for p in pins]
        return {_PINS: "".join(f"{line}\n" for line in lines), _ORIGINS: json.dumps(origins)}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        own = ctx.scratch_for(self.name)
        return [ctx.tool("pip-audit"), "-r", str(own / _PINS), "--no-deps", "--disable-pip", "-s", "osv",
                "--osv-url", ctx.osv_url, "-f", "json", "--progress-spinner", "off", "--cache-dir",
                str(own / "cache"), "--timeout", "30", "--aliases", "on", "--desc", "on"]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        try:
            pins = [Pin(**o) for o in json.loads(run.inputs[_ORIGINS])]
            data: dict[str, Any] = json.loads(run.stdout) if run.stdout.strip() else {}
            audited: list[dict[str, Any]] = data["dependencies"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RunnerError(f"cannot read pip-audit's JSON output: {exc}") from exc
        by_pin: dict[tuple[str, str | None], dict[str, Any]] = {
            (str(canonicalize_name(d["name"])), d.get("version")): d for d in audited
        }
        findings: list[Finding] = []
        unaudited: list[str] = []
        for pin in pins:
            result = by_pin.get((pin.name, pin.version)) if pin.version else None
            reason = pin.reason
            if pin.version and result is None:
                reason = "missing from pip-audit's report"
            elif result is not None and result.get("skip_reason"):
                reason = str(result["skip_reason"])
            if reason:
                unaudited.append(f"{pin.name} ({pin.path}:{pin.line}): {reason}")
                findings.append(Finding(pin.path, pin.line, "unaudited", f"{pin.name} was not audited: {reason}"))
                continue
            findings += [_vuln_finding(pin, vuln) for vuln in (result or {}).get("vulns", [])]
        return ToolReport(gate=self.gate, tool=self.name, findings=tuple(findings), unaudited=tuple(unaudited))


def _vuln_finding(pin: Pin, vuln: dict[str, Any]) -> Finding:
    aliases = [a for a in vuln.get("aliases", []) if a != vuln["id"]]
    fixes = vuln.get("fix_versions") or []
    fixed = f"fixed in {', '.join(fixes)}" if fixes else "no fixed version yet"
    also = f" ({', '.join(aliases)})" if aliases else ""
    description = " ".join(str(vuln.get("description") or "").split())
    summary = description[:300] + ("…" if len(description) > 300 else "")
    return Finding(
        path=pin.path, line=pin.line, rule=str(vuln["id"]), severity="error",
        message=f"{pin.name} {pin.version}: {vuln['id']}{also}, {fixed}. {summary}".strip(),
    )
