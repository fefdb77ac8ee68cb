"""`PullReads`: the reads of one evaluation of a pull request, fetched once and shared by the policy loader and
the facts gatherer. The first read starts one GraphQL query (`pull_query`) for the commits, reviews, label and
assignment events, the base branch's policy file and CODEOWNERS and the org's policy; later reads await it.
A list longer than a page (100) is read to its end only when a caller needs it: a review of a PR whose head
the gatherer already knows asks for none of its commits.

When GraphQL cannot answer completely (an error in its answer, its own rate limit, a 404 on GitHub Enterprise
versions without it) each read falls back to its REST call, itself made once per evaluation; GitHub's
reschedulable errors (outages, secondary limits) propagate as REST's do. A file GraphQL cannot give exactly
(binary, over its text limit) is read through REST alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ghapp.core.codeowners.patterns import CODEOWNERS_LOCATIONS
from ghapp.core.policy.load import POLICY_PATH
from ghapp.github.api import InstallationAPI
from ghapp.github.errors import GitHubError, Reschedulable
from ghapp.github.installation import JSON
from ghapp.github.pull_query import ORG_REPO, Blob, FileKey, PullSnapshot, file_key, more_pages, read_pull

log = logging.getLogger(__name__)
CONNECTION_OF = {"commits": "commits", "reviews": "reviews", "events": "timelineItems"}


class ReadOnce:
    """One GitHub read shared by the parts of one evaluation that need it: the first call starts it, later
    calls await the same answer (a PR's issue events serve both the hand-label check and the assignments)."""

    def __init__(self, read: Callable[[], Awaitable[list[JSON]]]) -> None:
        self._read = read
        self._task: asyncio.Future[list[JSON]] | None = None

    def __call__(self) -> asyncio.Future[list[JSON]]:
        if self._task is None:
            self._task = asyncio.ensure_future(self._read())
        return self._task


class PullReads:
    """The reads of one evaluation of PR `number` of `owner/repo`, whose base branch is `base_ref`."""

    def __init__(self, api: InstallationAPI, owner: str, repo: str, number: int, base_ref: str | None) -> None:
        self.api, self.owner, self.repo, self.number = api, owner, repo, number
        self.base_ref = base_ref or None
        self._snapshot: asyncio.Future[PullSnapshot | None] | None = None
        self.commits = ReadOnce(lambda: self._list("commits", api.list_pull_commits))
        self.reviews = ReadOnce(lambda: self._list("reviews", api.list_reviews))
        self.events = ReadOnce(lambda: self._list("events", api.list_issue_events))

    def snapshot(self) -> asyncio.Future[PullSnapshot | None]:
        """The GraphQL snapshot, or None when REST has to answer instead."""
        if self._snapshot is None:
            self._snapshot = asyncio.ensure_future(self._read())
        return self._snapshot

    async def _read(self) -> PullSnapshot | None:
        own = [(POLICY_PATH, self.base_ref), *((path, self.base_ref) for path in CODEOWNERS_LOCATIONS)]
        org = [POLICY_PATH] if self.repo.lower() != ORG_REPO else []
        try:
            return await read_pull(self.api, self.owner, self.repo, self.number, own=own, org=org, follow=())
        except Reschedulable:
            raise
        except GitHubError as exc:
            log.info("reading %s/%s#%d through REST: %s", self.owner, self.repo, self.number, exc)
            return None

    async def current_base(self) -> str:
        """The branch the PR is into now: from the snapshot, else from GitHub's pull request (one REST call)."""
        snapshot = await self.snapshot()
        if snapshot is not None and snapshot.base_ref:
            return snapshot.base_ref
        pull = await self.api.get_pull(self.owner, self.repo, self.number)
        return str((pull.get("base") or {}).get("ref") or "")

    async def _list(self, name: str, rest: Callable[[str, str, int], Awaitable[list[JSON]]]) -> list[JSON]:
        """The snapshot's list, its further pages read now that it is needed (a review of a PR whose head is
        known needs no more of its commits); REST when GraphQL cannot answer."""
        snapshot = await self.snapshot()
        if snapshot is not None:
            first: list[JSON] = list(getattr(snapshot, name))
            connection = CONNECTION_OF[name]
            cursor = snapshot.after.get(connection)
            if cursor is None:
                return first
            try:
                return first + await more_pages(
                    self.api, connection, cursor, owner=self.owner, repo=self.repo, number=self.number, have=len(first)
                )
            except Reschedulable:
                raise
            except GitHubError as exc:
                log.info("reading %s/%s#%d %s through REST: %s", self.owner, self.repo, self.number, name, exc)
        return await rest(self.owner, self.repo, self.number)

    async def file(self, owner: str, repo: str, path: str, ref: str | None) -> tuple[bool, Blob | None]:
        """(True, the file) as the snapshot read it (None: it does not exist), or (False, None) when the snapshot
        did not read it exactly: the caller reads it through REST."""
        key = file_key(owner, repo, path, ref)
        if key not in self.covered:
            return False, None
        snapshot = await self.snapshot()
        if snapshot is None or key not in snapshot.files:
            return False, None
        found = snapshot.files[key]
        if found is not None and not found.usable:
            return False, None
        return True, found

    @property
    def covered(self) -> frozenset[FileKey]:
        """The files the query asks for: asking about another one starts no query."""
        own = [file_key(self.owner, self.repo, p, self.base_ref) for p in (POLICY_PATH, *CODEOWNERS_LOCATIONS)]
        org = [file_key(self.owner, ORG_REPO, POLICY_PATH, None)] if self.repo.lower() != ORG_REPO else []
        return frozenset([*own, *org])
