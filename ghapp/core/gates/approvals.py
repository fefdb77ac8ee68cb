"""Required approvals for sensitive categories (secrets, billing, auth, ...): who must approve the current head."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ghapp.core.codeowners.patterns import CodeOwners, PathPattern, compile_pattern, owner_kind, parse_codeowners
from ghapp.core.decisions import CategoryResult
from ghapp.core.facts import Actor, Facts, Review
from ghapp.core.gates.branches import governs
from ghapp.core.gates.participants import ROLE_KEYS, ROLE_WORDS, Participation, is_bot, participation
from ghapp.core.gates.summary import cell

_DECISIVE = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")  # a later COMMENTED leaves an approval standing
_DESCENDS = ("ahead", "identical")  # compare statuses saying the head contains the reviewed commit


@dataclass(frozen=True)
class ApprovalRule:
    """One sensitive category as the policy states it.

    `users` are logins (no `@`), `teams` are `org/team`; an approval by any of them counts toward `count`
    distinct approvers. With `codeowners`, the CODEOWNERS owners of the matched files count too.
    Each team in `all_of` must additionally approve (one member each); its members also count toward `count`.
    Nobody who took part in the change approves unless the `allow_*` key of each of their roles says so
    (see participants.py). With `veto`, a change request by an eligible approver blocks the category until
    that reviewer approves or the review is dismissed.
    """

    category: str
    patterns: tuple[str, ...]
    exclude: tuple[str, ...] = ()  # patterns of files left out of the category
    branches: tuple[str, ...] = ()  # base branches (names or fnmatch globs) it governs; () is every one
    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    codeowners: bool = False
    count: int = 1
    all_of: tuple[str, ...] = ()
    allow_author: bool = False
    allow_commit_authors: bool = False
    allow_bots: bool = False
    allow_co_authors: bool = False
    allow_launchers: bool = False
    allow_pushers: bool = False
    applies_to: Literal["ai", "all"] = "ai"
    stale_on_change: bool = True
    veto: bool = False


@dataclass(frozen=True)
class _Context:
    author: str
    head_sha: str
    participation: Participation
    members: Mapping[str, frozenset[str]]
    changed_since: Mapping[str, frozenset[str]]
    codeowners: CodeOwners | None
    is_ai_actor: Callable[[Actor], bool]
    retargeted_at: str


def evaluate_approvals(
    rules: Sequence[ApprovalRule],
    facts: Facts,
    *,
    is_ai: bool,
    is_ai_actor: Callable[[Actor], bool],
    is_ai_co_author: Callable[[str, str], bool] = lambda name, email: False,
    base: str | None = None,
) -> tuple[CategoryResult, ...]:
    """The approval state of every category that applies and touches a changed file, in policy order.

    A category applies when `applies_to == "all"` or the PR is AI-generated (`is_ai`). `is_ai_actor` tells
    whether an account is an AI identity (its approval never counts unless `allow_bots`), `is_ai_co_author`
    whether a `Co-authored-by` name and address are an AI tool's. A category whose
    patterns match no changed file is left out, and so is one whose `branches` do not cover the base branch
    `base` (None: unknown, so every category counts). A file matching an `exclude` pattern is left out of its
    category; a rename counts under both paths. Invalid patterns raise PatternError (the policy checks them).
    """
    pr = facts.pull_request
    context = _Context(
        author=pr.author.login.lower() if pr else "",
        head_sha=pr.head_sha if pr else "",
        participation=participation(facts, lambda actor: is_bot(actor) or is_ai_actor(actor), is_ai_co_author),
        members={team.lower(): frozenset(m.lower() for m in logins) for team, logins in facts.team_members.items()},
        changed_since=facts.changed_since,
        codeowners=parse_codeowners(facts.codeowners) if facts.codeowners is not None else None,
        is_ai_actor=is_ai_actor,
        retargeted_at=facts.retargeted_at,
    )
    latest = _latest_reviews(facts.reviews)
    results = []
    for rule in rules:
        if (rule.applies_to != "all" and not is_ai) or not governs(rule.branches, base):
            continue
        patterns = [compile_pattern(text) for text in rule.patterns]
        excluded = [compile_pattern(text) for text in rule.exclude]
        files = sorted(
            {
                p
                for f in facts.files
                for p in f.paths
                if any(_covers(pat, p, f.submodule) for pat in patterns) and not any(pat.matches(p) for pat in excluded)
            }
        )
        if files:
            results.append(_evaluate(rule, tuple(files), latest, context))
    return tuple(results)


def _covers(pattern: PathPattern, path: str, submodule: bool) -> bool:
    """Whether a category's pattern covers a changed path. A submodule's entry names a directory whose content
    the change replaces, so `auth/` (the files under auth) covers the submodule `auth` too."""
    return pattern.matches(path) or (submodule and pattern.matches(path + "/"))


def _latest_reviews(reviews: Iterable[Review]) -> list[Review]:
    """Each reviewer's latest decisive review (reviews arrive oldest first), by login."""
    latest: dict[str, Review] = {}
    for review in reviews:
        if review.state in _DECISIVE:
            latest[review.reviewer.login.lower()] = review
    return [latest[login] for login in sorted(latest)]


