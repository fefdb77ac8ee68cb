"""`evaluate(policy, facts) -> Decision`: the one pure function that judges a pull request's head.

It composes AI detection, the provenance gate, the four tool gates, required approvals, overrides and the
report mode. The shell gathers what `core.needs` names, runs the tools `gates_to_run` lists, and
publishes the Decision; when the policy cannot be read, `evaluate_policy_error` still gives every gate an
outcome, so a pull request never waits on a check that will not come.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ghapp.core.decisions import Decision, Gate, GateResult, Verdict
from ghapp.core.detection.detect import detect, is_automation_author, prompt_provenance
from ghapp.core.detection.signals import SignalTable
from ghapp.core.facts import Actor, Commit, Facts, PullRequest
from ghapp.core.gates.approvals import evaluate_approvals
from ghapp.core.gates.branches import governs
from ghapp.core.gates.outcome import apply_mode, apply_overrides, not_judged
from ghapp.core.gates.participants import is_bot, participation
from ghapp.core.gates.review import approvals_gate, floor_gate, policy_edit_gate, policy_gate, provenance_gate
from ghapp.core.gates.tools import tool_gate
from ghapp.core.policy.located_yaml import PolicyIssue
from ghapp.core.policy.model import GateSettings, Policy

__all__ = ["evaluate", "evaluate_policy_error", "gates_to_run"]

_JUDGED = (Gate.PROVENANCE, Gate.LINT, Gate.TYPES, Gate.SEMGREP, Gate.DEPENDENCY_AUDIT, Gate.APPROVALS)


def evaluate(policy: Policy, facts: Facts, *, policy_edit: Sequence[PolicyIssue] | None = None) -> Decision:
    """Judge the head of `facts.pull_request` under `policy`.

    `policy_edit`, when the PR edits the policy file, holds the issues of the edited version (empty when it
    is valid): a `policy` gate reports them.
    """
    pr = facts.pull_request
    head_sha = pr.head_sha if pr is not None else ""
    base = pr.base_ref if pr is not None else None
    table = policy.signals if policy.signals is not None else SignalTable()
    verdict = detect(table, pr, facts.commits)
    is_ai = policy.ai.is_ai(verdict)
    prompt = prompt_provenance(pr, facts.commits) if is_ai else None
    automation = pr is None or is_automation_author(table, pr)  # a push has no description to disclose in
    truncated = facts.commits_truncated
    results: list[GateResult] = [
        provenance_gate(verdict, policy.ai, prompt, automation=automation, commits_truncated=truncated)
    ]
    for settings in policy.gates:
        reports = [report for report in facts.tool_reports if report.gate is settings.gate]
        results.append(
            tool_gate(settings, reports, facts.files, is_ai=is_ai, files_truncated=facts.files_truncated, base=base)
        )
    approvals = evaluate_approvals(
        policy.approvals,
        facts,
        is_ai=is_ai,
        is_ai_actor=_ai_actor(table),
        is_ai_co_author=_ai_co_author(table),
        base=base,
    )
    any_apply = any((rule.applies_to == "all" or is_ai) and governs(rule.branches, base) for rule in policy.approvals)
    results.append(
        approvals_gate(
            approvals,
            files_truncated=facts.files_truncated,
            any_apply=any_apply,
            commits_truncated=truncated,
            events_truncated=facts.events_truncated,
        )
    )
    if policy_edit is not None:
        results.append(policy_edit_gate(policy_edit, policy.refused))
    elif policy.refused:
        results.append(floor_gate(policy.refused))
    author = pr.author.login if pr is not None else ""
    is_ai_actor = _ai_actor(table)
    took_part = (
        participation(facts, lambda actor: is_bot(actor) or is_ai_actor(actor), _ai_co_author(table))
        if facts.overrides
        else None
    )
    final = tuple(
        apply_mode(
            apply_overrides(
                result,
                facts.overrides,
                policy.overrides,
                head_sha=head_sha,
                author=author,
                members=facts.team_members,
                took_part=took_part,
            ),
            policy.gate_mode(result.gate),
        )
        for result in results
    )
    return Decision(head_sha=head_sha, mode=policy.mode, verdict=verdict, gates=final, approvals=approvals)


def gates_to_run(policy: Policy, verdict: Verdict, base: str | None = None) -> tuple[GateSettings, ...]:
    """The tool gates that judge a PR with this verdict into `base`: the tools the shell must run on the head."""
    is_ai = policy.ai.is_ai(verdict)
    return tuple(settings for settings in policy.gates if settings.applies(is_ai, base))


def evaluate_policy_error(issues: Sequence[PolicyIssue], head_sha: str) -> Decision:
    """The Decision for a head whose policy cannot be read: `policy` fails with the issues, every other
    gate fails as not judged (nothing merges unchecked), and the verdict is "unknown"."""
    reason = "the policy file is invalid (see the policy check)"
    gates = (policy_gate(issues), *(not_judged(gate, reason) for gate in _JUDGED))
    return Decision(head_sha=head_sha, mode="enforce", verdict=Verdict("unknown"), gates=gates)


def _ai_actor(table: SignalTable) -> Callable[[Actor], bool]:
    """Whether an account is an AI tool's identity (its approval never counts unless `allow_bots`)."""

    def is_ai_actor(actor: Actor) -> bool:
        verdict = detect(table, PullRequest(number=0, author=actor), ())
        return any(signal.family == "identity" for signal in verdict.signals)

    return is_ai_actor


def _ai_co_author(table: SignalTable) -> Callable[[str, str], bool]:
    """Whether a `Co-authored-by: name <email>` line names an AI tool rather than a person."""

    def is_ai_co_author(name: str, email: str) -> bool:
        commit = Commit("", f"-\n\nCo-authored-by: {name} <{email}>" if email else f"-\n\nCo-authored-by: {name}")
        return detect(table, None, (commit,)).is_ai

    return is_ai_co_author
