"""Findings as SARIF 2.1.0: the whole decision for `ghapp check --format sarif`, or one tool gate's findings for
GitHub code scanning, where each gate is its own analysis (`automationDetails.id` = `prompt-to-pr/<gate>/`,
so a new upload for one gate replaces that gate's alerts only).

What is uploaded to code scanning (`upload_sarif`) names only repository-relative paths of the pull request's
own files (a finding elsewhere, or on an absolute or `..` path, is left out and counted) and keeps within
GitHub's limits: at most 25,000 results a run (the most severe first), one run per upload; the run's
`properties` say what was left out."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from ghapp.core.decisions import Decision, Finding, Gate, GateResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/apps/prompt-to-pr"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
_RANK = {"error": 0, "warning": 1, "note": 2}
MAX_RESULTS = 25_000  # GitHub rejects a run with more results (it shows the 5,000 most severe)
_URI_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")


def _rule_id(gate: Gate, finding: Finding) -> str:
    return f"{gate.value}/{finding.rule}"


def _region(finding: Finding) -> dict[str, int]:
    region = {"startLine": max(finding.line, 1)}
    if finding.column:
        region["startColumn"] = finding.column
    if finding.end_line and finding.end_line >= region["startLine"]:
        region["endLine"] = finding.end_line
        after_start = finding.end_line > region["startLine"] or (finding.end_column or 0) > (finding.column or 0)
        if finding.end_column and after_start:
            region["endColumn"] = finding.end_column
    return region


def _uri(path: str) -> str:
    """A repository-relative path as a URI reference: every byte outside the unreserved set percent-encoded."""
    return "".join(c if c in _URI_SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in path)


def relative_path(path: str) -> bool:
    """Whether `path` is a plain repository-relative POSIX path: not absolute, no `.`/`..`/empty segment, no
    backslash, no scheme, no control character."""
    parts = path.split("/")
    return (
        bool(path)
        and not path.startswith("/")
        and "\\" not in path
        and ":" not in parts[0]
        and all(part not in ("", ".", "..") for part in parts)
        and all(ord(c) >= 32 and c != "\x7f" for c in path)
    )


def _run(
    gates: Sequence[GateResult], version: str, automation_id: str, kept: Sequence[Finding] | None = None
) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    index: dict[str, int] = {}  # rule id -> its place in `rules` (a lookup per result, not a scan)
    results: list[dict[str, Any]] = []
    for gate in gates:
        for finding in gate.annotations if kept is None else kept:
            rule_id = _rule_id(gate.gate, finding)
            if rule_id not in rules:
                index[rule_id] = len(rules)
                rules[rule_id] = {
                    "id": rule_id,
                    "name": finding.rule,
                    "shortDescription": {"text": f"{gate.gate.value}: {finding.rule}"},
                    "properties": {"tags": [gate.gate.value, *([finding.category] if finding.category else [])]},
                }
            results.append(
                {
                    "ruleId": rule_id,
                    "ruleIndex": index[rule_id],
                    "level": _LEVEL[finding.severity],
                    "message": {"text": finding.message or finding.rule},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": _uri(finding.path), "uriBaseId": "%SRCROOT%"},
                                "region": _region(finding),
                            }
                        }
                    ],
                }
            )
    driver = {
        "name": "prompt-to-pr",
        "version": version,
        "informationUri": INFORMATION_URI,
        "rules": list(rules.values()),
    }
    return {"tool": {"driver": driver}, "results": results, "automationDetails": {"id": automation_id}}


def render_sarif(decision: Decision, *, version: str = "0.1.0") -> dict[str, Any]:
    """One SARIF run with a result per annotation (a finding on a changed line), rules named `gate/rule`."""
    run = _run(decision.gates, version, "prompt-to-pr/check/")
    if decision.head_sha:
        run["properties"] = {"headSha": decision.head_sha, "passed": decision.passed}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def gate_sarif(result: GateResult, *, version: str = "0.1.0") -> dict[str, Any]:
    """One tool gate's findings on changed lines, as its own code-scanning analysis (an empty run clears the
    gate's alerts when its findings are gone)."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [_run([result], version, f"prompt-to-pr/{result.gate.value}/")],
    }


def upload_sarif(
    result: GateResult, paths: Collection[str], *, version: str = "0.1.0", max_results: int = MAX_RESULTS
) -> dict[str, Any]:
    """One tool gate's findings for code scanning: only findings on `paths` (the PR's files) that are plain
    repository-relative paths, at most `max_results` of them, errors first; the run's `properties` count what
    was left out and why."""
    named = [f for f in result.annotations if f.path in paths and relative_path(f.path)]
    ranked = sorted(range(len(named)), key=lambda i: _RANK[named[i].severity])  # stable within a severity
    kept = [named[i] for i in sorted(ranked[: max(max_results, 0)])]  # in the tool's order
    run = _run([result], version, f"prompt-to-pr/{result.gate.value}/", kept)
    outside, dropped = len(result.annotations) - len(named), len(named) - len(kept)
    if outside or dropped:
        notes = []
        if outside:
            notes.append(f"{outside} findings outside the pull request's files were left out")
        if dropped:
            notes.append(f"{dropped} less severe findings over the limit of {max_results} results were left out")
        run["properties"] = {
            "truncated": bool(dropped),
            "resultsTotal": len(result.annotations),
            "resultsKept": len(kept),
            "note": "; ".join(notes),
        }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
