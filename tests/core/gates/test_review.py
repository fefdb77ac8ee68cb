"""Provenance, approvals and policy gates: conclusions, titles, and summaries that say what to do."""

from __future__ import annotations

import pytest

from ghapp.core.decisions import CategoryResult, Conclusion, Gate, Signal, Verdict
from ghapp.core.detection.detect import detect, parse_signal_table
from ghapp.core.facts import Actor, PullRequest
from ghapp.core.gates.review import (
    DISCLOSURE_SECTION,
    HOW_TO_ADD_PROMPT,
    approvals_gate,
    floor_gate,
    policy_edit_gate,
    policy_gate,
    provenance_gate,
)
from ghapp.core.policy.located_yaml import PolicyIssue
from ghapp.core.policy.model import AISettings
from ghapp.resources import ai_signals_text
from tests.paths import ROOT

SIGNAL = Signal(
    "claude-code-footer",
    "marker",
    "strong",
    "commit abc1234 message",
    "🤖 Generated with [Claude Code](https://claude.com/claude-code) <!-- x | y",
    "claude",
)
AI = Verdict("ai", ("claude",), (SIGNAL,))
PROMPT = "## Prompt section in the pull request body"


@pytest.mark.parametrize(
    ("verdict", "ai", "prompt", "conclusion", "title"),
    [
        (AI, AISettings(), None, Conclusion.FAILURE, "AI-written (claude): the prompt is missing"),
        (AI, AISettings(), PROMPT, Conclusion.SUCCESS, f"AI-written (claude); prompt: {PROMPT}"),
        (
            AI,
            AISettings(require_prompt=False),
            None,
            Conclusion.SUCCESS,
            "AI-written (claude); the policy does not require the prompt",
        ),
        (
            Verdict("suspected", ("codex",)),
            AISettings(),
            None,
            Conclusion.FAILURE,
            "Possibly AI-written (codex): the prompt is missing",
        ),
        (
            Verdict("suspected", ("codex",)),
            AISettings(treat_as_ai=("ai",)),
            None,
            Conclusion.SUCCESS,
            "Possibly AI-written (codex)",
        ),
        (
            Verdict("contradictory", ("cursor",)),
            AISettings(),
            PROMPT,
            Conclusion.SUCCESS,
            f"AI-written, although the description declares no AI use (cursor); prompt: {PROMPT}",
        ),
        (Verdict("human"), AISettings(), None, Conclusion.SUCCESS, "No AI signals"),
        (Verdict("attested_human"), AISettings(), None, Conclusion.SUCCESS, "Declared human-written"),
    ],
)
def test_provenance_conclusions(
    verdict: Verdict, ai: AISettings, prompt: str | None, conclusion: Conclusion, title: str
) -> None:
    result = provenance_gate(verdict, ai, prompt)
    assert result.gate is Gate.PROVENANCE
    assert (result.conclusion, result.title) == (conclusion, title)
    assert (HOW_TO_ADD_PROMPT in result.summary) is (conclusion is Conclusion.FAILURE)


def test_provenance_summary_shows_the_evidence_escaped() -> None:
    summary = provenance_gate(AI, AISettings(), None).summary
    assert summary.startswith("**Verdict:** AI-written (claude).")
    assert "| Where | Signal | Confidence | Tool | Evidence |" in summary
    assert "| commit abc1234 message | `claude-code-footer` | strong | claude |" in summary
    assert "&lt;\\!-- x \\| y" in summary and "<!--" not in summary
    assert "\\[Claude Code\\]\\(https:\u2060//claude.com/claude-code\\)" in summary  # a link only as text


def test_provenance_explains_the_special_verdicts() -> None:
    contradictory = provenance_gate(Verdict("contradictory", (), (SIGNAL,)), AISettings(), None).summary
    assert "The description says no AI tool was used, but the signals below say otherwise" in contradictory
    suspected = provenance_gate(Verdict("suspected"), AISettings(), None).summary
    assert "If no AI tool was used, say so in the PR template's AI section." in suspected
    ignored = provenance_gate(Verdict("suspected"), AISettings(treat_as_ai=("ai",)), None).summary
    assert "does not treat this verdict as AI-written (`ai.treat_as_ai`)" in ignored
    assert "No AI signals were found" in provenance_gate(Verdict("human"), AISettings(), None).summary
    unsigned = Signal("x", "identity", "strong", "PR author", "bot[bot]")
    assert (
        "| PR author | `x` | strong | — | bot\\[bot\\] |"
        in provenance_gate(Verdict("ai", (), (unsigned,)), AISettings(), PROMPT).summary
    )
    assert (
        "**Prompt provenance:** not required (`ai.require_prompt`)."
        in provenance_gate(AI, AISettings(require_prompt=False), None).summary
    )


