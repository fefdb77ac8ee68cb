"""evaluate(policy, facts) end to end, on facts built here and the bundled default policy and signal table."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ghapp.core.decisions import Conclusion, Finding, Gate, ToolReport, Verdict
from ghapp.core.detection.detect import parse_signal_table
from ghapp.core.evaluate import evaluate, evaluate_policy_error, gates_to_run
from ghapp.core.facts import Actor, ChangedFile, Commit, Facts, Override, Person, PullRequest, Review
from ghapp.core.policy.load import Policy, PolicyIssue, load_policy
from tests.paths import ROOT

SIGNALS = parse_signal_table((ROOT / "policies" / "ai-signals.yml").read_text(encoding="utf-8"))
DEFAULT = (ROOT / "policies" / "default.yml").read_text(encoding="utf-8")
HEAD = "h" * 40
FOOTER = (
    "\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
    "Co-Authored-By: Claude <noreply@anthropic.com>\n"
)
ALICE = Person("Alice", "alice@example.com", "alice")


def _policy(extra: str = "") -> Policy:
    result = load_policy([("default.yml", DEFAULT), ("repo.yml", extra)], signals=SIGNALS)
    assert result.policy is not None, [str(i) for i in result.issues]
    return result.policy


def _facts(
    *,
    ai: bool = True,
    body: str = "Adds login.",
    findings: tuple[Finding, ...] = (),
    reviews: tuple[Review, ...] = (),
    overrides: tuple[Override, ...] = (),
    **kw: object,
) -> Facts:
    pr = PullRequest(7, Actor("alice"), title="Add login", body=body, head_ref="feature/login", head_sha=HEAD)
    message = "Add login" + (FOOTER if ai else "\n")
    reports = tuple(
        ToolReport(gate, tool, findings=findings if gate is Gate.LINT else ())
        for gate, tool in (
            (Gate.LINT, "ruff"),
            (Gate.TYPES, "mypy"),
            (Gate.SEMGREP, "semgrep"),
            (Gate.DEPENDENCY_AUDIT, "pip-audit"),
        )
    )
    base = Facts(
        pull_request=pr,
        commits=(Commit("a" * 40, message, ALICE, ALICE),),
        files=(
            ChangedFile("src/auth/login.py", added_lines=frozenset({1, 2, 3})),
            ChangedFile("README.md", added_lines=frozenset({1})),
        ),
        reviews=reviews,
        codeowners="/src/auth/ @bob @acme/security\n",
        team_members={"acme/security": frozenset({"carol"}), "acme/leads": frozenset({"lead"})},
        tool_reports=reports,
        overrides=overrides,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def _conclusions(policy: Policy, facts: Facts) -> dict[str, str]:
    return {g.gate.value: g.conclusion.value for g in evaluate(policy, facts).gates}


UNUSED = Finding("src/auth/login.py", 2, "F401", "`os` imported but unused")
APPROVED = Review(Actor("bob"), "APPROVED", HEAD)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(
            _facts(findings=(UNUSED,)),
            {
                "provenance": "failure",
                "lint": "failure",
                "types": "success",
                "semgrep": "success",
                "dependency-audit": "success",
                "approvals": "action_required",
            },
            id="ai-pr-with-everything-missing",
        ),
        pytest.param(
            _facts(body="## Prompt\nAdd a login form.", reviews=(APPROVED,)),
            {
                "provenance": "success",
                "lint": "success",
                "types": "success",
                "semgrep": "success",
                "dependency-audit": "success",
                "approvals": "success",
            },
            id="ai-pr-done-right",
        ),
        pytest.param(
            _facts(ai=False, findings=(UNUSED,)),
            {
                "provenance": "success",
                "lint": "skipped",
                "types": "skipped",
                "semgrep": "success",
                "dependency-audit": "success",
                "approvals": "action_required",
            },
            id="human-pr-on-auth-needs-the-owners",
        ),
        pytest.param(
            _facts(ai=False, findings=(UNUSED,), reviews=(APPROVED,)),
            {
                "provenance": "success",
                "lint": "skipped",
                "types": "skipped",
                "semgrep": "success",
                "dependency-audit": "success",
                "approvals": "success",
            },
            id="human-pr-approved",
        ),
        pytest.param(
            _facts(ai=False, files=(ChangedFile("README.md", added_lines=frozenset({1})),)),
            {
                "provenance": "success",
                "lint": "skipped",
                "types": "skipped",
                "semgrep": "success",
                "dependency-audit": "success",
                "approvals": "success",
            },
            id="human-pr-off-sensitive-paths",
        ),
        pytest.param(
            _facts(
                body="## Prompt\nx",
                reviews=(Review(Actor("bob"), "APPROVED", "old"),),
                changed_since={"old": frozenset({"src/auth/login.py"})},
            ),
            {
                "provenance": "success",
                "lint": "success",
                "types": "success",
                "semgrep": "success",
                "dependency-audit": "success",
                "approvals": "action_required",
            },
            id="stale-approval",
        ),
        pytest.param(
            _facts(body="## Prompt\nx", reviews=(APPROVED,), files_truncated=True),
            {
                "provenance": "success",
                "lint": "failure",
                "types": "failure",
                "semgrep": "failure",
                "dependency-audit": "failure",
                "approvals": "failure",
            },
            id="file-list-cut-short-fails-closed",
        ),
        pytest.param(
            _facts(body="## Prompt\nx", reviews=(APPROVED,), tool_reports=()),
            {
                "provenance": "success",
                "lint": "failure",
                "types": "failure",
                "semgrep": "failure",
                "dependency-audit": "failure",
                "approvals": "success",
            },
            id="tools-did-not-report",
        ),
    ],
)
def test_evaluate_end_to_end(facts: Facts, expected: dict[str, str]) -> None:
    assert _conclusions(_policy(), facts) == expected


def test_the_decision_carries_the_verdict_and_the_approval_state() -> None:
    decision = evaluate(_policy(), _facts())
    assert decision.head_sha == HEAD and decision.mode == "enforce"
    assert decision.verdict.verdict == "ai" and decision.verdict.tools == ("claude",)
    assert [r.category for r in decision.approvals] == ["auth"]
    assert decision.approvals[0].request_users == ("bob",)
    assert not decision.passed
    assert [g.gate for g in decision.gates] == [
        Gate.PROVENANCE,
        Gate.LINT,
        Gate.TYPES,
        Gate.SEMGREP,
        Gate.DEPENDENCY_AUDIT,
        Gate.APPROVALS,
    ]


def test_the_decision_is_json_serialisable() -> None:
    decision = evaluate(_policy(), _facts(findings=(UNUSED,)))
    data = json.loads(json.dumps(decision.to_json()))
    assert data["verdict"]["verdict"] == "ai"
    assert data["gates"][1]["gate"] == "lint" and data["gates"][1]["annotations"][0]["rule"] == "F401"


def test_report_mode_blocks_nothing_and_records_what_enforce_would_do() -> None:
    decision = evaluate(_policy("mode: report\n"), _facts(findings=(UNUSED,)))
    assert decision.mode == "report" and decision.passed
    assert {g.conclusion for g in decision.gates} == {Conclusion.NEUTRAL}
    would = {g.gate.value: g.would_conclude.value for g in decision.gates if g.would_conclude}
    assert would == {
        "provenance": "failure",
        "lint": "failure",
        "types": "success",
        "semgrep": "success",
        "dependency-audit": "success",
        "approvals": "action_required",
    }


def test_a_gate_can_be_rolled_out_in_report_mode_alone() -> None:
    decision = evaluate(_policy("gates:\n  lint:\n    mode: report\n"), _facts(findings=(UNUSED,)))
    lint = decision.gate(Gate.LINT)
    assert lint is not None and lint.conclusion is Conclusion.NEUTRAL and lint.would_conclude is Conclusion.FAILURE
    provenance = decision.gate(Gate.PROVENANCE)
    assert provenance is not None and provenance.conclusion is Conclusion.FAILURE


def test_an_override_by_the_override_team_passes_the_gate_on_this_head_only() -> None:
    policy = _policy("overrides:\n  team: '@acme/leads'\n")
    now = Override("lint", "vendored file", Actor("lead"), HEAD)
    before = Override("provenance", "ok", Actor("lead"), "0" * 40)
    conclusions = _conclusions(policy, _facts(findings=(UNUSED,), overrides=(now, before)))
    assert conclusions["lint"] == "success"
    assert conclusions["provenance"] == "failure"
    by_author = Override("lint", "mine", Actor("alice"), HEAD)
    assert _conclusions(policy, _facts(findings=(UNUSED,), overrides=(by_author,)))["lint"] == "failure"


def test_a_lead_who_pushed_to_the_pr_cannot_override_its_checks() -> None:
    policy = _policy("overrides:\n  team: '@acme/leads'\n")
    lead = Override("lint", "vendored file", Actor("lead"), HEAD)
    facts = _facts(findings=(UNUSED,), overrides=(lead,), pushers=(Actor("lead"),))
    assert _conclusions(policy, facts)["lint"] == "failure"
    assert _conclusions(policy, replace(facts, pushers=()))["lint"] == "success"


def test_an_ai_identity_cannot_approve() -> None:
    policy = _policy("approvals:\n  auth:\n    owners: ['@openhands-agent', '@bob']\n    codeowners: false\n")
    agent = Review(Actor("openhands-agent"), "APPROVED", HEAD)  # a user account the signal table knows as AI
    result = evaluate(policy, _facts(reviews=(agent,))).approvals[0]
    assert (result.satisfied, result.ignored) == (False, ("@openhands-agent: is an AI identity",))
    assert evaluate(policy, _facts(reviews=(APPROVED,))).approvals[0].satisfied


def test_the_edited_policy_is_reported_in_a_policy_gate() -> None:
    issues = (PolicyIssue(".github/prompt-to-pr.yml", 2, 1, "unknown key 'x'"),)
    decision = evaluate(_policy(), _facts(ai=False), policy_edit=issues)
    gate = decision.gate(Gate.POLICY)
    assert gate is not None and gate.conclusion is Conclusion.FAILURE
    ok = evaluate(_policy(), _facts(ai=False), policy_edit=()).gate(Gate.POLICY)
    assert ok is not None and ok.conclusion is Conclusion.SUCCESS
    assert evaluate(_policy(), _facts(ai=False)).gate(Gate.POLICY) is None


def test_without_a_signal_table_nothing_is_ai() -> None:
    decision = evaluate(Policy(), _facts())
    assert decision.verdict == Verdict("human")


def test_require_disclosure_fails_an_undisclosed_human_pr_but_not_a_dependency_bot() -> None:
    policy = _policy("ai:\n  require_disclosure: true\n")
    assert policy.ai.require_disclosure and not _policy().ai.require_disclosure
    assert _conclusions(policy, _facts(ai=False))["provenance"] == "failure"
    attested = _facts(
        ai=False, body="Adds login.\n\n## AI disclosure\n\n- [x] No AI tools were used for this pull request."
    )
    assert _conclusions(policy, attested)["provenance"] == "success"
    bump = replace(
        _facts(ai=False), pull_request=PullRequest(8, Actor("dependabot[bot]", "Bot"), title="Bump x", head_sha=HEAD)
    )
    assert _conclusions(policy, bump)["provenance"] == "success"
    push = Facts(commits=(Commit("b" * 40, "x", ALICE, ALICE),))
    assert _conclusions(policy, push)["provenance"] == "success"


def test_facts_without_a_pull_request_still_decide() -> None:
    decision = evaluate(_policy(), Facts(commits=(Commit("b" * 40, "x" + FOOTER, ALICE, ALICE),)))
    assert decision.head_sha == "" and decision.verdict.verdict == "ai"


@pytest.mark.parametrize(
    ("extra", "verdict", "gates"),
    [
        ("", Verdict("ai"), [Gate.LINT, Gate.TYPES, Gate.SEMGREP, Gate.DEPENDENCY_AUDIT]),
        ("", Verdict("human"), [Gate.SEMGREP, Gate.DEPENDENCY_AUDIT]),  # the security scans judge every PR
        (
            "gates:\n  semgrep:\n    applies_to: ai\n  lint:\n    applies_to: all\n    enabled: false\n",
            Verdict("human"),
            [Gate.DEPENDENCY_AUDIT],
        ),
        ("gates:\n  lint:\n    applies_to: all\n", Verdict("human"), [Gate.LINT, Gate.SEMGREP, Gate.DEPENDENCY_AUDIT]),
        ("gates:\n  lint:\n    enabled: false\n", Verdict("ai"), [Gate.TYPES, Gate.SEMGREP, Gate.DEPENDENCY_AUDIT]),
    ],
)
def test_gates_to_run(extra: str, verdict: Verdict, gates: list[Gate]) -> None:
    assert [s.gate for s in gates_to_run(_policy(extra), verdict)] == gates


def test_an_unreadable_policy_still_gives_every_gate_an_outcome() -> None:
    issues = (PolicyIssue(".github/prompt-to-pr.yml", 4, 3, "unknown key 'colour'"),)
    decision = evaluate_policy_error(issues, HEAD)
    assert decision.head_sha == HEAD and decision.verdict.verdict == "unknown" and not decision.passed
    assert [g.gate for g in decision.gates] == [
        Gate.POLICY,
        Gate.PROVENANCE,
        Gate.LINT,
        Gate.TYPES,
        Gate.SEMGREP,
        Gate.DEPENDENCY_AUDIT,
        Gate.APPROVALS,
    ]
    assert {g.conclusion for g in decision.gates} == {Conclusion.FAILURE}
    assert ".github/prompt-to-pr.yml:4:3: unknown key 'colour'" in decision.gates[0].summary
    assert decision.gates[1].title == "Not judged: the policy file is invalid (see the policy check)"
    json.dumps(decision.to_json())


def test_who_took_part_cannot_approve_and_ai_co_authors_are_not_listed_as_people() -> None:
    message = (
        "Add login\n\nCo-authored-by: Claude <noreply@anthropic.com>\nCo-authored-by: Bob <9+bob@users.noreply."
        "github.com>\nCo-authored-by: Zed <zed@corp.example>\nCo-authored-by: Nameless\n"
    )
    facts = _facts(body="## Prompt\nx", reviews=(APPROVED,), commits=(Commit("a" * 40, message, ALICE, ALICE),))
    (auth,) = evaluate(_policy(), facts).approvals
    assert not auth.satisfied
    assert auth.ignored == ("@bob: is named in a Co-authored-by trailer of a commit",)
    assert [line.split(":")[0] for line in auth.excluded] == [
        "@bob",
        "co-author Zed &lt;zed@\u2060corp.example&gt;",
        "co-author Nameless",
    ]


def test_a_relaxation_the_org_floor_refused_is_said_in_the_policy_check() -> None:
    layers = [("default.yml", DEFAULT), ("org.yml", "floor: [mode]\n"), ("repo.yml", "mode: report\n")]
    result = load_policy(layers, signals=SIGNALS, org_layers=2)
    assert result.policy is not None and result.policy.mode == "enforce"
    decision = evaluate(result.policy, _facts(findings=(UNUSED,)))
    policy = decision.gate(Gate.POLICY)
    assert policy is not None and policy.conclusion is Conclusion.NEUTRAL
    assert "repo.yml:1:7: mode: report is less strict than the org's enforce" in policy.summary
    lint = decision.gate(Gate.LINT)
    assert lint is not None and lint.conclusion is Conclusion.FAILURE  # judged as the org's enforce says
    edit = evaluate(result.policy, _facts(), policy_edit=()).gate(Gate.POLICY)
    assert edit is not None and edit.conclusion is Conclusion.SUCCESS and "repo.yml:1:7" in edit.summary


def test_branch_scoped_gates_and_categories_skip_other_bases() -> None:
    policy = _policy(
        "gates:\n  semgrep:\n    branches: [main, 'release/*']\napprovals:\n  auth:\n    branches: [main]\n"
    )
    into = {
        base: replace(_facts(ai=False), pull_request=PullRequest(7, Actor("alice"), head_sha=HEAD, base_ref=base))
        for base in ("main", "dev")
    }
    on_main, on_dev = evaluate(policy, into["main"]), evaluate(policy, into["dev"])
    assert on_main.gate(Gate.SEMGREP).conclusion is Conclusion.SUCCESS  # type: ignore[union-attr]
    assert on_main.gate(Gate.APPROVALS).conclusion is Conclusion.ACTION_REQUIRED  # type: ignore[union-attr]
    assert on_dev.gate(Gate.SEMGREP).conclusion is Conclusion.SKIPPED  # type: ignore[union-attr]
    assert on_dev.gate(Gate.APPROVALS).conclusion is Conclusion.SUCCESS  # type: ignore[union-attr]
    assert [s.gate for s in gates_to_run(policy, Verdict("human"), "dev")] == [Gate.DEPENDENCY_AUDIT]
    assert [s.gate for s in gates_to_run(policy, Verdict("human"), "release/3")] == [
        Gate.SEMGREP,
        Gate.DEPENDENCY_AUDIT,
    ]
