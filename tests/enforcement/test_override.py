"""Reading the override command, and reading the engine's judgement of it from the evaluated gate."""

from __future__ import annotations

import pytest

from ghapp.core.decisions import Conclusion, Decision, Gate, GateResult, OverrideOutcome, Verdict
from ghapp.enforcement.override import parse, verdict


@pytest.mark.parametrize(("body", "expected"), [
    ("/prompt-to-pr override lint false positive", ("lint", "false positive")),
    ("LGTM\n/prompt-to-pr   override   Semgrep  vendored code\nthanks", ("semgrep", "vendored code")),
    ("/prompt-to-pr override dependency-audit", ("dependency-audit", "")),
    ("/prompt-to-pr override", ("", "")),
    ("please /prompt-to-pr override lint now", None),
    ("/prompt-to-pr overrides lint x", None),
    ("", None),
])
def test_parse(body: str, expected: tuple[str, str] | None) -> None:
    assert parse(body) == expected


def _decision(*outcomes: OverrideOutcome) -> Decision:
    gate = GateResult(Gate.LINT, Conclusion.FAILURE, "t", "summary", overrides=outcomes)
    return Decision("abc", "enforce", Verdict("ai"), (gate,))


@pytest.mark.parametrize(("outcomes", "expected"), [
    ((OverrideOutcome("sec", True, "accepted"),), (True, "accepted")),
    ((OverrideOutcome("SEC", False, "not a member of @acme/security"),), (False, "not a member of @acme/security")),
    ((OverrideOutcome("sec", False, "no reason given"), OverrideOutcome("sec", True, "accepted")), (True, "accepted")),
    ((OverrideOutcome("other", True, "accepted"),), (False, "the override was not seen on the evaluated head")),
])
def test_verdict_reads_the_engines_judgement(outcomes: tuple[OverrideOutcome, ...],
                                             expected: tuple[bool, str]) -> None:
    assert verdict(_decision(*outcomes), Gate.LINT, "sec") == expected


def test_verdict_without_an_evaluation() -> None:
    assert verdict(None, Gate.LINT, "sec")[0] is False
    assert verdict(_decision(), Gate.TYPES, "sec")[0] is False
