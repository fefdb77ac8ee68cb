"""Gather from GitHub only the facts the policy needs to judge a pull request's head; which ones is decided by
the core (ghapp.core.needs), this module only asks GitHub for them.

Always: the PR, its commits (full messages) and its files (patches -> added lines). Only when the PR carries one
of the App's verdict labels: its events (who added the label). Then what `needs` and `team_asks` name: reviews,
the PR's events, CODEOWNERS (base branch, GitHub's three locations), team memberships, and the files changed
since each approved commit. Commits and files of a (base, head) pair never change, so they are kept in memory.

Within an evaluation (`reads`, a `PullReads`) the commits, reviews, events and CODEOWNERS come from its one
GraphQL query, already made for the policy; the files, team memberships and comparisons are REST calls (GraphQL
has no patches nor blob shas, and a team membership is asked only once the policy and CODEOWNERS say whose).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from ghapp.core.codeowners.patterns import CODEOWNERS_LOCATIONS
from ghapp.core.decisions import ToolReport
from ghapp.core.facts import Actor, Assignment, ChangedFile, Commit, Facts, Override, Review
from ghapp.core.gates.approvals import files_since
from ghapp.core.needs import approved_commits, needs, team_asks
from ghapp.core.policy.load import Policy
from ghapp.github import shapes
from ghapp.github.api import ISSUE_EVENTS_CAP, MEMBERSHIP_TTL_S, PULL_COMMITS_CAP, PULL_FILES_CAP, InstallationAPI
from ghapp.github.errors import GitHubError, NotFound, Reschedulable
from ghapp.github.labels import hand_labels
from ghapp.github.pull_reads import PullReads, ReadOnce
from ghapp.github.team_query import read_memberships

JSON = shapes.JSON
COMPARE_FILES_CAP = 300  # the compare API lists at most 300 files
T = TypeVar("T")


@dataclass(frozen=True)
class Head:
    """A PR head's commits and files, and whether GitHub cut either list short."""

    commits: tuple[Commit, ...]
    files: tuple[ChangedFile, ...]
    commits_truncated: bool
    files_truncated: bool


async def _bounded(calls: Iterable[Awaitable[T]], limit: int = 8) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return list(await asyncio.gather(*(one(c) for c in calls)))