def _evaluate(rule: ApprovalRule, files: tuple[str, ...], latest: list[Review], ctx: _Context) -> CategoryResult:
    users, teams, emails = _eligible(rule, files, ctx)
    pool_teams = _unique([*teams, *(team.lstrip("@") for team in rule.all_of)])
    approved: list[str] = []
    stale: list[str] = []
    ignored: list[str] = []
    vetoes: list[str] = []
    for review in latest:
        login = review.reviewer.login
        if login.lower() not in users and not any(login.lower() in ctx.members.get(t.lower(), ()) for t in pool_teams):
            continue
        if review.state == "CHANGES_REQUESTED":
            # who took part does not matter here: a forged Co-authored-by line must not silence an owner
            if rule.veto and not _bot_reason(rule, review.reviewer, ctx):
                vetoes.append(login)
            continue
        if review.state != "APPROVED":
            continue
        reason = _veto(rule, review.reviewer, ctx)
        if reason:
            ignored.append(f"@{login}: {reason}")
        elif _is_stale(rule, review, files, ctx):
            stale.append(login)
        else:
            approved.append(login)
    done = {login.lower() for login in approved}
    missing_teams = [t for t in rule.all_of if not done & ctx.members.get(t.lstrip("@").lower(), frozenset())]
    count_short = max(rule.count - len(approved), 0)
    satisfied = not count_short and not missing_teams and not vetoes
    ask_users = [u for u in users.values() if u.lower() not in done | {ctx.author} and not _veto(rule, Actor(u), ctx)]
    ask_teams = pool_teams if count_short else []
    missing: list[str] = [
        f"@{login} requested changes: this category waits until @{login} approves or the review is dismissed"
        for login in vetoes
    ]
    if count_short or missing_teams:
        if count_short:
            who = ", ".join([f"@{name}" for name in ask_users + ask_teams])
            plural = "s" if count_short > 1 else ""
            missing.append(
                f"{count_short} more approval{plural} from {who}"
                if who
                else f"{count_short} more approval{plural}, but nobody is eligible: name users or teams for "
                f"{rule.category}"
            )
        missing += [f"an approval from a member of @{team.lstrip('@')}" for team in missing_teams]
        missing += [
            f"the members of @{t} are unknown, so their approvals cannot be recognised"
            for t in pool_teams
            if t.lower() not in ctx.members
        ]
        missing += [
            f"CODEOWNERS owner {email} is an email address, which cannot be matched to a GitHub login"
            for email in emails
        ]
        if rule.codeowners and ctx.codeowners is None:
            missing.append("there is no CODEOWNERS file, so no code owner can approve")
    return CategoryResult(
        category=rule.category,
        files=files,
        satisfied=satisfied,
        approved_by=tuple(approved),
        missing=tuple(missing),
        request_users=tuple(ask_users if count_short else ()),
        request_teams=tuple(_unique([*ask_teams, *(t.lstrip("@") for t in missing_teams)])),
        stale=tuple(stale),
        ignored=tuple(ignored),
        vetoed_by=tuple(vetoes),
        excluded=_excluded(rule, ctx),
    )


