"""The tool gates (lint, types, semgrep, dependency-audit): from tool reports and the diff to a check result.

Only findings on lines the PR added or changed count, unless the gate's `whole_file` is set; a dependency
audit is about the dependency file as a whole, so its findings count on any changed dependency file. The
gates fail closed: a tool that crashed or timed out, a package that could not be audited, a file list
GitHub cut short, or no report at all means the gate cannot pass, and the summary says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ghapp.core.decisions import Conclusion, Finding, Gate, GateResult, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.core.gates.summary import bullets, cell, code, finish, plural, table
from ghapp.core.policy.model import GATE_KEYS, GateSettings

_RANK = {"note": 1, "warning": 2, "error": 3}


@dataclass
class _Sorted:
    """Findings sorted into what counts and what does not, with why."""

    kept: list[Finding] = field(default_factory=list)
    unchanged_lines: int = 0
    outside: int = 0
    ignored: dict[str, int] = field(default_factory=dict)


def tool_gate(
    settings: GateSettings,
    reports: Sequence[ToolReport],
    files: Sequence[ChangedFile],
    *,
    is_ai: bool,
    files_truncated: bool = False,
    base: str | None = None,
) -> GateResult:
    """The gate's result for the current head (before overrides and report mode are applied)."""
    gate = settings.gate
    key = f"gates.{GATE_KEYS[gate]}"
    if not settings.enabled:
        return GateResult(
            gate,
            Conclusion.SKIPPED,
            "Disabled by the policy",
            f"The policy turns this gate off (`{key}.enabled: false`).",
        )
    if not settings.governs(base):
        shown = ", ".join(code(branch) for branch in settings.branches)
        return GateResult(
            gate,
            Conclusion.SKIPPED,
            "Not required on this base branch",
            f"The policy runs this gate only on pull requests into {shown} (`{key}.branches`); "
            f"this one is into {code(base)}.",
        )
    if not settings.applies(is_ai):
        return GateResult(
            gate,
            Conclusion.SKIPPED,
            "Not required: the PR is not judged AI-written",
            f"The policy runs this gate only on AI-written PRs (`{key}.applies_to: ai`); "
            f"set `{key}.applies_to: all` to run it on every PR.",
        )
    by_path = {f.path: f for f in files if f.status != "removed"}
    whole = settings.whole_file or gate is Gate.DEPENDENCY_AUDIT
    found = _sort(reports, by_path, whole, settings.ignore)
    blocking = [f for f in found.kept if _RANK[f.severity] >= _RANK[settings.block_on]]
    stops = _fail_closed(reports, files_truncated, packages=gate is Gate.DEPENDENCY_AUDIT)
    conclusion = Conclusion.FAILURE if stops or blocking else Conclusion.SUCCESS
    where = "in changed files" if whole else "on changed lines"
    if stops:
        title = stops[0] if len(stops) == 1 else f"{stops[0]} (and {len(stops) - 1} more problems)"
    elif found.kept:
        title = f"{plural(len(found.kept), 'finding')} {where}, {len(blocking) or 'none'} blocking"
    else:
        title = f"No findings {where}"
    summary = finish(
        [
            "### Why this check cannot pass\n" + bullets(stops) if stops else "",
            _findings(found.kept, settings, where),
            _ran(reports),
            _not_counted(found, key, whole),
            _skipped(files, files_truncated),
        ]
    )
    return GateResult(gate, conclusion, title[:200], summary, tuple(found.kept))


def _sort(
    reports: Sequence[ToolReport], by_path: dict[str, ChangedFile], whole: bool, ignore: Sequence[str]
) -> _Sorted:
    result = _Sorted()
    for finding in (f for report in reports for f in report.findings):
        changed = by_path.get(finding.path)
        if finding.rule in ignore:
            result.ignored[finding.rule] = result.ignored.get(finding.rule, 0) + 1
        elif changed is None:
            result.outside += 1
        elif whole or changed.patch_missing or _touches(finding, changed.added_lines):
            result.kept.append(finding)
        else:
            result.unchanged_lines += 1
    result.kept.sort(key=lambda f: (f.path, f.line, f.column or 0, f.rule))
    return result


def _touches(finding: Finding, added: frozenset[int]) -> bool:
    """A finding counts when any line it spans was added or changed; a file-level one (line 0) always."""
    if finding.line < 1:
        return True
    last = max(finding.end_line or finding.line, finding.line)
    return any(line in added for line in range(finding.line, last + 1))


def _fail_closed(reports: Sequence[ToolReport], files_truncated: bool, *, packages: bool) -> list[str]:
    stops: list[str] = []
    if not reports:
        stops.append("The tool did not report on this head, so nothing was checked")
    for report in reports:
        if report.status == "timeout":
            stops.append(f"{report.tool} timed out{': ' + cell(report.error) if report.error else ''}")
        elif report.status == "error":
            stops.append(f"{report.tool} failed{': ' + cell(report.error) if report.error else ''}")
        if report.unaudited and packages:
            names = ", ".join(code(name) for name in report.unaudited[:20])
            stops.append(
                f"{plural(len(report.unaudited), 'package')} could not be audited ({names}); "
                "an unaudited package may be vulnerable"
            )
        elif report.unaudited:
            names = ", ".join(code(name) for name in report.unaudited[:20])
            stops.append(
                f"{plural(len(report.unaudited), 'changed file')} could not be checked by "
                f"{report.tool} ({names}); what was not checked may hide a problem"
            )
    if files_truncated:
        stops.append("GitHub listed only part of the PR's files, so some changed files were not checked; split the PR")
    return stops


def _findings(kept: Sequence[Finding], settings: GateSettings, where: str) -> str:
    if not kept:
        return f"No findings {where}."
    rows = [[code(f"{f.path}:{f.line}"), code(f.rule), f.severity, cell(f.message)] for f in kept]
    head = f"**{plural(len(kept), 'finding')} {where}**; findings of severity `{settings.block_on}` or worse block."
    return head + "\n\n" + table(["Location", "Rule", "Severity", "Message"], rows, more="in the annotations")


def _ran(reports: Sequence[ToolReport]) -> str:
    lines = []
    for report in reports:
        rules = f"; rules: {', '.join(code(r) for r in report.rules[:30])}" if report.rules else ""
        version = f" {cell(report.version)}" if report.version else ""
        lines.append(f"{cell(report.tool)}{version} on {plural(len(report.files), 'file')}{rules}")
    return "### What ran\n" + bullets(lines) if lines else ""


def _not_counted(found: _Sorted, key: str, whole: bool) -> str:
    lines = []
    if found.unchanged_lines:
        lines.append(
            f"{plural(found.unchanged_lines, 'finding')} on lines this PR did not change "
            f"(set `{key}.whole_file: true` to count them)"
        )
    if found.outside:
        lines.append(f"{plural(found.outside, 'finding')} in files this PR does not change")
    for rule, count in sorted(found.ignored.items()):
        lines.append(f"{plural(count, 'finding')} of {code(rule)}, ignored by the policy (`{key}.ignore`)")
    return "### Not counted\n" + bullets(lines) if lines else ""


def _skipped(files: Sequence[ChangedFile], files_truncated: bool) -> str:
    lines = []
    for f in files:
        if f.status == "removed":
            lines.append(f"{code(f.path)}: deleted")
        elif f.patch_missing:
            lines.append(f"{code(f.path)}: GitHub sent no diff, so every finding in the file counts")
    if files_truncated:
        lines.append("files beyond the list GitHub returned")
    return "### Files not analysed line by line\n" + bullets(lines[:50]) if lines else ""
