"""The gates that judge the PR rather than its code: provenance (AI verdict and prompt), approvals, policy."""

from __future__ import annotations

from collections.abc import Sequence

from ghapp.core.decisions import CategoryResult, Conclusion, Gate, GateResult, Verdict
from ghapp.core.gates.summary import bullets, cell, code, finish, line, plural, table
from ghapp.core.policy.located_yaml import PolicyIssue
from ghapp.core.policy.model import AISettings

_VERDICT_WORDS = {
    "ai": "AI-written",
    "suspected": "possibly AI-written",
    "contradictory": "AI-written, although the description declares no AI use",
    "human": "no AI signals",
    "attested_human": "declared human-written",
    "unknown": "not judged",
}
HOW_TO_ADD_PROMPT = (
    "**How to fix:** add a `## Prompt` section to the PR description with the prompt(s) given to the tool, "
    "or link the agent session: `https://claude.ai/code/session_…`, `https://chatgpt.com/codex/tasks/…`, "
    "`https://app.devin.ai/sessions/…`, `https://jules.google.com/task/…`, `https://cursor.com/agents/…`, "
    "Copilot's `<summary>Original prompt</summary>` block, or an `Agent-Logs-Url:` commit trailer. "
    "This check runs again when the description is edited."
)
# what `ai.require_disclosure` asks a PR to carry; policies/pull_request_template.md has it too
DISCLOSURE_SECTION = (
    "## AI disclosure\n"
    "\n"
    "- [ ] No AI tools were used for this pull request.\n"
    "- [ ] AI tools were used: TOOL AND MODEL, for EXTENT.\n"
)
HOW_TO_DISCLOSE = (
    "**How to fix:** this repository asks every PR to say whether and how AI was used "
    "(`ai.require_disclosure`). Add this section to the PR description and tick one box; on the second, "
    "replace TOOL AND MODEL and EXTENT, for example `Claude Code (Sonnet 4.5), for the tests and the parser`. "
    "This check runs again when the description is edited.\n\n```markdown\n" + DISCLOSURE_SECTION + "```"
)


def disclosure_stated(verdict: Verdict) -> bool:
    """Whether the PR says whether and how AI was used: a disclosure or an attestation (a ticked box, an answer
    under an AI question, a sentence, an `Assisted-by:` trailer), or an AI tool's own account opened it."""
    return any(
        s.family in ("disclosure", "attestation")
        or (s.family == "identity" and s.where == "pull request author" and s.confidence == "strong")
        for s in verdict.signals
    )


def provenance_gate(
    verdict: Verdict, ai: AISettings, prompt: str | None, *, automation: bool = False, commits_truncated: bool = False
) -> GateResult:
    """AI verdict with its evidence; fails when an AI PR lacks the prompt the policy requires, or when the policy
    requires every PR to disclose AI use and this one does not (automation that is not AI, `automation`, need
    not). A PR not judged AI-written whose commits GitHub listed only in part (`commits_truncated`) fails
    closed: the unread commits could be an agent's."""
    is_ai = ai.is_ai(verdict)
    if commits_truncated and not is_ai and not automation:
        return GateResult(
            Gate.PROVENANCE,
            Conclusion.FAILURE,
            "The commit list is incomplete: AI use unknown",
            finish(
                [
                    f"**Verdict:** {line(_VERDICT_WORDS[verdict.verdict])} in the commits GitHub listed.",
                    TRUNCATED_COMMITS + " so it cannot tell whether an AI tool wrote them. Split the PR into "
                    "smaller ones, or ask the override team.",
                    _evidence(verdict),
                ]
            ),
        )
    undisclosed = ai.require_disclosure and not automation and not disclosure_stated(verdict)
    tools = f" ({', '.join(verdict.tools)})" if verdict.tools else ""
    words = _VERDICT_WORDS[verdict.verdict] + tools
    lines = [f"**Verdict:** {line(words)}."]
    if verdict.verdict == "contradictory":
        lines.append(
            "The description says no AI tool was used, but the signals below say otherwise; "
            "correct the declaration or explain in the description."
        )
    if not is_ai and verdict.is_ai:
        lines.append(
            "This policy does not treat this verdict as AI-written (`ai.treat_as_ai`), so the AI rules do not apply."
        )
    if is_ai and ai.require_prompt and not prompt:
        also = " and the AI disclosure" if undisclosed else ""
        conclusion, title = Conclusion.FAILURE, f"{words[0].upper()}{words[1:]}: the prompt{also} is missing"
        lines.append(HOW_TO_ADD_PROMPT)
        if verdict.verdict == "suspected":
            lines.append("If no AI tool was used, say so in the PR template's AI section.")
        lines += [HOW_TO_DISCLOSE] if undisclosed else []
    elif undisclosed:
        conclusion, title = Conclusion.FAILURE, "The AI disclosure is missing: say whether and how AI was used"
        lines.append(HOW_TO_DISCLOSE)
    elif is_ai:
        shown = f"prompt: {prompt}" if prompt else "the policy does not require the prompt"
        conclusion, title = Conclusion.SUCCESS, f"{words[0].upper()}{words[1:]}; {shown}"
        lines.append(f"**Prompt provenance:** {cell(prompt) if prompt else 'not required (`ai.require_prompt`)'}.")
    else:
        conclusion, title = Conclusion.SUCCESS, f"{words[0].upper()}{words[1:]}"
    return GateResult(
        Gate.PROVENANCE, conclusion, title[:200], finish([" ".join(lines[:1]), *lines[1:], _evidence(verdict)])
    )


