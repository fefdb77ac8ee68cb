"""Reading the override command, and reading the engine's judgement of it from the evaluated gate."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ghapp.core.decisions import Conclusion, Decision, Gate, GateResult, OverrideOutcome, Verdict
from ghapp.core.gates.override_head import HeadSeen
from ghapp.enforcement.override import Command, heads_seen, parse, verdict


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/prompt-to-pr override lint false positive", ("lint", "false positive")),
        ("LGTM\n/prompt-to-pr   override   Semgrep  vendored code\nthanks", ("semgrep", "vendored code")),
        ("/prompt-to-pr override dependency-audit", ("dependency-audit", "")),
        ("/prompt-to-pr override", ("", "")),
        ("please /prompt-to-pr override lint now", None),
        ("/prompt-to-pr overrides lint x", None),
        ("", None),
        ("/prompt-to-pr override lint@1A2b3c4 vendored", ("lint", "vendored", "1A2b3c4")),
        ("/prompt-to-pr override lint@12345 short", ("lint", "@12345 short")),  # too short to name a commit
    ],
)
def test_parse(body: str, expected: tuple[str, ...] | None) -> None:
    assert parse(body) == (None if expected is None else Command(*expected))


def _decision(*outcomes: OverrideOutcome) -> Decision:
    gate = GateResult(Gate.LINT, Conclusion.FAILURE, "t", "summary", overrides=outcomes)
    return Decision("abc", "enforce", Verdict("ai"), (gate,))


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ((OverrideOutcome("sec", True, "accepted"),), (True, "accepted")),
        ((OverrideOutcome("SEC", False, "not a member of @acme/security"),), (False, "not a member of @acme/security")),
        (
            (OverrideOutcome("sec", False, "no reason given"), OverrideOutcome("sec", True, "accepted")),
            (True, "accepted"),
        ),
        ((OverrideOutcome("other", True, "accepted"),), (False, "the override was not seen on the evaluated head")),
    ],
)
def test_verdict_reads_the_engines_judgement(outcomes: tuple[OverrideOutcome, ...], expected: tuple[bool, str]) -> None:
    assert verdict(_decision(*outcomes), Gate.LINT, "sec") == expected


def test_verdict_without_an_evaluation() -> None:
    assert verdict(None, Gate.LINT, "sec")[0] is False
    assert verdict(_decision(), Gate.TYPES, "sec")[0] is False


def test_heads_seen_reads_github_times_and_falls_back_to_receipt() -> None:
    received = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    rows = [
        (received, json.dumps({"pull_request": {"head": {"sha": "a" * 40}, "updated_at": "2026-12-01T09:59:59Z"}})),
        (received, json.dumps({"pull_request": {"head": {"sha": "b" * 40}}})),
        (received, json.dumps({"pull_request": {"head": {}}})),
        (received, "not json"),
        (received, "[1]"),
    ]
    assert heads_seen(rows) == [HeadSeen("a" * 40, "2026-12-01T09:59:59Z"), HeadSeen("b" * 40, received.isoformat())]
