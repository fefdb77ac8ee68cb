"""Findings as SARIF 2.1.0: the whole decision for `ghapp check --format sarif`, or one tool gate's findings for
GitHub code scanning, where each gate is its own analysis (`automationDetails.id` = `prompt-to-pr/<gate>/`,
so a new upload for one gate replaces that gate's alerts only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ghapp.core.decisions import Decision, Finding, Gate, GateResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/apps/prompt-to-pr"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


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


def _run(gates: Sequence[GateResult], version: str, automation_id: str) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for gate in gates:
        for finding in gate.annotations:
            rule_id = _rule_id(gate.gate, finding)
            if rule_id not in rules:
                rules[rule_id] = {
                    "id": rule_id,
                    "name": finding.rule,
                    "shortDescription": {"text": f"{gate.gate.value}: {finding.rule}"},
                    "properties": {"tags": [gate.gate.value, *([finding.category] if finding.category else [])]},
                }
            results.append(
                {
                    "ruleId": rule_id,
                    "ruleIndex": list(rules).index(rule_id),
                    "level": _LEVEL[finding.severity],
                    "message": {"text": finding.message or finding.rule},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
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
