"""SARIF 2.1.0 from decisions and single gates, validated against the real SARIF schema."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import pytest

from ghapp.core.decisions import Conclusion, Decision, Finding, Gate, GateResult, Verdict
from ghapp.core.sarif import MAX_RESULTS, gate_sarif, relative_path, render_sarif, upload_sarif
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


PR_FILES = {"web/api.ts", "scripts/clean.sh", "dir/my file#1.py", "é.py"}


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "../outside.py",
        "web/../../x.py",
        "web/./api.ts",
        "web//api.ts",
        "C:/x.py",
        "file:x.py",
        "web\\api.ts",
        "web/\x1bapi.ts",
        "",
    ],
)
def test_an_upload_names_only_the_pull_requests_own_relative_paths(path: str) -> None:
    crafted = GateResult(Gate.LINT, Conclusion.FAILURE, "x", "s", (Finding(path, 1, "R1", "m"), *LINT.annotations))
    log = valid(upload_sarif(crafted, PR_FILES | {path}))
    run = log["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == ["web/api.ts", "scripts/clean.sh", "web/api.ts", "web/api.ts"]
    assert run["properties"] == {
        "truncated": False,
        "resultsTotal": 5,
        "resultsKept": 4,
        "note": "1 findings outside the pull request's files were left out",
    }
    assert not relative_path(path)
    elsewhere = GateResult(Gate.LINT, Conclusion.FAILURE, "x", "s", (Finding("not/in/the/pr.py", 1, "R1", "m"),))
    assert valid(upload_sarif(elsewhere, PR_FILES))["runs"][0]["results"] == []


def test_an_upload_percent_encodes_what_a_uri_cannot_hold() -> None:
    result = GateResult(
        Gate.TYPES,
        Conclusion.FAILURE,
        "x",
        "s",
        (Finding("dir/my file#1.py", 2, "R", "m"), Finding("é.py", 1, "R", "m")),
    )
    run = valid(upload_sarif(result, PR_FILES))["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == ["dir/my%20file%231.py", "%C3%A9.py"] and "properties" not in run


def test_an_upload_over_the_result_limit_keeps_the_most_severe_in_the_tools_order() -> None:
    findings = tuple(
        Finding("web/api.ts", i, f"R{i % 3}", "m", severity=("note", "warning", "error")[i % 3]) for i in range(1, 31)
    )
    result = GateResult(Gate.SEMGREP, Conclusion.FAILURE, "x", "s", findings)
    run = valid(upload_sarif(result, PR_FILES, max_results=12))["runs"][0]
    kept = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]]
    assert kept == [1, 2, 4, 5, 8, 11, 14, 17, 20, 23, 26, 29]
    assert [r["level"] for r in run["results"]].count("error") == 10  # every error, then the first warnings
    assert len(run["results"]) == 12 and len(run["tool"]["driver"]["rules"]) == 2
    assert run["properties"]["truncated"] is True and run["properties"]["resultsKept"] == 12
    assert "18 less severe findings over the limit of 12 results" in run["properties"]["note"]
    assert len(upload_sarif(result, PR_FILES)["runs"][0]["results"]) == 30 <= MAX_RESULTS
