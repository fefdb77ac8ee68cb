"""Review requests for the approvals a pull request still needs: once per head, never to the author, never to
someone GitHub already lists as requested, so a busy PR does not become a notification storm.

What was asked is recorded in `review_requests` (unique per repository, PR, head, kind, reviewer). Team
reviewers go to the API as slugs without the `org/` part; a team of another org cannot be requested.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ghapp.core.decisions import CategoryResult
from ghapp.github.api import InstallationAPI
from ghapp.github.errors import ValidationFailed
from ghapp.store import review_requests
from ghapp.store.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Requested:
    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()  # slugs
    refused: tuple[str, ...] = ()  # what GitHub would not accept, with why

    @property
    def any(self) -> bool:
        return bool(self.users or self.teams)


def wanted(results: Sequence[CategoryResult], org: str, author: str) -> tuple[list[str], list[str]]:
    """(logins, team slugs) the unsatisfied categories ask for; teams of other orgs are left out."""
    users: dict[str, str] = {}
    teams: dict[str, str] = {}
    for result in results:
        if result.satisfied:
            continue
        for login in result.request_users:
            if login.lower() != author.lower() and not login.lower().endswith("[bot]"):
                users.setdefault(login.lower(), login)
        for team in result.request_teams:
            team_org, _, slug = team.lstrip("@").partition("/")
            if slug and team_org.lower() == org.lower():
                teams.setdefault(slug.lower(), slug)
    return list(users.values()), list(teams.values())


def _pending(pr_json: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Who GitHub already lists as requested on the PR (a reviewer leaves the list once they review)."""
    users = {str(u.get("login", "")).lower() for u in pr_json.get("requested_reviewers") or [] if isinstance(u, dict)}
    teams = {str(t.get("slug", "")).lower() for t in pr_json.get("requested_teams") or [] if isinstance(t, dict)}
    return users, teams


class ReviewRequester:
    def __init__(self, api: InstallationAPI, db: Database, owner: str, repo: str) -> None:
        self.api, self.db, self.owner, self.repo = api, db, owner, repo

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    def _asked(self, number: int, head_sha: str) -> set[tuple[str, str]]:
        asked = review_requests.asked(self.db, self.full_name, number, head_sha)
        return {(kind, reviewer.lower()) for kind, reviewer in asked}

    async def request(
        self, pr_json: dict[str, Any], results: Sequence[CategoryResult], *, force: bool = False
    ) -> Requested:
        """Ask for the missing reviews on the PR's head. `force` asks again even if asked on this head
        (the "Request reviews" button), but still not those GitHub lists as pending."""
        number = int(pr_json["number"])
        head_sha = str((pr_json.get("head") or {}).get("sha") or "")
        author = str((pr_json.get("user") or {}).get("login") or "")
        users, teams = wanted(results, self.owner, author)
        pending_users, pending_teams = _pending(pr_json)
        asked = set() if force else await asyncio.to_thread(self._asked, number, head_sha)
        users = [u for u in users if u.lower() not in pending_users and ("user", u.lower()) not in asked]
        teams = [t for t in teams if t.lower() not in pending_teams and ("team", t.lower()) not in asked]
        if users or teams:
            # The payload's list may be stale, and a request whose answer was lost is not recorded: ask
            # GitHub who is requested now, so nobody is asked twice.
            now = await self.api.list_requested_reviewers(self.owner, self.repo, number)
            listed_users, listed_teams = _pending(
                {"requested_reviewers": now.get("users"), "requested_teams": now.get("teams")}
            )
            users = [u for u in users if u.lower() not in listed_users]
            teams = [t for t in teams if t.lower() not in listed_teams]
        if not users and not teams:
            return Requested()
        refused: list[str] = []
        try:
            await self.api.request_reviewers(self.owner, self.repo, number, users, teams)
            done_users, done_teams = users, teams
        except ValidationFailed:
            # GitHub refuses the whole request when one reviewer cannot review (not a collaborator, ...):
            # ask one by one so the others still get their request.
            done_users, done_teams = [], []
            for kind, name in [("user", u) for u in users] + [("team", t) for t in teams]:
                try:
                    await self.api.request_reviewers(
                        self.owner,
                        self.repo,
                        number,
                        [name] if kind == "user" else [],
                        [name] if kind == "team" else [],
                    )
                except ValidationFailed as exc:
                    refused.append(f"{'@' + name if kind == 'user' else '@' + self.owner + '/' + name}: {exc}")
                    continue
                (done_users if kind == "user" else done_teams).append(name)
        entries = [("user", u.lower()) for u in users] + [("team", t.lower()) for t in teams]
        # refused ones too: no retry storm
        await asyncio.to_thread(review_requests.record_asked, self.db, self.full_name, number, head_sha, entries)
        if refused:
            log.info("some review requests were refused", extra={"refused": refused})
        return Requested(tuple(done_users), tuple(done_teams), tuple(refused))
