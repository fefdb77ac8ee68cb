"""The Policy value: gate settings, modes, the teams and facts it needs, watched branches."""

from __future__ import annotations

import pytest

from ghapp.core.decisions import Gate, Verdict
from ghapp.core.gates.approvals import ApprovalRule
from ghapp.core.policy.model import (
    AISettings,
    DirectPushSettings,
    GateSettings,
    LabelSettings,
    OverrideSettings,
    Policy,
)

RULE = ApprovalRule("auth", ("auth/",), users=("alice",), stale_on_change=False)


@pytest.mark.parametrize(
    ("settings", "is_ai", "applies"),
    [
        (GateSettings(Gate.LINT), True, True),
        (GateSettings(Gate.LINT), False, False),
        (GateSettings(Gate.LINT, applies_to="all"), False, True),
        (GateSettings(Gate.LINT, enabled=False, applies_to="all"), True, False),
    ],
)
def test_gate_applies(settings: GateSettings, is_ai: bool, applies: bool) -> None:
    assert settings.applies(is_ai) is applies


@pytest.mark.parametrize(
    ("verdict", "treat", "is_ai"),
    [
        ("ai", ("ai", "suspected", "contradictory"), True),
        ("suspected", ("ai",), False),
        ("contradictory", ("ai", "contradictory"), True),
        ("human", ("ai", "suspected", "contradictory"), False),
    ],
)
def test_which_verdicts_count_as_ai(verdict: str, treat: tuple[str, ...], is_ai: bool) -> None:
    assert AISettings(treat_as_ai=treat).is_ai(Verdict(verdict)) is is_ai  # type: ignore[arg-type]


def test_gate_mode_falls_back_to_the_policy_mode() -> None:
    policy = Policy(mode="report", gates=(GateSettings(Gate.LINT, mode="enforce"), GateSettings(Gate.TYPES)))
    assert policy.gate_mode(Gate.LINT) == "enforce"
    assert policy.gate_mode(Gate.TYPES) == "report"
    assert policy.gate_mode(Gate.APPROVALS) == "report"
    assert policy.gate(Gate.TYPES) == GateSettings(Gate.TYPES)


def test_teams_lists_every_team_the_engine_asks_about() -> None:
    policy = Policy(
        approvals=(ApprovalRule("a", ("a/",), teams=("o/x",), all_of=("o/y",)), RULE),
        overrides=OverrideSettings(team="o/leads"),
    )
    assert policy.teams() == {"o/x", "o/y", "o/leads"}
    assert Policy().teams() == frozenset()


@pytest.mark.parametrize(
    ("settings", "branch", "watched"),
    [
        (DirectPushSettings(), "main", True),
        (DirectPushSettings(), "dev", False),
        (DirectPushSettings(enabled=False), "main", False),
        (DirectPushSettings(default_branch=False), "main", False),
        (DirectPushSettings(branches=("release/*",)), "release/1.2", True),
        (DirectPushSettings(branches=("release/*",)), "Release/1.2", False),
    ],
)
def test_direct_push_watches(settings: DirectPushSettings, branch: str, watched: bool) -> None:
    assert settings.watches(branch, "main") is watched


@pytest.mark.parametrize(
    ("settings", "verdict", "wanted"),
    [
        (LabelSettings(), Verdict("ai", ("claude", "copilot")), {"ai-generated", "ai:claude", "ai:copilot"}),
        (LabelSettings(), Verdict("contradictory", ("codex",)), {"ai-generated", "ai:codex"}),
        (LabelSettings(), Verdict("suspected", ("cursor",)), {"ai-suspected", "ai:cursor"}),
        (LabelSettings(), Verdict("ai", ("x" * 60,)), {"ai-generated", "ai:" + "x" * 47}),  # GitHub's 50 characters
        (LabelSettings(), Verdict("attested_human"), set()),
        (LabelSettings(ai="by-ai", suspected="maybe-ai", tool_prefix=""), Verdict("ai", ("claude",)), {"by-ai"}),
        (LabelSettings(ai="by-ai", suspected="maybe-ai", tool_prefix=""), Verdict("suspected"), {"maybe-ai"}),
    ],
)
def test_the_labels_a_verdict_wants(settings: LabelSettings, verdict: Verdict, wanted: set[str]) -> None:
    assert settings.wanted(verdict) == wanted


def test_which_labels_are_the_apps_and_what_one_added_by_hand_says() -> None:
    named = LabelSettings(ai="by-ai", suspected="maybe-ai", tool_prefix="")
    assert [LabelSettings().owns(n) for n in ("ai-generated", "ai-suspected", "ai:claude", "bug")] == [
        True,
        True,
        True,
        False,
    ]
    assert [named.owns(n) for n in ("by-ai", "maybe-ai", "ai-generated", "ai:claude")] == [True, True, False, False]
    assert LabelSettings().meaning("ai-generated") == ("ai", None)
    assert LabelSettings().meaning("ai-suspected") == ("suspected", None)
    assert LabelSettings().meaning("ai:claude") == ("ai", "claude")
    assert LabelSettings().meaning("ai:") == ("ai", None)
    assert named.meaning("by-ai") == ("ai", None)