WAITING = CategoryResult(
    "secrets",
    ("config/.env", "deploy/key.pem"),
    False,
    approved_by=("carol",),
    missing=("1 more approval from @alice, @acme/security",),
    request_users=("alice",),
    request_teams=("acme/security",),
    stale=("bob",),
    ignored=("@dave: is the author",),
    vetoed_by=("sec",),
    excluded=("@pat: pushed to the pull request's branch", "@lead: assigned the pull request to an agent"),
)
DONE = CategoryResult("auth", ("src/auth/login.py",), True, approved_by=("erin",))


@pytest.mark.parametrize(
    ("results", "truncated", "any_apply", "conclusion", "title"),
    [
        ((), False, True, Conclusion.SUCCESS, "No sensitive paths changed"),
        ((DONE,), False, True, Conclusion.SUCCESS, "Approved: auth"),
        ((WAITING, DONE), False, True, Conclusion.ACTION_REQUIRED, "Approval needed: secrets"),
        ((DONE,), True, True, Conclusion.FAILURE, "The file list is incomplete: sensitive paths unknown"),
        ((), True, False, Conclusion.SUCCESS, "No sensitive category applies to this PR"),
        ((), False, False, Conclusion.SUCCESS, "No sensitive category applies to this PR"),
    ],
)
def test_approvals_conclusions(
    results: tuple[CategoryResult, ...], truncated: bool, any_apply: bool, conclusion: Conclusion, title: str
) -> None:
    result = approvals_gate(results, files_truncated=truncated, any_apply=any_apply)
    assert (result.gate, result.conclusion, result.title) == (Gate.APPROVALS, conclusion, title)


def test_approvals_summary_says_who_must_still_approve() -> None:
    summary = approvals_gate((WAITING, DONE), files_truncated=False, any_apply=True).summary
    assert "### secrets: needs approval" in summary and "### auth: approved" in summary
    for line in (
        "- Files: `config/.env`, `deploy/key.pem`",
        "- Approved by: @carol",
        "- Still needed: 1 more approval from @alice, @acme/security",
        "- Stale (the files or the base changed after they approved; approve again): @bob",
        "- Not counted: @dave: is the author",
        "- Approved by: @erin",
        "- Changes requested by: @sec",
        "- Cannot approve, having taken part in the change: @pat: pushed to the pull request's branch; "
        "@lead: assigned the pull request to an agent",
    ):
        assert line in summary


def test_approvals_summary_caps_long_file_lists() -> None:
    many = CategoryResult("auth", tuple(f"auth/{i}.py" for i in range(25)), True)
    assert "and 5 more" in approvals_gate((many,), files_truncated=False, any_apply=True).summary


ISSUES = (
    PolicyIssue(".github/prompt-to-pr.yml", 3, 5, "unknown key 'x'"),
    PolicyIssue(".github/prompt-to-pr.yml", 9, 1, "bad ``` fence"),
)


def test_policy_gate_lists_every_issue() -> None:
    result = policy_gate(ISSUES)
    assert (result.gate, result.conclusion, result.title) == (
        Gate.POLICY,
        Conclusion.FAILURE,
        "The policy is invalid (2 problems)",
    )
    assert ".github/prompt-to-pr.yml:3:5: unknown key 'x'" in result.summary
    assert "bad ''' fence" in result.summary
    assert "ghapp policy validate" in result.summary


def test_policy_gate_caps_a_flood_of_issues() -> None:
    flood = [PolicyIssue("p.yml", i, 1, "x") for i in range(1, 251)]
    assert "…and 50 more" in policy_gate(flood).summary


def test_policy_edit_gate() -> None:
    valid = policy_edit_gate(())
    assert (valid.conclusion, valid.title) == (Conclusion.SUCCESS, "The edited policy is valid")
    assert "takes effect once the PR is merged" in valid.summary
    invalid = policy_edit_gate(ISSUES[:1])
    assert (invalid.conclusion, invalid.title) == (Conclusion.FAILURE, "The edited policy is invalid (1 problem)")
    assert ".github/prompt-to-pr.yml:3:5: unknown key 'x'" in invalid.summary


# ---- ai.require_disclosure ------------------------------------------------------------------------------

DISCLOSE = AISettings(require_disclosure=True)
ATTESTED = Signal(
    "human-checkbox-attested",
    "attestation",
    "strong",
    "pull request body",
    "[x] No AI tools were used for this pull request.",
)
DISCLOSED = Signal("assisted-by", "disclosure", "strong", "commit abc1234 trailer", "Assisted-by: Claude", "claude")
AGENT = Signal("copilot-agent", "identity", "strong", "pull request author", "Copilot (Bot)", "copilot")
AGENT_COMMIT = Signal("copilot-agent", "identity", "strong", "commit abc1234 author", "Copilot <…>", "copilot")


