"""Check-run markdown read in a terminal: no markup, entities decoded, tables aligned, colour only on a tty."""

from __future__ import annotations

from ghapp.commands.check_report import render_text
from ghapp.commands.terminal import Style, render_markdown, wants_colour
from ghapp.core.decisions import Conclusion, Decision, Gate, GateResult, Verdict
from ghapp.core.gates.summary import cell, code, table

SUMMARY = "\n\n".join(
    [
        "### Approvals",
        "**Verdict:** ai (claude) — see [the policy](https://example.test/policy)",
        table(
            ["Category", "Files", "Needs"],
            [
                [cell("billing"), code("billing/charge.py"), cell("@acme/billing | 1 of 2")],
                [cell("secrets"), code("a<b>.py"), cell("")],
            ],
        ),
        "<details><summary>Why</summary>\n\nA `<script>` tag &amp; more<br>next line\n</details>",
        "<!-- hidden marker -->_…and 3 more in the annotations._",
    ]
)


def test_markdown_becomes_plain_aligned_text() -> None:
    text = render_markdown(SUMMARY)
    lines = text.splitlines()
    assert lines[0] == "Approvals"
    assert "Verdict: ai (claude) — see the policy" in lines
    header = next(line for line in lines if line.startswith("Category"))
    rows = [line for line in lines if line.startswith(("billing", "secrets"))]
    assert rows == ["billing   billing/charge.py  @acme/billing | 1 of 2", "secrets   a<b>.py"]
    assert header.index("Files") == rows[0].index("billing/charge.py")  # columns line up
    assert "A <script> tag & more" in lines and "next line" in lines
    assert "…and 3 more in the annotations." in lines
    for markup in ("**", "&lt;", "&amp;", "|---", "<details>", "<br>", "hidden marker", "](", "`"):
        assert markup not in text


def test_escaped_text_from_a_pull_request_reads_as_written() -> None:
    hostile = "[click](https://evil.example) **b** @alice #12 `x` a|b <i>"
    assert render_markdown(f"Reason: {cell(hostile)}") == f"Reason: {hostile}"


def test_colour_only_when_asked() -> None:
    assert "\x1b[" not in render_markdown(SUMMARY)
    assert "\x1b[1mApprovals\x1b[0m" in render_markdown(SUMMARY, Style(colour=True))
    assert wants_colour(True, {}) and not wants_colour(False, {})
    assert not wants_colour(True, {"NO_COLOR": ""}) and not wants_colour(True, {"TERM": "dumb"})


def test_a_failing_gate_summary_reads_as_text_in_the_report() -> None:
    decision = Decision(
        head_sha="abc123",
        mode="enforce",
        verdict=Verdict("ai", tools=("claude",)),
        gates=(
            GateResult(Gate.APPROVALS, Conclusion.ACTION_REQUIRED, "billing needs approval", SUMMARY),
            GateResult(Gate.LINT, Conclusion.SUCCESS, "no findings", ""),
        ),
    )
    plain = render_text(decision)
    assert "      Verdict: ai (claude) — see the policy" in plain and "**" not in plain and "\x1b[" not in plain
    coloured = render_text(decision, Style(colour=True))
    assert "\x1b[31m✗\x1b[0m approvals" in coloured and "\x1b[32m✓\x1b[0m lint" in coloured
    assert "Result: \x1b[31;1mfails: approvals\x1b[0m" in coloured
