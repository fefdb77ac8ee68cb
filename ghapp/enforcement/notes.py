"""What the App adds to a decision's summaries beyond the core's verdict, from what it knows of the PR on
GitHub: the commits past GitHub's list, a draft's wait for reviews, whether the PR's edit of a broken policy
file would fix it."""

from __future__ import annotations

from dataclasses import replace

from ghapp.core.decisions import Decision, Gate
from ghapp.core.gates.summary import finish
from ghapp.core.policy.load import PolicyIssue
from ghapp.github.api import PULL_COMMITS_CAP

DRAFT_NOTE = (
    "This pull request is a draft: the App asks for reviews once it is marked ready for review. "
    "Every check runs on drafts too, so nothing waits for the ready state."
)


def run_notes(decision: Decision, *, commits_cut_at: int | None, draft: bool) -> Decision:
    """`commits_cut_at`: the PR's commit count when GitHub listed only part of them (0: unknown), else None."""
    notes: dict[Gate, str] = {}
    if commits_cut_at is not None:
        notes[Gate.PROVENANCE] = (
            f"GitHub lists only the first {PULL_COMMITS_CAP} commits of a pull request; "
            f"this one has {commits_cut_at or 'more'}, so the later commits were not inspected "
            "for AI signals. Split the PR to have every commit judged."
        )
    if draft and any(not c.satisfied for c in decision.approvals):
        notes[Gate.APPROVALS] = DRAFT_NOTE
    return with_notes(decision, notes)


def with_notes(decision: Decision, notes: dict[Gate, str]) -> Decision:
    if not notes:
        return decision
    gates = tuple(
        replace(g, summary=finish([g.summary, notes[g.gate]])) if g.gate in notes else g for g in decision.gates
    )
    return replace(decision, gates=gates)


def edit_note(decision: Decision, edit: tuple[PolicyIssue, ...] | None) -> Decision:
    """On an unreadable base policy, say whether this PR's edit of the file would fix it."""
    if edit is None:
        return decision
    if not edit:
        note = "This pull request edits the policy file, and the edited version is valid: merging it fixes the policy."
    else:
        shown = "\n".join(str(issue) for issue in edit[:50]).replace("```", "'''")
        note = f"This pull request edits the policy file, but the edited version is invalid too:\n```\n{shown}\n```"
    return with_notes(decision, {Gate.POLICY: note})
