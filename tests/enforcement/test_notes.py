"""The notes the App adds to a decision's summaries: the commit cap, a draft's wait, a policy edit's effect."""

from __future__ import annotations

from ghapp.core.decisions import CategoryResult, Conclusion, Decision, Gate, GateResult, Verdict
from ghapp.core.policy.load import PolicyIssue
from ghapp.enforcement.notes import DRAFT_NOTE, edit_note, run_notes
from ghapp.github.api import PULL_COMMITS_CAP


def _decision(*, satisfied: bool) -> Decision:
    gates = tuple(
        GateResult(gate, Conclusion.SUCCESS, "ok", f"{gate.value} summary")
        for gate in (Gate.PROVENANCE, Gate.APPROVALS, Gate.POLICY)
    )
    return Decision("abc", "enforce", Verdict("ai"), gates, (CategoryResult("billing", ("b.py",), satisfied),))


def _summary(decision: Decision, gate: Gate) -> str:
    found = decision.gate(gate)
    assert found is not None
    return found.summary


def test_nothing_to_say_leaves_the_decision_as_it_is() -> None:
    decision = _decision(satisfied=False)
    assert run_notes(decision, commits_cut_at=None, draft=False) is decision
    assert run_notes(_decision(satisfied=True), commits_cut_at=None, draft=True) == _decision(satisfied=True)


def test_a_draft_waiting_for_approvals_is_told_when_reviews_are_asked() -> None:
    noted = run_notes(_decision(satisfied=False), commits_cut_at=None, draft=True)
    assert _summary(noted, Gate.APPROVALS).startswith("approvals summary") and DRAFT_NOTE in _summary(
        noted, Gate.APPROVALS
    )
    assert DRAFT_NOTE not in _summary(noted, Gate.PROVENANCE)


def test_commits_past_githubs_list_are_named_on_provenance_with_the_count_when_known() -> None:
    known = _summary(run_notes(_decision(satisfied=True), commits_cut_at=300, draft=False), Gate.PROVENANCE)
    assert f"first {PULL_COMMITS_CAP} commits" in known and "this one has 300" in known
    unknown = _summary(run_notes(_decision(satisfied=True), commits_cut_at=0, draft=False), Gate.PROVENANCE)
    assert "this one has more" in unknown


def test_a_policy_edit_says_whether_merging_it_fixes_the_policy() -> None:
    decision = _decision(satisfied=True)
    assert edit_note(decision, None) is decision
    assert "merging it fixes the policy" in _summary(edit_note(decision, ()), Gate.POLICY)
    issue = PolicyIssue(".github/prompt-to-pr.yml", 3, 5, "gates: ``` is not a mapping")
    broken = _summary(edit_note(decision, (issue,)), Gate.POLICY)
    assert "invalid too" in broken and "'''" in broken and broken.count("```") == 2
