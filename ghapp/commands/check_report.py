"""How `ghapp check` shows a Decision: text for a terminal, SARIF 2.1.0 for GitHub code scanning."""

from __future__ import annotations

from typing import Any

from ghapp.commands.terminal import PLAIN, Style, render_markdown
from ghapp.core.decisions import Conclusion, Decision, Finding, Gate, GateResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
_MARK = {Conclusion.SUCCESS: ("✓", "green"), Conclusion.NEUTRAL: ("•", "yellow"), Conclusion.SKIPPED: ("-", "dim")}
_FAIL = ("✗", "red")
_SUMMARY_LINES = 25


def _passes(gate: GateResult) -> bool:
    return gate.conclusion in (Conclusion.SUCCESS, Conclusion.NEUTRAL, Conclusion.SKIPPED)


def render_text(decision: Decision, style: Style = PLAIN) -> str:
    """The decision for a terminal: gates aligned, summaries as plain text (not GitHub markdown)."""
    verdict = decision.verdict
    tools = f" ({', '.join(verdict.tools)})" if verdict.tools else ""
    lines = [style(f"prompt-to-pr check of {decision.head_sha[:12] or 'HEAD'} ({decision.mode} mode)", "bold"),
             f"AI verdict: {verdict.verdict}{tools}"]
    lines += [f"  {s.confidence:<6} {s.family}: {s.where}: {s.evidence}" for s in verdict.signals[:10]]
    lines += ["", style("Gates:", "bold")]
    width = max((len(g.gate.value) for g in decision.gates), default=0)
    for gate in decision.gates:
        mark, colour = _MARK.get(gate.conclusion, _FAIL)
        lines.append(f"  {style(mark, colour)} {gate.gate.value:<{width}}  "
                     f"{style(f'{gate.conclusion.value:<8}', colour)} {gate.title}")
        if not _passes(gate) and not gate.annotations:
            summary = [line for line in render_markdown(gate.summary, style).splitlines() if line.strip()]
            lines += [f"      {line}" for line in summary[:_SUMMARY_LINES]]
    findings = [(g.gate, f) for g in decision.gates for f in g.annotations]
    if findings:
        lines += ["", style("Findings on changed lines:", "bold")]
        lines += [f"  {f.path}:{f.line}{f':{f.column}' if f.column else ''}  {gate.value}  {f.rule}  "
                  f"{style(f.severity, 'red' if f.severity == 'error' else 'yellow')}: {f.message}"
                  for gate, f in findings]
    missing = [c for c in decision.approvals if not c.satisfied]
    if missing:
        lines += ["", style("Approvals the PR would need:", "bold")]
        lines += [f"  {c.category}: {', '.join(c.missing) or 'missing'} (files: {', '.join(c.files[:5])})"
                  for c in missing]
    failed = [g.gate.value for g in decision.gates if not _passes(g)]
    result = style("fails: " + ", ".join(failed), "red", "bold") if failed else style("every gate passes", "green")
    lines += ["", f"Result: {result}"]
    return "\n".join(lines)


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


def render_sarif(decision: Decision, *, version: str = "0.1.0") -> dict[str, Any]:
    """One SARIF run with a result per annotation (a finding on a changed line), rules named `gate/rule`."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for gate in decision.gates:
        for finding in gate.annotations:
            rule_id = _rule_id(gate.gate, finding)
            if rule_id not in rules:
                rules[rule_id] = {
                    "id": rule_id, "name": finding.rule,
                    "shortDescription": {"text": f"{gate.gate.value}: {finding.rule}"},
                    "properties": {"tags": [gate.gate.value, *([finding.category] if finding.category else [])]},
                }
            results.append({
                "ruleId": rule_id, "ruleIndex": list(rules).index(rule_id), "level": _LEVEL[finding.severity],
                "message": {"text": finding.message or finding.rule},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"}, "region": _region(finding),
                }}],
            })
    driver = {"name": "prompt-to-pr", "version": version, "informationUri": "https://github.com/apps/prompt-to-pr",
              "rules": list(rules.values())}
    run: dict[str, Any] = {"tool": {"driver": driver}, "results": results,
                           "automationDetails": {"id": "prompt-to-pr/check/"}}
    if decision.head_sha:
        run["properties"] = {"headSha": decision.head_sha, "passed": decision.passed}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