TRUNCATED_COMMITS = (
    "GitHub lists at most 250 commits of a pull request and this one has more: the App could not read the rest,"
)


def _evidence(verdict: Verdict) -> str:
    if not verdict.signals:
        return "No AI signals were found in the PR, its branch or its commits."
    rows = [
        [cell(s.where), code(s.id), s.confidence, cell(s.tool or "—"), cell(s.evidence, 120)] for s in verdict.signals
    ]
    return "### Evidence\n" + table(["Where", "Signal", "Confidence", "Tool", "Evidence"], rows)


def approvals_gate(
    results: Sequence[CategoryResult],
    *,
    files_truncated: bool,
    any_apply: bool,
    commits_truncated: bool = False,
    events_truncated: bool = False,
) -> GateResult:
    """Action required until every matched category is approved on the current head.

    `any_apply` says whether any category applies to this PR: with a cut-short file list, the unseen files
    could be sensitive, so the gate fails closed. With a cut-short commit list (`commits_truncated`) and a
    category matched, who took part is unknown (an owner who wrote an unread commit may not approve it): it
    fails closed too; and so with the PR's events read only up to the App's cap (`events_truncated`: an owner
    who assigned the PR to an agent in an unread event may not approve it).
    """
    sections = [_category(result) for result in results]
    if events_truncated and results and not commits_truncated:
        return GateResult(
            Gate.APPROVALS,
            Conclusion.FAILURE,
            "The event list is incomplete: who took part is unknown",
            finish(
                [
                    "The App reads a pull request's events up to 3,000 and this one has more, so it cannot tell "
                    "whether an approving owner assigned it to an agent. Open a new PR for the change.",
                    *sections,
                ]
            ),
        )
    if commits_truncated and results:
        return GateResult(
            Gate.APPROVALS,
            Conclusion.FAILURE,
            "The commit list is incomplete: who took part is unknown",
            finish(
                [
                    TRUNCATED_COMMITS + " so it cannot tell whether an approving owner wrote one of them. "
                    "Split the PR into smaller ones.",
                    *sections,
                ]
            ),
        )
    if files_truncated and any_apply:
        return GateResult(
            Gate.APPROVALS,
            Conclusion.FAILURE,
            "The file list is incomplete: sensitive paths unknown",
            finish(
                [
                    "GitHub listed only part of the PR's files, so the App cannot tell whether it "
                    "touches sensitive paths. Split the PR into smaller ones.",
                    *sections,
                ]
            ),
        )
    waiting = [r for r in results if not r.satisfied]
    if waiting:
        title = "Approval needed: " + ", ".join(r.category for r in waiting)
        return GateResult(Gate.APPROVALS, Conclusion.ACTION_REQUIRED, title[:200], finish(sections))
    if not any_apply:
        return GateResult(
            Gate.APPROVALS,
            Conclusion.SUCCESS,
            "No sensitive category applies to this PR",
            "The policy's sensitive categories apply to AI-written PRs only (`applies_to: ai`), "
            "and this PR is not judged AI-written.",
        )
    if not results:
        return GateResult(
            Gate.APPROVALS,
            Conclusion.SUCCESS,
            "No sensitive paths changed",
            "No sensitive category of the policy matches the files this PR changes.",
        )
    title = "Approved: " + ", ".join(r.category for r in results)
    return GateResult(Gate.APPROVALS, Conclusion.SUCCESS, title[:200], finish(sections))


