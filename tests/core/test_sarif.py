"""SARIF 2.1.0 from decisions and single gates, validated against the real SARIF schema."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema

from ghapp.core.decisions import Conclusion, Decision, Finding, Gate, GateResult, Verdict
from ghapp.core.sarif import gate_sarif, render_sarif
from tests.paths import FIXTURES


@cache
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def valid(log: dict[str, Any]) -> dict[str, Any]:
    errors = sorted(validator().iter_errors(log), key=str)
    assert not errors, errors[0].message
    return log


LINT = GateResult(
    Gate.LINT,
    Conclusion.FAILURE,
    "2 findings",
    "s",
    (
        Finding("web/api.ts", 4, "eslint(no-eval)", "eval can be harmful.", column=10, end_line=4, end_column=14),
        Finding("scripts/clean.sh", 3, "SC2086", "Double quote to prevent globbing", severity="warning"),
        Finding("web/api.ts", 9, "eslint(no-eval)", "", end_line=12, end_column=1),
        Finding("web/api.ts", 20, "eslint(no-eval)", "eval", column=3, end_line=22),
    ),
)


def test_one_gate_is_one_analysis() -> None:
    log = valid(gate_sarif(LINT, version="1.2.3"))
    run = log["runs"][0]
    assert run["automationDetails"] == {"id": "prompt-to-pr/lint/"}
    assert run["tool"]["driver"]["version"] == "1.2.3"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["lint/eslint(no-eval)", "lint/SC2086"]
    assert [(r["ruleIndex"], r["level"]) for r in run["results"]] == [
        (0, "error"),
        (1, "warning"),
        (0, "error"),
        (0, "error"),
    ]
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in run["results"]]
    assert regions == [
        {"startLine": 4, "startColumn": 10, "endLine": 4, "endColumn": 14},
        {"startLine": 3},
        {"startLine": 9, "endLine": 12, "endColumn": 1},
        {"startLine": 20, "startColumn": 3, "endLine": 22},
    ]
    assert run["results"][2]["message"] == {"text": "eslint(no-eval)"}  # an empty message falls back to the rule


def test_a_gate_without_findings_is_an_empty_analysis() -> None:
    log = valid(gate_sarif(GateResult(Gate.SEMGREP, Conclusion.SUCCESS, "no findings", "")))
    assert log["runs"][0]["results"] == [] and log["runs"][0]["automationDetails"]["id"] == "prompt-to-pr/semgrep/"


def test_a_whole_decision() -> None:
    decision = Decision(head_sha="abc123", mode="enforce", verdict=Verdict("human"), gates=(LINT,))
    run = valid(render_sarif(decision))["runs"][0]
    assert run["properties"] == {"headSha": "abc123", "passed": False}
    assert (
        "properties"
        not in valid(render_sarif(Decision(head_sha="", mode="enforce", verdict=Verdict("human"), gates=())))["runs"][0]
    )
