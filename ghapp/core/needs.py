"""Which facts a policy needs to judge one pull request's head, beyond the head itself (the PR, its commits
and its files, always gathered): the shell (ghapp.github.facts) asks GitHub for exactly these, in two rounds.

First round, from the head: the approval rules whose category applies and matches a changed file. Only then
are reviews and the PR's events needed (who reviewed, who assigned it to an agent), CODEOWNERS when such a
rule names the code owners, and the files changed since each approved older commit. Second round, from the
reviews and CODEOWNERS: which team memberships can matter, asked only for the people whose latest review
approves or requests changes (and for the authors of override comments, on the override team).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ghapp.core.codeowners.patterns import owner_kind, parse_codeowners
from ghapp.core.detection.detect import detect
from ghapp.core.detection.signals import SignalTable
from ghapp.core.facts import Facts, Override, Review
from ghapp.core.gates.approvals import ApprovalRule, evaluate_approvals
from ghapp.core.policy.load import Policy


@dataclass(frozen=True)
class Needs:
    """What the first round found the policy needs for this head."""

    rules: tuple[ApprovalRule, ...] = ()  # the rules whose category applies and matched a changed file
    matched: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # category -> the files it matched
    overrides: bool = False  # override comments to judge (their authors' team membership)

    @property
    def anything(self) -> bool:
        """Whether anything beyond the head is needed at all."""
        return bool(self.rules) or self.overrides

    @property
    def reviews(self) -> bool:
        """The PR's reviews and events (who reviewed; who assigned it to an agent)."""
        return bool(self.rules)

    @property
    def codeowners(self) -> bool:
        """The repository's CODEOWNERS, from the base branch."""
        return any(rule.codeowners for rule in self.rules)


def needs(policy: Policy, head: Facts) -> Needs:
    """The first round: `head` holds the PR, its commits, its files and the override comments."""
    table = policy.signals if policy.signals is not None else SignalTable()
    is_ai = policy.ai.is_ai(detect(table, head.pull_request, head.commits))
    base = head.pull_request.base_ref if head.pull_request is not None else None
    results = evaluate_approvals(policy.approvals, head, is_ai=is_ai, is_ai_actor=lambda _: False, base=base)
    matched = {result.category: result.files for result in results}
    rules = tuple(rule for rule in policy.approvals if rule.category in matched)
    return Needs(rules, matched, overrides=bool(head.overrides))


def team_asks(
    policy: Policy, found: Needs, reviews: Sequence[Review], codeowners: str | None, overrides: Sequence[Override]
) -> dict[str, frozenset[str]]:
    """The second round: `org/team` -> the logins whose membership of it can change a decision."""
    approvers = deciders(reviews)
    teams = {team.lower() for rule in found.rules for team in (*rule.teams, *rule.all_of)}
    if codeowners is not None:
        # only the owners of the files a CODEOWNERS-based category matched can approve
        owned = sorted({path for rule in found.rules if rule.codeowners for path in found.matched[rule.category]})
        for owners in parse_codeowners(codeowners).owners_for(owned).values():
            teams |= {owner.lstrip("@").lower() for owner in owners if owner_kind(owner) == "team"}
    asks = {team: set(approvers) for team in teams}
    if overrides and policy.overrides.team:
        asks.setdefault(policy.overrides.team, set()).update(override.by.login for override in overrides)
    return {team: frozenset(logins) for team, logins in asks.items()}


def deciders(reviews: Sequence[Review]) -> set[str]:
    """Logins whose latest decisive review approves or requests changes (a veto): only their team
    memberships can matter."""
    latest: dict[str, str] = {}
    for review in reviews:
        if review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[review.reviewer.login] = review.state
    return {login for login, state in latest.items() if state != "DISMISSED"}


def approved_commits(reviews: Sequence[Review], head_sha: str) -> list[str]:
    """The older commits someone approved: the files changed since each tell whether the approval is stale."""
    return sorted(
        {
            review.commit_id
            for review in reviews
            if review.state == "APPROVED" and review.commit_id and review.commit_id != head_sha
        }
    )