def _category(result: CategoryResult) -> str:
    state = "approved" if result.satisfied else "needs approval"
    files = ", ".join(code(path) for path in result.files[:20])
    more = f" and {len(result.files) - 20} more" if len(result.files) > 20 else ""
    lines = [f"Files: {files}{more}"]
    if result.approved_by:
        lines.append("Approved by: " + ", ".join(f"@{login}" for login in result.approved_by))
    lines += [f"Still needed: {line(item)}" for item in result.missing]
    if result.stale:
        lines.append(
            "Stale (the files or the base changed after they approved; approve again): "
            + ", ".join(f"@{login}" for login in result.stale)
        )
    lines += [f"Not counted: {line(item)}" for item in result.ignored]
    if result.vetoed_by:
        lines.append("Changes requested by: " + ", ".join(f"@{login}" for login in result.vetoed_by))
    if result.excluded:
        lines.append(
            "Cannot approve, having taken part in the change: " + "; ".join(line(item) for item in result.excluded)
        )
    return f"### {result.category}: {state}\n" + bullets(lines)


def policy_gate(issues: Sequence[PolicyIssue]) -> GateResult:
    """Failure: the policy cannot be read, so nothing else is judged until it is fixed."""
    return GateResult(
        Gate.POLICY,
        Conclusion.FAILURE,
        f"The policy is invalid ({plural(len(issues), 'problem')})",
        finish(
            [
                "The App reads the policy from the base branch and cannot use it. Fix these "
                "problems there (`ghapp policy validate FILE` shows them locally):",
                _issues(issues),
            ]
        ),
    )


def policy_edit_gate(issues: Sequence[PolicyIssue], refused: Sequence[PolicyIssue] = ()) -> GateResult:
    """This PR edits the policy file: whether the edited version is valid (it applies once merged).
    `refused` are the current policy's relaxations of the org's floor, said as `floor_gate` says them."""
    note = "The policy applies from the base branch, so this edit takes effect once the PR is merged."
    floor = _refused(refused) if refused else ""
    if not issues:
        return GateResult(Gate.POLICY, Conclusion.SUCCESS, "The edited policy is valid", finish([note, floor]))
    title = f"The edited policy is invalid ({plural(len(issues), 'problem')})"
    return GateResult(Gate.POLICY, Conclusion.FAILURE, title, finish([note, _issues(issues), floor]))


def floor_gate(refused: Sequence[PolicyIssue]) -> GateResult:
    """The repository's policy tried to relax values the org's policy enforces: the org's values apply."""
    title = f"The org's floor keeps {plural(len(refused), 'value')} this repository's policy relaxes"
    return GateResult(Gate.POLICY, Conclusion.NEUTRAL, title, _refused(refused))


def _refused(refused: Sequence[PolicyIssue]) -> str:
    return finish(
        [
            "The org's policy (its `.github` repository) sets a floor this repository's policy may only "
            "tighten. These values were relaxed here; the org's values apply instead, so the checks below "
            "judge this pull request by them:",
            _issues(refused),
        ]
    )


def _issues(issues: Sequence[PolicyIssue]) -> str:
    shown = "\n".join(str(issue) for issue in issues[:200]).replace("```", "'''")
    more = f"\n…and {len(issues) - 200} more" if len(issues) > 200 else ""
    return f"```\n{shown}{more}\n```"
