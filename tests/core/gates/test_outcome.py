"""Overrides count only on the current head, with a reason, by the override team, never by the author;
report mode turns every conclusion neutral and says what enforce mode would have done."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from ghapp.core.decisions import Conclusion, Gate, GateResult, OverrideOutcome
from ghapp.core.facts import Actor, Override
from ghapp.core.gates.outcome import apply_mode, apply_overrides, not_judged
from ghapp.core.gates.participants import Participant, Participation, Role
from ghapp.core.policy.model import OverrideSettings

HEAD = "c0ffee" * 6 + "1234"
FAILED = GateResult(Gate.LINT, Conclusion.FAILURE, "3 findings on changed lines, 3 blocking", "the table")
SETTINGS = OverrideSettings(team="acme/leads")
MEMBERS = MappingProxyType({"Acme/Leads": frozenset({"Lead", "author"}), "acme/other": frozenset({"eve"})})


def _override(by: str = "lead", gate: str = "lint", reason: str = "false positive", sha: str = HEAD) -> Override:
    return Override(gate, reason, Actor(by), sha)


def _apply(*overrides: Override, result: GateResult = FAILED, settings: OverrideSettings = SETTINGS) -> GateResult:
    return apply_overrides(result, overrides, settings, head_sha=HEAD, author="Author", members=MEMBERS)


def test_a_valid_override_passes_the_gate_and_keeps_the_findings() -> None:
    result = _apply(_override())
    assert result.conclusion is Conclusion.SUCCESS
    assert result.title == "Overridden by @lead: false positive"
    assert result.summary.startswith(f"**Overridden** by @lead on `{HEAD[:12]}`: false positive")
    assert "Without the override this check concludes `failure`: 3 findings on changed lines" in result.summary
    assert "the table" in result.summary
    assert result.overrides == (OverrideOutcome("lead", True, "accepted"),)


@pytest.mark.parametrize(
    ("override", "settings", "why"),
    [
        (_override(sha="0" * 40), SETTINGS, f"given on `000000000000`, but the head is now `{HEAD[:12]}`"),
        (_override(reason="  "), SETTINGS, "no reason given"),
        (_override(by="author"), SETTINGS, "the PR's author cannot override its checks"),
        (_override(by="eve"), SETTINGS, "not a member of @acme/leads"),
        (_override(), OverrideSettings(team=None), "the policy names no override team (`overrides.team`)"),
        (
            _override(),
            OverrideSettings(team="acme/leads", gates=(Gate.TYPES,)),
            "the policy does not allow overriding `lint` (`overrides.gates`)",
        ),
    ],
)
def test_a_rejected_override_is_mentioned_with_why(override: Override, settings: OverrideSettings, why: str) -> None:
    result = _apply(override, settings=settings)
    assert result.conclusion is Conclusion.FAILURE
    assert f"### Overrides not accepted\n- @{override.by.login}: {why}" in result.summary
    (outcome,) = result.overrides
    assert outcome.login == override.by.login and not outcome.accepted and outcome.why.startswith(why)


def test_overrides_of_other_gates_are_not_looked_at() -> None:
    assert _apply(_override(gate="types")) == FAILED


def test_the_gate_name_is_matched_loosely() -> None:
    assert _apply(_override(gate=" Lint ")).conclusion is Conclusion.SUCCESS
    audit = GateResult(Gate.DEPENDENCY_AUDIT, Conclusion.FAILURE, "1 finding", "x")
    settings = OverrideSettings(team="acme/leads", gates=(Gate.DEPENDENCY_AUDIT,))
    assert _apply(_override(gate="dependency_audit"), result=audit, settings=settings).conclusion is Conclusion.SUCCESS


def test_the_latest_valid_override_wins_and_rejected_ones_are_still_listed() -> None:
    result = _apply(_override(reason="first"), _override(by="eve"), _override(reason="second"))
    assert result.title == "Overridden by @lead: second"
    assert "- @eve: not a member of @acme/leads" in result.summary
    assert result.overrides == (
        OverrideOutcome("eve", False, "not a member of @acme/leads"),
        OverrideOutcome("lead", False, "a later override is in force"),
        OverrideOutcome("lead", True, "accepted"),
    )
    assert result.override_by("LEAD") == OverrideOutcome("lead", True, "accepted")
    assert result.override_by("nobody") is None


def test_an_override_of_a_passing_gate_is_noted_as_not_needed() -> None:
    passing = GateResult(Gate.LINT, Conclusion.SUCCESS, "No findings on changed lines", "ok")
    result = _apply(_override(), result=passing)
    assert result.conclusion is Conclusion.SUCCESS and result.title == passing.title
    assert "The override by @lead was not needed: the gate passes." in result.summary
    assert result.overrides == (OverrideOutcome("lead", False, "not needed: the check passes without it"),)


@pytest.mark.parametrize("conclusion", list(Conclusion))
def test_report_mode_is_always_neutral_and_says_what_enforce_would_do(conclusion: Conclusion) -> None:
    result = apply_mode(GateResult(Gate.SEMGREP, conclusion, "title", "body"), "report")
    assert result.conclusion is Conclusion.NEUTRAL
    assert result.would_conclude is conclusion
    assert result.title == "Report: title"
    assert result.summary.startswith(
        f"> **Report mode**: nothing blocks. In enforce mode this check would conclude **{conclusion.value}**."
    )


def test_enforce_mode_changes_nothing() -> None:
    assert apply_mode(FAILED, "enforce") is FAILED


def test_not_judged_fails_and_says_why() -> None:
    result = not_judged(Gate.TYPES, "the policy file is invalid")
    assert (result.conclusion, result.title) == (Conclusion.FAILURE, "Not judged: the policy file is invalid")
    assert "runs again once the cause is fixed" in result.summary


@pytest.mark.parametrize(
    ("role", "why"),
    [
        ("pusher", "took part in the change (pushed to the pull request's branch): cannot override its checks"),
        (
            "commit_author",
            "took part in the change (authored or committed a commit of the pull request): cannot override its checks",
        ),
        ("launcher", "took part in the change (assigned the pull request to an agent): cannot override its checks"),
    ],
)
def test_a_lead_who_took_part_in_the_change_cannot_override_its_checks(role: Role, why: str) -> None:
    """as nobody who took part approves a change, nobody who took part overrides its checks"""
    took_part = Participation(people=(Participant("lead", (role,)),))
    result = apply_overrides(
        FAILED, (_override(),), SETTINGS, head_sha=HEAD, author="Author", members=MEMBERS, took_part=took_part
    )
    assert result.conclusion is Conclusion.FAILURE
    assert f"- @lead: {why}" in result.summary
    others = Participation(people=(Participant("someone-else", (role,)),))
    passed = apply_overrides(
        FAILED, (_override(),), SETTINGS, head_sha=HEAD, author="Author", members=MEMBERS, took_part=others
    )
    assert passed.conclusion is Conclusion.SUCCESS