@pytest.mark.parametrize(
    ("verdict", "automation", "conclusion", "title"),
    [
        (Verdict("human"), False, Conclusion.FAILURE, "The AI disclosure is missing: say whether and how AI was used"),
        (Verdict("human"), True, Conclusion.SUCCESS, "No AI signals"),
        (Verdict("attested_human", (), (ATTESTED,)), False, Conclusion.SUCCESS, "Declared human-written"),
        (
            Verdict("ai", ("claude",), (DISCLOSED,)),
            False,
            Conclusion.FAILURE,
            "AI-written (claude): the prompt is missing",
        ),
        (
            Verdict("ai", ("copilot",), (AGENT,)),
            False,
            Conclusion.FAILURE,
            "AI-written (copilot): the prompt is missing",
        ),
        (
            Verdict("ai", ("copilot",), (AGENT_COMMIT,)),
            False,
            Conclusion.FAILURE,
            "AI-written (copilot): the prompt and the AI disclosure is missing",
        ),
        (AI, False, Conclusion.FAILURE, "AI-written (claude): the prompt and the AI disclosure is missing"),
    ],
)
def test_require_disclosure(verdict: Verdict, automation: bool, conclusion: Conclusion, title: str) -> None:
    result = provenance_gate(verdict, DISCLOSE, None, automation=automation)
    assert (result.conclusion, result.title) == (conclusion, title)
    assert (DISCLOSURE_SECTION in result.summary) is (result.title.endswith(("used", "disclosure is missing")))


def test_require_disclosure_off_by_default_and_the_message_shows_the_exact_section() -> None:
    assert provenance_gate(Verdict("human"), AISettings(), None).conclusion is Conclusion.SUCCESS
    summary = provenance_gate(Verdict("human"), DISCLOSE, None).summary
    assert f"```markdown\n{DISCLOSURE_SECTION}```" in summary
    assert "`ai.require_disclosure`" in summary


def test_disclosed_ai_pr_with_its_prompt_passes() -> None:
    result = provenance_gate(Verdict("ai", ("claude",), (DISCLOSED,)), DISCLOSE, PROMPT)
    assert result.conclusion is Conclusion.SUCCESS


@pytest.mark.parametrize(
    ("ticked", "verdict"),
    [
        ("- [x] No AI tools were used for this pull request.", "attested_human"),
        ("- [x] AI tools were used: Claude Code (Sonnet 4.5), for the tests.", "ai"),
    ],
)
def test_the_bundled_pull_request_template_satisfies_the_disclosure_rule(ticked: str, verdict: str) -> None:
    """policies/pull_request_template.md carries the section the failure message asks for; ticked, it passes."""
    template = (ROOT / "policies" / "pull_request_template.md").read_text(encoding="utf-8")
    assert DISCLOSURE_SECTION.split("\n", 2)[2] in template  # the two boxes, exactly as the message shows them
    table = parse_signal_table(ai_signals_text())
    untouched = detect(table, PullRequest(1, Actor("jane"), body=template), [])
    assert provenance_gate(untouched, DISCLOSE, None).conclusion is Conclusion.FAILURE
    line = ticked.split(":", maxsplit=1)[0].replace("[x]", "[ ]")
    body = "\n".join(ticked if row.startswith(line) else row for row in template.split("\n"))
    found = detect(table, PullRequest(1, Actor("jane"), body=body), [])
    assert found.verdict == verdict
    if verdict == "ai":
        assert found.tools == ("claude",)
    assert provenance_gate(found, DISCLOSE, PROMPT if verdict == "ai" else None).conclusion is Conclusion.SUCCESS


REFUSED = (
    PolicyIssue(
        ".github/prompt-to-pr.yml",
        1,
        7,
        "mode: report is less strict than the org's enforce; the org's floor keeps enforce",
    ),
)


def test_the_floor_gate_names_each_refused_relaxation() -> None:
    result = floor_gate(REFUSED)
    assert (result.gate, result.conclusion) == (Gate.POLICY, Conclusion.NEUTRAL)
    assert result.title == "The org's floor keeps 1 value this repository's policy relaxes"
    assert ".github/prompt-to-pr.yml:1:7: mode: report is less strict" in result.summary


def test_an_edited_policy_also_says_what_the_floor_keeps() -> None:
    assert ".github/prompt-to-pr.yml:1:7" in policy_edit_gate((), REFUSED).summary
    assert "floor" not in policy_edit_gate(()).summary
