"""Approvals per sensitive category: who counts, what is stale, what is still missing and whom to ask."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from ghapp.core.codeowners.patterns import PatternError
from ghapp.core.decisions import CategoryResult
from ghapp.core.facts import (
    Actor,
    ActorType,
    Assignment,
    ChangedFile,
    Commit,
    Facts,
    Person,
    PullRequest,
    Review,
    ReviewState,
)
from ghapp.core.gates.approvals import ApprovalRule, evaluate_approvals, files_since

HEAD = "h" * 40
OLD = "0" * 40
AUTH = ApprovalRule(category="auth", patterns=("auth/",), users=("alice", "bob"))
AI_BOTS = frozenset({"devin-ai-integration", "cursor-agent"})


def review(login: str, state: ReviewState = "APPROVED", commit: str | None = HEAD, kind: ActorType = "User") -> Review:
    return Review(reviewer=Actor(login, kind), state=state, commit_id=commit)


def make_facts(
    reviews: tuple[Review, ...] = (),
    files: tuple[ChangedFile, ...] = (ChangedFile("auth/login.py"),),
    commits: tuple[Commit, ...] = (),
    team_members: Mapping[str, frozenset[str]] | None = None,
    codeowners: str | None = None,
    changed_since: Mapping[str, frozenset[str]] | None = None,
    author: str | None = "author",
    assignments: tuple[Assignment, ...] = (),
    pushers: tuple[str, ...] = (),
) -> Facts:
    pr = PullRequest(number=7, author=Actor(author), head_sha=HEAD) if author is not None else None
    return Facts(
        pull_request=pr,
        commits=commits,
        files=files,
        reviews=reviews,
        team_members=team_members or {},
        codeowners=codeowners,
        changed_since=changed_since or {},
        assignments=assignments,
        pushers=tuple(Actor(login) for login in pushers),
    )


def evaluate(rule: ApprovalRule, facts: Facts, is_ai: bool = True) -> tuple[CategoryResult, ...]:
    return evaluate_approvals([rule], facts, is_ai=is_ai, is_ai_actor=lambda actor: actor.login.lower() in AI_BOTS)


def rule(**changes: Any) -> ApprovalRule:
    return ApprovalRule(**{**AUTH.__dict__, **changes})


def commit(author: str | None = None, committer: str | None = None, message: str = "") -> Commit:
    return Commit(sha="c" * 40, message=message, author=Person(login=author), committer=Person(login=committer))


def co_authored(*people: str) -> Commit:
    """A commit by `author` whose message names `people` ("Name <email>") as co-authors."""
    trailers = "".join(f"\nCo-authored-by: {person}" for person in people)
    return Commit(
        sha="d" * 40,
        message=f"Change\n{trailers}",
        author=Person("A", "a@example.com", "author"),
        committer=Person("A", "a@example.com", "author"),
    )


COPILOT = Actor("Copilot", "Bot")


CASES: list[tuple[str, ApprovalRule, Facts, dict[str, Any]]] = [
    # --- counting and the latest review per reviewer
    (
        "one approval at head",
        AUTH,
        make_facts((review("alice"),)),
        {"satisfied": True, "approved_by": ("alice",), "missing": (), "request_users": (), "request_teams": ()},
    ),
    (
        "no reviews",
        AUTH,
        make_facts(),
        {"satisfied": False, "missing": ("1 more approval from @alice, @bob",), "request_users": ("alice", "bob")},
    ),
    (
        "two needed, one given",
        rule(count=2),
        make_facts((review("bob"),)),
        {
            "satisfied": False,
            "approved_by": ("bob",),
            "missing": ("1 more approval from @alice",),
            "request_users": ("alice",),
        },
    ),
    ("two needed, none given", rule(count=2), make_facts(), {"missing": ("2 more approvals from @alice, @bob",)}),
    (
        "two needed, two given",
        rule(count=2),
        make_facts((review("bob"), review("alice"))),
        {"satisfied": True, "approved_by": ("alice", "bob")},
    ),
    (
        "one reviewer approving twice counts once",
        rule(count=2),
        make_facts((review("bob"), review("bob"))),
        {"satisfied": False, "approved_by": ("bob",)},
    ),
    (
        "a later comment keeps the approval",
        AUTH,
        make_facts((review("alice"), review("alice", "COMMENTED"))),
        {"satisfied": True, "approved_by": ("alice",)},
    ),
    (
        "a pending review is not decisive",
        AUTH,
        make_facts((review("alice"), review("alice", "PENDING"))),
        {"satisfied": True},
    ),
    (
        "changes requested after the approval",
        AUTH,
        make_facts((review("alice"), review("alice", "CHANGES_REQUESTED"))),
        {"satisfied": False, "approved_by": ()},
    ),
    (
        "approval dismissed",
        AUTH,
        make_facts((review("alice"), review("alice", "DISMISSED"))),
        {"satisfied": False, "approved_by": ()},
    ),
    (
        "approval after changes requested",
        AUTH,
        make_facts((review("alice", "CHANGES_REQUESTED"), review("alice"))),
        {"satisfied": True},
    ),
    (
        "logins compare case-insensitively",
        AUTH,
        make_facts((review("ALICE"),)),
        {"satisfied": True, "approved_by": ("ALICE",)},
    ),
    ("count 0 needs nobody", rule(count=0, users=()), make_facts(), {"satisfied": True, "missing": ()}),
    (
        "an approver outside the rule is not counted nor listed",
        AUTH,
        make_facts((review("mallory"),)),
        {"satisfied": False, "approved_by": (), "ignored": ()},
    ),
    (
        "nobody eligible",
        rule(users=()),
        make_facts(),
        {"satisfied": False, "missing": ("1 more approval, but nobody is eligible: name users or teams for auth",)},
    ),
    # --- who can never count
    (
        "the author",
        rule(users=("author", "alice")),
        make_facts((review("author"),)),
        {"satisfied": False, "ignored": ("@author: is the author of the pull request",), "request_users": ("alice",)},
    ),
    (
        "the author when allowed",
        rule(users=("author", "alice"), allow_author=True),
        make_facts((review("author"),)),
        {"satisfied": True, "approved_by": ("author",)},
    ),
    (
        "the author is never asked",
        rule(users=("author", "alice"), allow_author=True, count=2),
        make_facts((review("author"),)),
        {"satisfied": False, "request_users": ("alice",), "missing": ("1 more approval from @alice",)},
    ),
    (
        "a commit author",
        AUTH,
        make_facts((review("alice"),), commits=(commit(author="alice"),)),
        {
            "satisfied": False,
            "ignored": ("@alice: authored or committed a commit of the pull request",),
            "request_users": ("bob",),
        },
    ),
    ("a committer", AUTH, make_facts((review("alice"),), commits=(commit(committer="alice"),)), {"satisfied": False}),
    (
        "a commit author when allowed",
        rule(allow_commit_authors=True),
        make_facts((review("alice"),), commits=(commit(author="alice"),)),
        {"satisfied": True},
    ),
    (
        "the allowed author who also committed",
        rule(users=("author",), allow_author=True),
        make_facts((review("author"),), commits=(commit(author="author", committer="author"),)),
        {"satisfied": True},
    ),
    (
        "a bot account",
        rule(users=("helper",)),
        make_facts((review("helper", kind="Bot"),)),
        {"satisfied": False, "ignored": ("@helper: is a bot",)},
    ),
    (
        "a [bot] login",
        rule(users=("renovate[bot]", "alice")),
        make_facts((review("renovate[bot]"),)),
        {"satisfied": False, "ignored": ("@renovate[bot]: is a bot",), "request_users": ("alice",)},
    ),
    (
        "a bot when allowed",
        rule(users=("renovate[bot]",), allow_bots=True),
        make_facts((review("renovate[bot]"),)),
        {"satisfied": True},
    ),
    (
        "an AI identity",
        rule(users=("cursor-agent", "alice")),
        make_facts((review("cursor-agent"),)),
        {"satisfied": False, "ignored": ("@cursor-agent: is an AI identity",), "request_users": ("alice",)},
    ),
    (
        "an AI identity when allowed",
        rule(users=("cursor-agent",), allow_bots=True),
        make_facts((review("cursor-agent"),)),
        {"satisfied": True},
    ),
    # --- separation of duties: whoever took part in the change
    (
        "a co-author by no-reply address",
        AUTH,
        make_facts((review("alice"),), commits=(co_authored("Alice <12345+alice@users.noreply.github.com>"),)),
        {
            "satisfied": False,
            "ignored": ("@alice: is named in a Co-authored-by trailer of a commit",),
            "request_users": ("bob",),
            "excluded": ("@alice: is named in a Co-authored-by trailer of a commit",),
        },
    ),
    (
        "a co-author by the old no-reply address",
        AUTH,
        make_facts((review("alice"),), commits=(co_authored("Alice <Alice@users.noreply.github.com>"),)),
        {"satisfied": False},
    ),
    (
        "a co-author when allowed",
        rule(allow_co_authors=True),
        make_facts((review("alice"),), commits=(co_authored("Alice <12345+alice@users.noreply.github.com>"),)),
        {"satisfied": True, "excluded": ()},
    ),
    (
        "a co-author by an address another commit resolved",
        AUTH,
        make_facts(
            (review("alice"),),
            commits=(
                co_authored("Al <al@corp.example>"),
                Commit("e" * 40, "x", Person("Al", "AL@corp.example", "alice"), Person("GitHub", "noreply@github.com")),
            ),
        ),
        {
            "satisfied": False,
            "ignored": (
                "@alice: authored or committed a commit of the pull request; is named in a Co-authored-by trailer "
                "of a commit",
            ),
        },
    ),
    (
        "an unresolvable co-author is said",
        AUTH,
        make_facts((review("alice"),), commits=(co_authored("Zed <zed@corp.example>", "Nameless"),)),
        {
            "satisfied": True,
            "excluded": (
                "co-author Zed &lt;zed@\u2060corp.example&gt;: the address names no GitHub account the App can "
                "tell, so it cannot exclude them",
                "co-author Nameless: the address names no GitHub account the App can tell, so it cannot exclude them",
            ),
        },
    ),
    (
        "an agent's launcher",
        AUTH,
        make_facts((review("alice"),), assignments=(Assignment(COPILOT, Actor("alice")),)),
        {
            "satisfied": False,
            "ignored": ("@alice: assigned the pull request to an agent",),
            "excluded": ("@alice: assigned the pull request to an agent",),
        },
    ),
    (
        "assigning a person launches nothing",
        AUTH,
        make_facts((review("alice"),), assignments=(Assignment(Actor("bob"), Actor("alice")),)),
        {"satisfied": True, "excluded": ()},
    ),
    (
        "an AI identity assigned by alice",
        AUTH,
        make_facts((review("alice"),), assignments=(Assignment(Actor("cursor-agent"), Actor("alice")),)),
        {"satisfied": False},
    ),
    (
        "a launcher when allowed",
        rule(allow_launchers=True),
        make_facts((review("alice"),), assignments=(Assignment(COPILOT, Actor("alice")),)),
        {"satisfied": True},
    ),
    (
        "a pusher",
        AUTH,
        make_facts((review("bob"),), pushers=("Bob",)),
        {"satisfied": False, "ignored": ("@bob: pushed to the pull request's branch",), "request_users": ("alice",)},
    ),
    (
        "a pusher when allowed",
        rule(allow_pushers=True),
        make_facts((review("bob"),), pushers=("bob",)),
        {"satisfied": True},
    ),
    (
        "the author's own pushes come with authorship",
        rule(users=("author",), allow_author=True),
        make_facts((review("author"),), pushers=("author",), commits=(commit(author="author"),)),
        {"satisfied": True, "excluded": ()},
    ),
    ("the author goes without saying", AUTH, make_facts(pushers=("author",)), {"excluded": ()}),
    (
        "bots and agents that took part are not listed",
        AUTH,
        make_facts(author="copilot-swe-agent[bot]", pushers=("copilot-swe-agent[bot]", "cursor-agent")),
        {"excluded": ()},
    ),
    (
        "several roles, one allowed",
        rule(allow_pushers=True),
        make_facts((review("alice"),), pushers=("alice",), commits=(commit(committer="alice"),)),
        {"satisfied": False, "ignored": ("@alice: authored or committed a commit of the pull request",)},
    ),
    # --- veto: an eligible approver's change request blocks
    (
        "a change request vetoes",
        rule(veto=True),
        make_facts((review("alice"), review("bob", "CHANGES_REQUESTED"))),
        {
            "satisfied": False,
            "approved_by": ("alice",),
            "vetoed_by": ("bob",),
            "missing": ("@bob requested changes: this category waits until @bob approves or the review is dismissed",),
        },
    ),
    (
        "without veto a change request is outvoted",
        AUTH,
        make_facts((review("alice"), review("bob", "CHANGES_REQUESTED"))),
        {"satisfied": True, "vetoed_by": ()},
    ),
    (
        "the vetoer approves later",
        rule(veto=True),
        make_facts((review("bob", "CHANGES_REQUESTED"), review("alice"), review("bob"))),
        {"satisfied": True, "approved_by": ("alice", "bob")},
    ),
    (
        "the change request is dismissed",
        rule(veto=True),
        make_facts((review("bob", "CHANGES_REQUESTED"), review("bob", "DISMISSED"), review("alice"))),
        {"satisfied": True},
    ),
    (
        "a later comment keeps the veto",
        rule(veto=True),
        make_facts((review("bob", "CHANGES_REQUESTED"), review("bob", "COMMENTED"), review("alice"))),
        {"satisfied": False, "vetoed_by": ("bob",)},
    ),
    (
        "a change request on an older head still vetoes",
        rule(veto=True),
        make_facts((review("bob", "CHANGES_REQUESTED", commit=OLD), review("alice"))),
        {"satisfied": False},
    ),
    (
        "someone outside the category cannot veto",
        rule(veto=True),
        make_facts((review("alice"), review("mallory", "CHANGES_REQUESTED"))),
        {"satisfied": True, "vetoed_by": ()},
    ),
    (
        "a team member vetoes",
        rule(users=("alice",), teams=("org/sec",), veto=True),
        make_facts(
            (review("alice"), review("dave", "CHANGES_REQUESTED")), team_members={"org/sec": frozenset({"dave"})}
        ),
        {"satisfied": False, "vetoed_by": ("dave",)},
    ),
    (
        "a code owner vetoes",
        rule(users=("alice",), codeowners=True, veto=True),
        make_facts((review("alice"), review("carol", "CHANGES_REQUESTED")), codeowners="/auth/ @carol\n"),
        {"satisfied": False, "vetoed_by": ("carol",)},
    ),
    (
        "a forged co-author line does not silence an owner's veto",
        rule(veto=True),
        make_facts(
            (review("alice"), review("bob", "CHANGES_REQUESTED")),
            commits=(co_authored("Bob <1+bob@users.noreply.github.com>"),),
        ),
        {"satisfied": False, "vetoed_by": ("bob",)},
    ),
    (
        "a bot in the category cannot veto",
        rule(users=("alice", "helper[bot]"), veto=True),
        make_facts((review("alice"), review("helper[bot]", "CHANGES_REQUESTED"))),
        {"satisfied": True},
    ),
    # --- teams, all_of
    (
        "a team member",
        rule(users=(), teams=("Org/Security",)),
        make_facts((review("Carol"),), team_members={"org/security": frozenset({"carol"})}),
        {"satisfied": True, "approved_by": ("Carol",)},
    ),
    (
        "a team nobody from which approved",
        rule(users=(), teams=("org/security",)),
        make_facts(team_members={"org/security": frozenset({"carol"})}),
        {
            "satisfied": False,
            "missing": ("1 more approval from @org/security",),
            "request_teams": ("org/security",),
            "request_users": (),
        },
    ),
    (
        "a team whose members are unknown",
        rule(users=(), teams=("@org/security",)),
        make_facts((review("carol"),)),
        {
            "satisfied": False,
            "missing": (
                "1 more approval from @org/security",
                "the members of @org/security are unknown, so their approvals cannot be recognised",
            ),
        },
    ),
    (
        "all_of: every team approved",
        rule(users=(), all_of=("org/a", "org/b")),
        make_facts((review("x"), review("y")), team_members={"org/a": frozenset({"x"}), "org/b": frozenset({"y"})}),
        {"satisfied": True, "approved_by": ("x", "y")},
    ),
    (
        "all_of: one team missing",
        rule(users=(), all_of=("org/a", "@org/b")),
        make_facts((review("x"),), team_members={"org/a": frozenset({"x"}), "org/b": frozenset({"y"})}),
        {
            "satisfied": False,
            "missing": ("an approval from a member of @org/b",),
            "request_teams": ("org/b",),
            "request_users": (),
        },
    ),
    (
        "all_of on top of a count",
        rule(count=2, all_of=("org/a",)),
        make_facts((review("alice"), review("bob")), team_members={"org/a": frozenset({"x"})}),
        {"satisfied": False, "approved_by": ("alice", "bob"), "missing": ("an approval from a member of @org/a",)},
    ),
    # --- CODEOWNERS
    (
        "a code owner",
        rule(users=(), codeowners=True),
        make_facts((review("carol"),), codeowners="* @root\n/auth/ @carol\n"),
        {"satisfied": True, "approved_by": ("carol",)},
    ),
    (
        "code owners are asked",
        rule(users=(), codeowners=True),
        make_facts(codeowners="/auth/ @carol @org/sec\n"),
        {
            "satisfied": False,
            "request_users": ("carol",),
            "request_teams": ("org/sec",),
            "missing": (
                "1 more approval from @carol, @org/sec",
                "the members of @org/sec are unknown, so their approvals cannot be recognised",
            ),
        },
    ),
    (
        "a code-owner team member",
        rule(users=(), codeowners=True),
        make_facts((review("dave"),), codeowners="/auth/ @org/sec\n", team_members={"org/sec": frozenset({"dave"})}),
        {"satisfied": True},
    ),
    (
        "an email code owner",
        rule(users=(), codeowners=True),
        make_facts(codeowners="/auth/ sec@example.com\n"),
        {
            "satisfied": False,
            "missing": (
                "1 more approval, but nobody is eligible: name users or teams for auth",
                "CODEOWNERS owner sec@example.com is an email address, which cannot be matched to a GitHub login",
            ),
        },
    ),
    (
        "no CODEOWNERS file",
        rule(users=(), codeowners=True),
        make_facts(),
        {
            "satisfied": False,
            "missing": (
                "1 more approval, but nobody is eligible: name users or teams for auth",
                "there is no CODEOWNERS file, so no code owner can approve",
            ),
        },
    ),
    (
        "codeowners off: the file is not used",
        AUTH,
        make_facts((review("carol"),), codeowners="/auth/ @carol\n"),
        {"satisfied": False, "approved_by": ()},
    ),
    (
        "an unowned file adds nobody",
        rule(codeowners=True),
        make_facts((review("carol"),), codeowners="/docs/ @carol\n"),
        {"satisfied": False, "request_users": ("alice", "bob")},
    ),
    # --- stale approvals
    (
        "approved an older head, changes unknown",
        AUTH,
        make_facts((review("alice", commit=OLD),)),
        {"satisfied": False, "stale": ("alice",), "approved_by": (), "request_users": ("alice", "bob")},
    ),
    (
        "approved an older head, category files changed",
        AUTH,
        make_facts((review("alice", commit=OLD),), changed_since={OLD: frozenset({"auth/login.py"})}),
        {"satisfied": False, "stale": ("alice",)},
    ),
    (
        "approved an older head, other files changed",
        AUTH,
        make_facts((review("alice", commit=OLD),), changed_since={OLD: frozenset({"README.md"})}),
        {"satisfied": True, "stale": ()},
    ),
    (
        "the reviewed commit is unknown",
        AUTH,
        make_facts((review("alice", commit=None),)),
        {"satisfied": False, "stale": ("alice",)},
    ),
    (
        "stale approvals allowed",
        rule(stale_on_change=False),
        make_facts((review("alice", commit=OLD),)),
        {"satisfied": True, "stale": ()},
    ),
    (
        "a vetoed stale approval is reported once, as ignored",
        AUTH,
        make_facts((review("alice", commit=OLD),), commits=(commit(author="alice"),)),
        {"stale": (), "ignored": ("@alice: authored or committed a commit of the pull request",)},
    ),
    # --- files
    (
        "a rename out of the category counts",
        AUTH,
        make_facts((review("alice"),), files=(ChangedFile("lib/login.py", "renamed", previous_path="auth/login.py"),)),
        {"files": ("auth/login.py",), "satisfied": True},
    ),
    (
        "several files, sorted",
        rule(patterns=("auth/", "*.key")),
        make_facts(files=(ChangedFile("z.key"), ChangedFile("auth/b.py"), ChangedFile("README.md"))),
        {"files": ("auth/b.py", "z.key")},
    ),
    (
        "without a pull request",
        AUTH,
        make_facts((review("alice"),), author=None),
        {"satisfied": False, "stale": ("alice",)},
    ),
]


@pytest.mark.parametrize(("name", "approval_rule", "facts", "expected"), CASES, ids=[c[0] for c in CASES])
def test_category_result(name: str, approval_rule: ApprovalRule, facts: Facts, expected: dict[str, Any]) -> None:
    (result,) = evaluate(approval_rule, facts)
    assert result.category == "auth"
    for field, value in expected.items():
        assert getattr(result, field) == value, field


@pytest.mark.parametrize(
    ("approval_rule", "files", "is_ai", "applies"),
    [
        (AUTH, (ChangedFile("auth/x.py"),), True, True),
        (AUTH, (ChangedFile("auth/x.py"),), False, False),  # an "ai" category on a human PR
        (rule(applies_to="all"), (ChangedFile("auth/x.py"),), False, True),
        (AUTH, (ChangedFile("docs/auth.md"),), True, False),  # touches none of its files
        (AUTH, (), True, False),
    ],
)
def test_which_categories_apply(
    approval_rule: ApprovalRule, files: tuple[ChangedFile, ...], is_ai: bool, applies: bool
) -> None:
    assert len(evaluate(approval_rule, make_facts(files=files), is_ai=is_ai)) == int(applies)


def test_results_follow_policy_order() -> None:
    rules = [
        ApprovalRule(category="secrets", patterns=("*.pem",), users=("alice",)),
        ApprovalRule(category="docs", patterns=("docs/",), users=("alice",)),
        ApprovalRule(category="auth", patterns=("auth/",), users=("alice",), applies_to="all"),
    ]
    facts = make_facts(files=(ChangedFile("auth/a.py"), ChangedFile("keys/k.pem")))
    results = evaluate_approvals(rules, facts, is_ai=True, is_ai_actor=lambda _: False)
    assert [r.category for r in results] == ["secrets", "auth"]


def test_invalid_category_pattern_raises() -> None:
    with pytest.raises(PatternError):
        evaluate(rule(patterns=("!auth/",)), make_facts())


@pytest.mark.parametrize(
    ("status", "complete", "expected"),
    [
        ("ahead", True, frozenset({"auth/a.py"})),  # the head descends from the reviewed commit
        ("identical", True, frozenset({"auth/a.py"})),
        ("behind", True, None),  # force-pushed back to an older commit: not what was reviewed
        ("diverged", True, None),  # force-pushed onto another history
        ("", True, None),  # no status: unknown
        ("ahead", False, None),  # GitHub cut the file list: unknown
    ],
)
def test_files_since_trusts_a_compare_only_when_the_head_descends_from_the_reviewed_commit(
    status: str, complete: bool, expected: frozenset[str] | None
) -> None:
    assert files_since(status, ["auth/a.py"], complete=complete) == expected


def test_an_approval_of_a_commit_the_head_rewound_past_is_stale() -> None:
    # compare(reviewed...head) after a force-push back: status behind, no files
    changed = files_since("behind", [], complete=True)
    facts = make_facts(reviews=(review("alice", commit=OLD),), changed_since={} if changed is None else {OLD: changed})
    (result,) = evaluate(AUTH, facts)
    assert not result.satisfied and result.stale == ("alice",)


@pytest.mark.parametrize(
    ("approval_rule", "files", "base", "expected"),
    [
        (
            rule(exclude=("auth/tests/",)),
            (ChangedFile("auth/tests/t.py"), ChangedFile("auth/login.py")),
            "main",
            ("auth/login.py",),
        ),
        (rule(exclude=("auth/tests/",)), (ChangedFile("auth/tests/t.py"),), "main", None),  # all excluded
        # moving a file into an excluded directory still counts its old path
        (
            rule(exclude=("auth/tests/",)),
            (ChangedFile("auth/tests/login.py", "renamed", previous_path="auth/login.py"),),
            "main",
            ("auth/login.py",),
        ),
        (rule(exclude=("*.md",)), (ChangedFile("auth/README.md"), ChangedFile("auth/x.py")), "main", ("auth/x.py",)),
        (rule(branches=("main", "release/*")), (ChangedFile("auth/x.py"),), "release/1", ("auth/x.py",)),
        (rule(branches=("main", "release/*")), (ChangedFile("auth/x.py"),), "feature/x", None),
        (rule(branches=("main",)), (ChangedFile("auth/x.py"),), None, ("auth/x.py",)),  # unknown base: counts
    ],
)
def test_exclusions_and_branches(
    approval_rule: ApprovalRule, files: tuple[ChangedFile, ...], base: str | None, expected: tuple[str, ...] | None
) -> None:
    results = evaluate_approvals(
        [approval_rule], make_facts(files=files), is_ai=True, is_ai_actor=lambda _: False, base=base
    )
    assert (results[0].files if results else None) == expected


@pytest.mark.parametrize("path", ["auth", "src/auth"])
def test_a_submodule_at_a_protected_directory_is_a_change_to_that_directory(path: str) -> None:
    """`auth/` covers the files under auth; a submodule at `auth` replaces all of them at once."""
    (result,) = evaluate(AUTH, make_facts(files=(ChangedFile(path, submodule=True),)))
    assert result.files == (path,) and not result.satisfied


def test_a_file_named_like_a_protected_directory_is_not_one() -> None:
    """CODEOWNERS' `auth/` matches a directory only: a plain file called `auth` stays outside it."""
    assert evaluate(AUTH, make_facts(files=(ChangedFile("auth"),))) == ()


@pytest.mark.parametrize(
    ("submitted", "stale"),
    [("2026-12-07T10:00:00Z", True), ("2026-12-07T11:00:00Z", True), ("2026-12-07T11:00:01Z", False), ("", True)],
)
def test_an_approval_given_before_the_pr_moved_to_another_base_is_stale(submitted: str, stale: bool) -> None:
    """the same head against another base is another diff (a second that ties counts as before: fail closed)"""
    approval = Review(reviewer=Actor("alice"), state="APPROVED", commit_id=HEAD, submitted_at=submitted)
    facts = replace(make_facts(reviews=(approval,)), retargeted_at="2026-12-07T11:00:00Z")
    (result,) = evaluate(AUTH, facts)
    assert (result.stale, result.satisfied) == ((("alice",), False) if stale else ((), True))
    relaxed = replace(AUTH, stale_on_change=False)  # a category that keeps approvals keeps these too
    assert evaluate(relaxed, facts)[0].satisfied
