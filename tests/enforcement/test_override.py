"""Reading the override command, and judging from a gate's summary whether it is in force."""

from __future__ import annotations

import pytest

from ghapp.core.decisions import Conclusion, Decision, Gate, GateResult, Verdict
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


def _decision(summary: str) -> Decision:
    return Decision("abc", "enforce", Verdict("ai"), (GateResult(Gate.LINT, Conclusion.FAILURE, "t", summary),))


@pytest.mark.parametrize(("summary", "expected"), [
    ("**Overridden** by @sec on `abc`: why", (True, "accepted")),
    ("x\n### Overrides not accepted\n- @sec: not a member of @acme/security",
     (False, "not a member of @acme/security")),
    ("The override by @sec was not needed: the gate passes.", (False, "not needed: the check passes without it")),
    ("**Overridden** by @other on `abc`: why", (False, "another override is in force")),
])
def test_verdict(summary: str, expected: tuple[bool, str]) -> None:
    assert verdict(_decision(summary), Gate.LINT, "sec") == expected


def test_verdict_without_an_evaluation() -> None:
    assert verdict(None, Gate.LINT, "sec")[0] is False
    assert verdict(_decision(""), Gate.TYPES, "sec")[0] is False
