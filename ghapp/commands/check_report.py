"""How `ghapp check` shows a Decision in a terminal (SARIF comes from ghapp.core.sarif)."""

from __future__ import annotations

from ghapp.commands.terminal import PLAIN, Style, render_markdown
from ghapp.core.decisions import Conclusion, Decision, GateResult

_MARK = {Conclusion.SUCCESS: ("✓", "green"), Conclusion.NEUTRAL: ("•", "yellow"), Conclusion.SKIPPED: ("-", "dim")}
_FAIL = ("✗", "red")
_SUMMARY_LINES = 25


def _passes(gate: GateResult) -> bool:
    return gate.conclusion in (Conclusion.SUCCESS, Conclusion.NEUTRAL, Conclusion.SKIPPED)


def render_text(decision: Decision, style: Style = PLAIN) -> str:
    """The decision for a terminal: gates aligned, summaries as plain text (not GitHub markdown)."""
    verdict = decision.verdict
    tools = f" ({', '.join(verdict.tools)})" if verdict.tools else ""
    lines = [
        style(f"prompt-to-pr check of {decision.head_sha[:12] or 'HEAD'} ({decision.mode} mode)", "bold"),
        f"AI verdict: {verdict.verdict}{tools}",
    ]
    lines += [f"  {s.confidence:<6} {s.family}: {s.where}: {s.evidence}" for s in verdict.signals[:10]]
    lines += ["", style("Gates:", "bold")]
    width = max((len(g.gate.value) for g in decision.gates), default=0)
    for gate in decision.gates:
        mark, colour = _MARK.get(gate.conclusion, _FAIL)
        lines.append(
            f"  {style(mark, colour)} {gate.gate.value:<{width}}  "
            f"{style(f'{gate.conclusion.value:<8}', colour)} {gate.title}"
        )
        if not _passes(gate) and not gate.annotations:
            summary = [line for line in render_markdown(gate.summary, style).splitlines() if line.strip()]
            lines += [f"      {line}" for line in summary[:_SUMMARY_LINES]]
    findings = [(g.gate, f) for g in decision.gates for f in g.annotations]
    if findings:
        lines += ["", style("Findings on changed lines:", "bold")]
        lines += [
            f"  {f.path}:{f.line}{f':{f.column}' if f.column else ''}  {gate.value}  {f.rule}  "
            f"{style(f.severity, 'red' if f.severity == 'error' else 'yellow')}: {f.message}"
            for gate, f in findings
        ]
    missing = [c for c in decision.approvals if not c.satisfied]
    if missing:
        lines += ["", style("Approvals the PR would need:", "bold")]
        lines += [
            f"  {c.category}: {', '.join(c.missing) or 'missing'} (files: {', '.join(c.files[:5])})" for c in missing
        ]
    failed = [g.gate.value for g in decision.gates if not _passes(g)]
    result = style("fails: " + ", ".join(failed), "red", "bold") if failed else style("every gate passes", "green")
    lines += ["", f"Result: {result}"]
    return "\n".join(lines)