class FactsGatherer:
    """One per process: remembers commits and files per (repository, base sha, head sha)."""

    def __init__(self, max_heads: int = 256) -> None:
        self._heads: OrderedDict[tuple[str, str, str], Head] = OrderedDict()
        self._max = max_heads

    async def gather(
        self,
        api: InstallationAPI,
        owner: str,
        repo: str,
        pr_json: JSON,
        policy: Policy,
        *,
        overrides: Sequence[Override] = (),
        tool_reports: Sequence[ToolReport] = (),
        pushers: Sequence[Actor] = (),
        retargeted_at: str = "",
        reads: PullReads | None = None,
    ) -> Facts:
        """`pushers`: the accounts the App saw push to the PR's branch (its `synchronize` senders);
        `retargeted_at`: when it saw the PR last move to another base. `reads`: the evaluation's shared reads
        (one GraphQL query); without them every fact is read through REST."""
        pr = shapes.pull_request(pr_json, policy.labels.owns)
        labels = [str(label.get("name", "")) for label in pr_json.get("labels") or [] if isinstance(label, dict)]
        # hand labels and assignments share one read of the PR's events
        events = reads.events if reads is not None else ReadOnce(lambda: api.list_issue_events(owner, repo, pr.number))
        list_reviews = reads.reviews if reads is not None else lambda: api.list_reviews(owner, repo, pr.number)
        hand, head = await asyncio.gather(
            hand_labels(api, owner, repo, pr.number, labels, settings=policy.labels, events=events),
            self.head(api, owner, repo, pr_json, reads=reads),
        )
        pr = replace(pr, hand_labels=hand)
        facts = Facts(
            pull_request=pr,
            commits=head.commits,
            files=head.files,
            tool_reports=tuple(tool_reports),
            overrides=tuple(overrides),
            files_truncated=head.files_truncated,
            commits_truncated=head.commits_truncated,
        )
        found = await asyncio.to_thread(needs, policy, facts)  # detection and matching are CPU: off the loop
        if not found.anything:
            return facts
        reviews: tuple[Review, ...] = ()
        issue_events: list[JSON] = []
        assignments: tuple[Assignment, ...] = ()
        codeowners: str | None = None
        if found.reviews:
            listed, issue_events, codeowners = await asyncio.gather(
                list_reviews(),
                events(),
                self._codeowners(api, owner, repo, pr.base_ref, reads) if found.codeowners else _none(),
            )
            reviews = tuple(r for r in (shapes.review(item) for item in listed) if r is not None)
            assignments = tuple(a for a in (shapes.assignment(item) for item in issue_events) if a is not None)
        asks = team_asks(policy, found, reviews, codeowners, overrides)
        members, changed = await asyncio.gather(
            self._members(api, owner, asks), self._changed_since(api, owner, repo, pr.head_sha, reviews)
        )
        return Facts(
            pull_request=pr,
            commits=head.commits,
            files=head.files,
            reviews=reviews,
            team_members=members,
            codeowners=codeowners,
            changed_since=changed,
            tool_reports=tuple(tool_reports),
            overrides=tuple(overrides),
            files_truncated=head.files_truncated,
            commits_truncated=head.commits_truncated,
            events_truncated=len(issue_events) >= ISSUE_EVENTS_CAP,
            assignments=assignments,
            pushers=tuple(pushers),
            retargeted_at=retargeted_at,
        )

    async def head(
        self, api: InstallationAPI, owner: str, repo: str, pr_json: JSON, *, reads: PullReads | None = None
    ) -> Head:
        """The PR's commits and files (fetched once per base and head). The files always come through REST:
        GraphQL lists neither their patches nor their blob shas (the tools' copy is checked against those)."""
        pr = shapes.pull_request(pr_json)
        key = (f"{owner}/{repo}".lower(), pr.base_sha, pr.head_sha)
        cached = self._heads.get(key)
        if cached is not None and pr.head_sha:
            self._heads.move_to_end(key)
            return cached
        raw_commits, raw_files = await asyncio.gather(
            reads.commits() if reads is not None else api.list_pull_commits(owner, repo, pr.number),
            api.list_pull_files(owner, repo, pr.number),
        )
        commits = tuple(shapes.commit(c) for c in raw_commits)
        files = tuple(shapes.changed_file(f) for f in raw_files)
        # Webhook PR objects carry the true counts; the lists stop at GitHub's caps.
        total_files = int(pr_json.get("changed_files") or 0)
        total_commits = int(pr_json.get("commits") or 0)
        head = Head(
            commits,
            files,
            commits_truncated=_cut(len(commits), total_commits, PULL_COMMITS_CAP),
            files_truncated=_cut(len(files), total_files, PULL_FILES_CAP),
        )
        if pr.head_sha:
            self._heads[key] = head
            while len(self._heads) > self._max:
                self._heads.popitem(last=False)
        return head

    @staticmethod
    async def _codeowners(
        api: InstallationAPI, owner: str, repo: str, base_ref: str, reads: PullReads | None
    ) -> str | None:
        """The first CODEOWNERS GitHub would use, from the base branch."""
        for path in CODEOWNERS_LOCATIONS:
            answered, blob = await reads.file(owner, repo, path, base_ref) if reads is not None else (False, None)
            if answered:
                if blob is not None:
                    return blob.text
                continue
            found = await api.get_content(owner, repo, path, base_ref or None)
            if found is not None:
                return found[0]
        return None

    @staticmethod
    async def _members(api: InstallationAPI, org: str, asks: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
        """`org/team` -> the asked logins that are active members. Teams of other orgs stay unknown (absent):
        an installation can only read its own org's teams."""
        pairs = [
            (team, login)
            for team, logins in sorted(asks.items())
            if team.split("/", 1)[0] == org.lower()
            for login in sorted(logins)
        ]
        found = await _graphql_members(api, org, pairs)
        rest = [pair for pair in pairs if pair not in found]
        answers = await _bounded(api.team_membership(org, team.split("/", 1)[1], login) for team, login in rest)
        found |= dict(zip(rest, answers, strict=True))
        members: dict[str, set[str]] = {team: set() for team in asks if team.split("/", 1)[0] == org.lower()}
        for (team, login), yes in found.items():
            if yes:
                members[team].add(login.lower())
        return {team: frozenset(logins) for team, logins in members.items()}

    @staticmethod
    async def _changed_since(
        api: InstallationAPI, owner: str, repo: str, head_sha: str, reviews: Sequence[Review]
    ) -> dict[str, frozenset[str]]:
        """Paths changed between each approved older commit and the head; unknown ones (the commit is gone, is
        not an ancestor of the head, or the list was cut) are left out, so the engine treats them as stale."""
        shas = approved_commits(reviews, head_sha)

        async def one(sha: str) -> frozenset[str] | None:
            try:
                body = await api.compare(owner, repo, sha, head_sha)
            except NotFound:
                return None  # the reviewed commit is gone (force-push and garbage collection)
            files = [shapes.changed_file(f) for f in body.get("files") or []]
            return files_since(
                str(body.get("status") or ""),
                (p for f in files for p in f.paths),
                complete=len(files) < COMPARE_FILES_CAP,
            )

        answers = await _bounded(one(sha) for sha in shas)
        return {sha: paths for sha, paths in zip(shas, answers, strict=True) if paths is not None}


async def _graphql_members(
    api: InstallationAPI, org: str, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], bool]:
    """Memberships the shared cache does not know, two or more of them, asked in one GraphQL query (one is one
    REST call either way, and REST's is conditional); what it does not answer exactly is left to REST."""
    cache = api.app.cache
    unknown = [
        (team, login)
        for team, login in pairs
        if cache is None or not isinstance(cache.get(api.membership_key(org, team.split("/", 1)[1], login)), bool)
    ]
    if len(unknown) < 2:
        return {}
    try:
        answered = await read_memberships(api, org, [(team.split("/", 1)[1], login) for team, login in unknown])
    except Reschedulable:
        raise
    except GitHubError:
        return {}
    found: dict[tuple[str, str], bool] = {}
    for team, login in unknown:
        slug = team.split("/", 1)[1]
        if (slug, login) in answered:
            found[(team, login)] = answered[(slug, login)]
            if cache is not None:
                cache.set(api.membership_key(org, slug, login), answered[(slug, login)], MEMBERSHIP_TTL_S)
    return found


def _cut(listed: int, total: int, cap: int) -> bool:
    """Whether GitHub's list stopped short: fewer than the PR's count, or at the cap with no count known."""
    return total > listed or (listed >= cap and not total)


async def _none() -> None:
    return None
