"""From audited pins to a dependency-audit report, the same for every ecosystem: each vulnerability is an error
finding on the pin's line, and a pin with no answer is an `unaudited` finding, never a pass.

`results` maps (ecosystem, name, version) to the tool's answer in pip-audit's JSON shape: `vulns` with `id`, `aliases`,
`fix_versions`, `description`, and `skip_reason` when the tool did not audit the package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ghapp.core.decisions import Finding, Gate, ToolReport
from ghapp.runners.dependency_files import Pin

MAX_FILE_BYTES = 5 * 1024 * 1024


def collect_pins(root: Path, files: Sequence[str], read: Callable[[str, str], list[Pin]]) -> list[Pin]:
    """The pins of each dependency file under `root`; a link, an oversized or unparsable file is one
    unaudited entry saying so."""
    pins: list[Pin] = []
    for path in files:
        source = root / path
        if source.is_symlink() or source.stat().st_size > MAX_FILE_BYTES:
            pins.append(Pin(path, None, path, 1, "dependency file is a link or too large to read"))
            continue
        try:
            pins += read(path, source.read_text(encoding="utf-8", errors="replace"))
        except ValueError as exc:  # tomllib, json, yaml and XML errors all end up as ValueErrors
            pins.append(Pin(path, None, path, 1, f"cannot parse the file: {exc}"))
        except RecursionError:  # JSON nested deeper than the parser goes
            pins.append(Pin(path, None, path, 1, "cannot parse the file: nested too deeply"))
    return pins


def audit_report(
    gate: Gate, tool: str, pins: Sequence[Pin], results: Mapping[tuple[str, str, str | None], Mapping[str, Any]]
) -> ToolReport:
    findings: list[Finding] = []
    unaudited: list[str] = []
    for pin in pins:
        result = results.get((pin.ecosystem, pin.name, pin.version)) if pin.version else None
        reason = pin.reason
        if pin.version and result is None:
            reason = f"missing from {tool}'s report"
        elif result is not None and result.get("skip_reason"):
            reason = str(result["skip_reason"])
        if reason:
            via = f", from {pin.via}" if pin.via else ""
            unaudited.append(f"{pin.name} ({pin.path}:{pin.line}{via}): {reason}")
            findings.append(Finding(pin.path, pin.line, "unaudited", f"{pin.name}{via} was not audited: {reason}"))
            continue
        findings += [vuln_finding(pin, vuln) for vuln in (result or {}).get("vulns", [])]
    return ToolReport(gate=gate, tool=tool, findings=tuple(findings), unaudited=tuple(unaudited))


def vuln_finding(pin: Pin, vuln: Mapping[str, Any]) -> Finding:
    aliases = [a for a in vuln.get("aliases", []) if a != vuln["id"]]
    fixes = vuln.get("fix_versions") or []
    fixed = f"fixed in {', '.join(fixes)}" if fixes else "no fixed version yet"
    also = f" ({', '.join(aliases)})" if aliases else ""
    description = " ".join(str(vuln.get("description") or "").split())
    summary = description[:300] + ("…" if len(description) > 300 else "")
    return Finding(
        path=pin.path,
        line=pin.line,
        rule=str(vuln["id"]),
        severity="error",
        message=f"{pin.name} {pin.version}{f' (from {pin.via})' if pin.via else ''}: {vuln['id']}{also}, {fixed}. "
        f"{summary}".strip(),
    )
