"""Which facts a policy needs beyond the head: the rules a change touches, then the team memberships that
can matter. The shell asks GitHub for exactly these, so a missing need is a wrong decision and an extra one is
a wasted API call."""

from __future__ import annotations

import pytest

from ghapp.core.detection.detect import parse_signal_table
from ghapp.core.facts import Actor, ChangedFile, Commit, Facts, Override, Person, PullRequest, Review, ReviewState
from ghapp.core.gates.approvals import ApprovalRule
from ghapp.core.needs import Needs, approved_commits, deciders, needs, team_asks
from ghapp.core.policy.load import Policy
from ghapp.core.policy.model import OverrideSettings
from ghapp.resources import ai_signals_text

HEAD = "h" * 40
OLD, OLDER = "1" * 40, "2" * 40
SIGNALS = parse_signal_table(ai_signals_text())
AUTH = ApprovalRule("auth", ("auth/",), teams=("Acme/Security",), all_of=("acme/leads",))
BILLING = ApprovalRule("billing", ("billing/",), codeowners=True, applies_to="all")
DOCS = ApprovalRule("docs", ("docs/",), users=("carol",), applies_to="all")
CLAUDE = Commit(
    sha="c" * 40,
    message="Add login\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
    author=Person("Dev", "dev@example.com"),
)
CODEOWNERS = "* @acme/everyone\nbilling/ @acme/payments @dave\nbilling/legacy/ @acme/legacy\n"


def head(*paths: str, commits: tuple[Commit, ...] = (), overrides: tuple[Override, ...] = ()) -> Facts:
    return Facts(
        pull_request=PullRequest(number=7, author=Actor("dev"), head_sha=HEAD),
        commits=commits,
        files=tuple(ChangedFile(path) for path in paths),
        overrides=overrides,
    )


def review(login: str, state: ReviewState = "APPROVED", commit: str | None = HEAD) -> Review:
    return Review(reviewer=Actor(login), state=state, commit_id=commit)


def override(login: str) -> Override:
    return Override("lint", "false positive", Actor(login), HEAD)


@pytest.mark.parametrize(
    ("policy", "facts", "rules", "matched"),
    [
        (Policy(approvals=(AUTH, BILLING)), head("README.md"), (), {}),  # touches no sensitive path
        (Policy(approvals=(AUTH, BILLING)), head("billing/pay.py"), (BILLING,), {"billing": ("billing/pay.py",)}),
        # an AI-only rule applies when the commits say an AI tool wrote them (the policy's own signal table)
        (
            Policy(approvals=(AUTH,), signals=SIGNALS),
            head("auth/login.py", commits=(CLAUDE,)),
            (AUTH,),
            {"auth": ("auth/login.py",)},
        ),
        (Policy(approvals=(AUTH,), signals=SIGNALS), head("auth/login.py"), (), {}),  # a human change
        (Policy(approvals=(AUTH,)), head("auth/login.py", commits=(CLAUDE,)), (), {}),  # no table: nothing is AI
        (
            Policy(approvals=(DOCS, BILLING)),
            head("billing/a.py", "docs/b.md"),
            (DOCS, BILLING),
            {"docs": ("docs/b.md",), "billing": ("billing/a.py",)},
        ),
    ],
)
def test_the_first_round_names_the_rules_a_change_touches(
    policy: Policy,
    facts: Facts,
    rules: tuple[ApprovalRule, ...],
    matched: dict[str, tuple[str, ...]],
) -> None:
    found = needs(policy, facts)
    assert (found.rules, dict(found.matched)) == (rules, matched)
    assert found.reviews is bool(rules) and found.anything is bool(rules)
    assert found.codeowners is any(rule.codeowners for rule in rules)


def test_override_comments_alone_need_more_than_the_head() -> None:
    found = needs(Policy(approvals=(BILLING,)), head("README.md", overrides=(override("erin"),)))
    assert found == Needs(overrides=True)
    assert found.anything and not found.reviews and not found.codeowners


def test_team_memberships_are_asked_only_for_the_people_who_decide() -> None:
    found = needs(Policy(approvals=(AUTH,), signals=SIGNALS), head("auth/login.py", commits=(CLAUDE,)))
    reviews = [
        review("alice"),
        review("bob", "CHANGES_REQUESTED"),
        review("carol", "COMMENTED"),
        review("dan"),
        review("dan", "DISMISSED"),
    ]
    asks = team_asks(Policy(approvals=(AUTH,)), found, reviews, None, ())
    assert asks == {"acme/security": frozenset({"alice", "bob"}), "acme/leads": frozenset({"alice", "bob"})}


def test_code_owner_teams_count_only_for_the_files_their_category_matched() -> None:
    policy = Policy(approvals=(BILLING, DOCS))
    found = needs(policy, head("billing/pay.py", "docs/x.md", "app.py"))
    asks = team_asks(policy, found, [review("alice")], CODEOWNERS, ())
    # @dave is a user (no membership to ask); billing/legacy/ owns no changed file; `*` owns docs/x.md,
    # which no CODEOWNERS-based category matched
    assert asks == {"acme/payments": frozenset({"alice"})}


def test_without_a_codeowners_file_no_owner_team_is_asked() -> None:
    policy = Policy(approvals=(BILLING,))
    assert team_asks(policy, needs(policy, head("billing/pay.py")), [review("alice")], None, ()) == {}


@pytest.mark.parametrize(
    ("team", "expected"),
    [
        ("acme/leads", {"acme/leads": frozenset({"erin", "frank"})}),
        (None, {}),  # nobody may override: no membership can matter
    ],
)
def test_override_authors_are_asked_about_the_override_team(
    team: str | None,
    expected: dict[str, frozenset[str]],
) -> None:
    policy = Policy(overrides=OverrideSettings(team=team))
    comments = (override("erin"), override("frank"))
    found = needs(policy, head("README.md", overrides=comments))
    assert team_asks(policy, found, [], None, comments) == expected


def test_override_authors_join_the_approvers_of_the_same_team() -> None:
    rule = ApprovalRule("docs", ("docs/",), teams=("acme/leads",), applies_to="all")
    policy = Policy(approvals=(rule,), overrides=OverrideSettings(team="acme/leads"))
    comments = (override("erin"),)
    found = needs(policy, head("docs/x.md", overrides=comments))
    assert team_asks(policy, found, [review("alice")], None, comments) == {"acme/leads": frozenset({"alice", "erin"})}


def test_deciders_follow_each_reviewers_latest_decisive_review() -> None:
    reviews = [
        review("a", "CHANGES_REQUESTED"),
        review("a", "COMMENTED"),
        review("b"),
        review("b", "DISMISSED"),
        review("c", "DISMISSED"),
        review("c", "APPROVED"),
        review("d", "COMMENTED"),
    ]
    assert deciders(reviews) == {"a", "c"}


def test_approved_older_commits_are_the_ones_to_compare() -> None:
    reviews = [
        review("a", commit=OLD),
        review("b", commit=OLD),
        review("c", commit=HEAD),
        review("d", commit=None),
        review("e", "CHANGES_REQUESTED", commit=OLDER),
        review("f", commit=OLDER),
    ]
    assert approved_commits(reviews, HEAD) == [OLD, OLDER]
    assert approved_commits([], HEAD) == []
