"""The policy as the engine reads it: a tree of frozen values built from the merged policy file."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Literal

from ghapp.core.decisions import Gate, Severity, Verdict, VerdictKind
from ghapp.core.detection.signals import SignalTable
from ghapp.core.gates.approvals import ApprovalRule
from ghapp.core.gates.branches import governs
from ghapp.core.policy.located_yaml import PolicyIssue

Mode = Literal["enforce", "report"]
AppliesTo = Literal["ai", "all"]
TOOL_GATES = (Gate.LINT, Gate.TYPES, Gate.SEMGREP, Gate.DEPENDENCY_AUDIT)
GATE_KEYS = {
    Gate.LINT: "lint",
    Gate.TYPES: "types",
    Gate.SEMGREP: "semgrep",
    Gate.DEPENDENCY_AUDIT: "dependency_audit",
}  # gate -> its key under `gates:`
DEFAULT_OVERRIDABLE = (Gate.PROVENANCE, Gate.LINT, Gate.TYPES, Gate.SEMGREP, Gate.DEPENDENCY_AUDIT)


@dataclass(frozen=True)
class AISettings:
    """Which detection verdicts count as AI-written, whether an AI PR must show its prompt, and whether every
    PR must state whether and how AI was used."""

    treat_as_ai: tuple[VerdictKind, ...] = ("ai", "suspected", "contradictory")
    require_prompt: bool = True
    require_disclosure: bool = False

    def is_ai(self, verdict: Verdict) -> bool:
        return verdict.verdict in self.treat_as_ai


@dataclass(frozen=True)
class LabelSettings:
    """The labels the App keeps on a PR to show its AI verdict, named by the org (`labels:` in the policy):
    one for `ai` and `contradictory`, one for `suspected`, and one per tool named (`tool_prefix` + tool; an
    empty prefix adds none)."""

    ai: str = "ai-generated"
    suspected: str = "ai-suspected"
    tool_prefix: str = "ai:"

    def owns(self, name: str) -> bool:
        """Whether `name` is one of these labels: the App's output, never evidence unless a person added it."""
        return name in (self.ai, self.suspected) or bool(self.tool_prefix and name.startswith(self.tool_prefix))

    def wanted(self, verdict: Verdict) -> frozenset[str]:
        """The labels a PR with this verdict carries (GitHub caps a label name at 50 characters)."""
        if verdict.verdict in ("ai", "contradictory"):
            base = self.ai
        elif verdict.verdict == "suspected":
            base = self.suspected
        else:
            return frozenset()
        tools = {f"{self.tool_prefix}{tool}"[:50] for tool in verdict.tools} if self.tool_prefix else set()
        return frozenset({base} | tools)

    def meaning(self, name: str) -> tuple[Literal["ai", "suspected"], str | None]:
        """What one of these labels says when a person puts it on a PR: the verdict, and the tool if it names one."""
        if name == self.suspected:
            return "suspected", None
        if name == self.ai or not self.tool_prefix:
            return "ai", None
        return "ai", name[len(self.tool_prefix) :] or None


@dataclass(frozen=True)
class GateSettings:
    """One tool gate (lint, types, semgrep, dependency-audit) as the policy configures it.

    `rules` are ruff codes for lint and extra rule files (paths on the base branch) for semgrep;
    `ignore` are rule or advisory ids whose findings never count. `mode` None follows the policy's mode.
    """

    gate: Gate
    enabled: bool = True
    applies_to: AppliesTo = "ai"
    mode: Mode | None = None
    whole_file: bool = False
    block_on: Severity = "error"
    rules: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()  # base branches (names or fnmatch globs) the gate governs; () is every one
    suggestions: bool = False  # lint: offer the tools' safe fixes as suggested changes (ghapp.core.suggestions)

    def governs(self, base: str | None) -> bool:
        """Whether the gate governs PRs into `base` (None: unknown, so it does)."""
        return governs(self.branches, base)

    def applies(self, is_ai: bool, base: str | None = None) -> bool:
        """Whether the gate judges a PR (AI-written or not) into `base`."""
        return self.enabled and (self.applies_to == "all" or is_ai) and self.governs(base)


@dataclass(frozen=True)
class OverrideSettings:
    """Who may override a gate on a head (`team`, an org/team; None: nobody) and which gates they may."""

    team: str | None = None
    gates: tuple[Gate, ...] = DEFAULT_OVERRIDABLE


@dataclass(frozen=True)
class DirectPushSettings:
    """What to do when code reaches a protected branch without a PR."""

    enabled: bool = True
    default_branch: bool = True
    branches: tuple[str, ...] = ()  # names or fnmatch globs, in addition to the default branch
    open_issue: bool = False
    mention: tuple[str, ...] = ()  # "@login" or "@org/team", as written in the policy

    def watches(self, branch: str, default_branch: str) -> bool:
        """Whether a push to `branch` is watched (`default_branch` is the repository's default branch)."""
        if not self.enabled:
            return False
        if self.default_branch and branch == default_branch:
            return True
        return any(fnmatch.fnmatchcase(branch, pattern) for pattern in self.branches)


def _default_gates() -> tuple[GateSettings, ...]:
    return tuple(GateSettings(gate) for gate in TOOL_GATES)


@dataclass(frozen=True)
class Policy:
    """The merged, validated policy. `signals` is the AI signal table (bundled table plus the policy's entries)."""

    mode: Mode = "enforce"
    ai: AISettings = field(default_factory=AISettings)
    gates: tuple[GateSettings, ...] = field(default_factory=_default_gates)
    approvals: tuple[ApprovalRule, ...] = ()
    overrides: OverrideSettings = field(default_factory=OverrideSettings)
    direct_push: DirectPushSettings = field(default_factory=DirectPushSettings)
    labels: LabelSettings = field(default_factory=LabelSettings)
    dismiss_stale: bool = False  # approvals.dismiss_stale: dismiss stale approvals on GitHub too
    signals: SignalTable | None = None
    refused: tuple[PolicyIssue, ...] = ()  # relaxations of the org's floor that a repository file tried

    def gate(self, gate: Gate) -> GateSettings:
        """The settings of a tool gate."""
        return next(g for g in self.gates if g.gate is gate)

    def gate_mode(self, gate: Gate) -> Mode:
        """The mode a gate concludes in: its own, else the policy's."""
        own = next((g.mode for g in self.gates if g.gate is gate), None)
        return own or self.mode

    def teams(self) -> frozenset[str]:
        """Every org/team whose members the engine needs: approvers, all_of teams, the override team."""
        teams = {team for rule in self.approvals for team in (*rule.teams, *rule.all_of)}
        if self.overrides.team:
            teams.add(self.overrides.team)
        return frozenset(teams)