def _eligible(rule: ApprovalRule, files: tuple[str, ...], ctx: _Context) -> tuple[dict[str, str], list[str], list[str]]:
    """Eligible users (lower-case login -> login as written), teams (`org/team`) and email owners."""
    users = {u.lstrip("@").lower(): u.lstrip("@") for u in rule.users}
    teams = [team.lstrip("@") for team in rule.teams]
    emails: list[str] = []
    if rule.codeowners and ctx.codeowners is not None:
        for owners in ctx.codeowners.owners_for(files).values():
            for owner in owners:
                kind = owner_kind(owner)
                if kind == "user":
                    users.setdefault(owner[1:].lower(), owner[1:])
                else:
                    (teams if kind == "team" else emails).append(owner.lstrip("@"))
    return users, _unique(teams), _unique(emails)


def _veto(rule: ApprovalRule, actor: Actor, ctx: _Context) -> str | None:
    """Why this account's approval cannot count for `rule`, or None."""
    login = actor.login.lower()
    if login == ctx.author:  # the author's other roles (commits, pushes) come with authorship
        return None if rule.allow_author else ROLE_WORDS["author"]
    return _bot_reason(rule, actor, ctx) or _role_reason(rule, login, ctx)


def _bot_reason(rule: ApprovalRule, actor: Actor, ctx: _Context) -> str | None:
    if not rule.allow_bots and is_bot(actor):
        return "is a bot"
    if not rule.allow_bots and ctx.is_ai_actor(actor):
        return "is an AI identity"
    return None


def _role_reason(rule: ApprovalRule, login: str, ctx: _Context) -> str | None:
    """The roles that keep `login` from approving under `rule` (each without its `allow_*` key), in words."""
    words = [ROLE_WORDS[role] for role in ctx.participation.roles(login) if not getattr(rule, ROLE_KEYS[role])]
    return "; ".join(dict.fromkeys(words)) or None


def _excluded(rule: ApprovalRule, ctx: _Context) -> tuple[str, ...]:
    """Every person who took part and cannot approve for `rule`, with why (the PR's author, bots and agents go
    without saying)."""
    shown = []
    for person in ctx.participation.people:
        actor = Actor(person.login)
        if person.login == ctx.author or is_bot(actor) or ctx.is_ai_actor(actor):
            continue
        reason = _veto(rule, actor, ctx)
        if reason:
            shown.append(f"@{person.login}: {reason}")
    shown += [
        f"co-author {cell(who)}: the address names no GitHub account the App can tell, so it cannot exclude them"
        for who in ctx.participation.unresolved
    ]  # written in a commit: escaped
    return tuple(shown)


def _is_stale(rule: ApprovalRule, review: Review, files: tuple[str, ...], ctx: _Context) -> bool:
    """An approval of an older head is stale when the category's files changed since (or we cannot tell); any
    approval given before the PR moved to another base is stale too: the same head against another base is
    another diff, which can hold more of the category's files than the reviewer saw."""
    if not rule.stale_on_change:
        return False
    if ctx.retargeted_at and (not review.submitted_at or review.submitted_at <= ctx.retargeted_at):
        return True  # GitHub's timestamps, one format (2011-01-26T19:01:12Z): their order is their text's
    if review.commit_id == ctx.head_sha:
        return False
    changed = ctx.changed_since.get(review.commit_id) if review.commit_id else None
    return changed is None or not changed.isdisjoint(files)


def files_since(status: str, paths: Iterable[str], *, complete: bool) -> frozenset[str] | None:
    """The paths changed between a reviewed commit and the head, from a three-dot compare of the two, or None
    (unknown: every file counts as changed) when the reviewed commit is not an ancestor of the head.

    A compare `reviewed...head` lists the changes from their merge base to the head. After a force-push back
    to an older commit (status `behind`) or onto another history (`diverged`) it lists little or nothing, although
    the head is not what was reviewed: only `ahead` and `identical` say the head still holds the reviewed
    commit. `complete` is False when GitHub cut the file list short.
    """
    if status not in _DESCENDS or not complete:
        return None
    return frozenset(paths)


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.lower(), item)
    return list(seen.values())
