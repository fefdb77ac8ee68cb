"""Review requests kept in step with the approvals a pull request still needs: ask for the missing ones once per
head (never the author, never someone GitHub already lists as requested), and withdraw the App's own requests a
new push or a new approval made unnecessary, so a busy PR becomes neither a notification storm nor a list of
stale asks.

Asking costs no read on the normal path. The `pull_request` the event carries lists `requested_reviewers` and
`requested_teams` as of the event, and `review_requests` (unique per repository, PR, head, kind, reviewer) says
whom the App asked on this head, so the only POST is for someone neither shows. Neither can show a request
whose answer was lost (GitHub carried it out, the App never heard): that happens only on a try that then
failed or was deferred or killed, so a retried delivery (`Claim.retried`), and the "Request reviews" button,
ask GitHub who is requested now (`GET /pulls/{n}/requested_reviewers`) before asking. A stale payload can
still miss a request made between the event and this run; requested reviewers are a set on GitHub, so a
second POST of a pending reviewer adds nobody twice (GitHub's docs only say the endpoint notifies: a repeat
may notify again, which is why the normal path still avoids one).

Withdrawing costs reads only when there is something the App could withdraw: a reviewer the App asked on some
head (the table) whom no unsatisfied category wants now (the category is no longer touched, or is satisfied).
Only then are the PR's issue events and reviews read (`request_owners`): a request is withdrawn
(`DELETE /pulls/{n}/requested_reviewers`) only when the last `review_requested` event for that reviewer was
made through this App and the reviewer never reviewed the PR; a person's request, even of the same reviewer, is
never touched. Every such reviewer is then forgotten (withdrawn ones with an audit event), so the next event
reads nothing. Team reviewers go to the API as slugs without the `org/` part; a team of another org cannot be
requested.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ghapp.core.decisions import CategoryResult
from ghapp.github.api import ISSUE_EVENTS_CAP, InstallationAPI
from ghapp.github.errors import ValidationFailed
from ghapp.github.request_owners import Standing, standing
from ghapp.store import review_requests
from ghapp.store.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Requested:
    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()  # slugs
    refused: tuple[str, ...] = ()  # what GitHub would not accept, with why
    withdrawn_users: tuple[str, ...] = ()
    withdrawn_teams: tuple[str, ...] = ()

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
    """Who GitHub lists as requested on the PR (a reviewer leaves the list once they review)."""
    users = {str(u.get("login", "")).lower() for u in pr_json.get("requested_reviewers") or [] if isinstance(u, dict)}
    teams = {str(t.get("slug", "")).lower() for t in pr_json.get("requested_teams") or [] if isinstance(t, dict)}
    return users, teams


class ReviewRequester:
    def __init__(self, api: InstallationAPI, db: Database, owner: str, repo: str) -> None:
        self.api, self.db, self.owner, self.repo = api, db, owner, repo

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    async def request(
        self,
        pr_json: dict[str, Any],
        results: Sequence[CategoryResult],
        *,
        force: bool = False,
        retried: bool = False,
    ) -> Requested:
        """Ask for the missing reviews on the PR's head and withdraw the App's requests no longer needed.
        `force` asks again even if asked on this head (the "Request reviews" button), but still not those
        GitHub lists as pending; `retried`: an earlier attempt of this delivery failed, so a request it made may
        have gone unrecorded: GitHub is asked who is requested before asking."""
        number = int(pr_json["number"])
        head_sha = str((pr_json.get("head") or {}).get("sha") or "")
        author = str((pr_json.get("user") or {}).get("login") or "")
        users, teams = wanted(results, self.owner, author)
        rows = await asyncio.to_thread(review_requests.asked_on_pull, self.db, self.full_name, number)
        needed = {("user", u.lower()) for u in users} | {("team", t.lower()) for t in teams}
        withdrawn = await self._withdraw(number, head_sha, {(k, r.lower()) for _, k, r in rows} - needed)
        asked = set() if force else {(k, r.lower()) for h, k, r in rows if h == head_sha}
        pending_users, pending_teams = _pending(pr_json)
        users = [u for u in users if u.lower() not in pending_users and ("user", u.lower()) not in asked]
        teams = [t for t in teams if t.lower() not in pending_teams and ("team", t.lower()) not in asked]
        if (users or teams) and (retried or force):
            now = await self.api.list_requested_reviewers(self.owner, self.repo, number)
            listed_users, listed_teams = _pending(
                {"requested_reviewers": now.get("users"), "requested_teams": now.get("teams")}
            )
            users = [u for u in users if u.lower() not in listed_users]
            teams = [t for t in teams if t.lower() not in listed_teams]
        done = await self._ask(number, head_sha, users, teams) if users or teams else Requested()
        return Requested(
            done.users,
            done.teams,
            done.refused,
            tuple(r for k, r in withdrawn if k == "user"),
            tuple(r for k, r in withdrawn if k == "team"),
        )

    async def _ask(self, number: int, head_sha: str, users: list[str], teams: list[str]) -> Requested:
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

    async def _withdraw(self, number: int, head_sha: str, unneeded: set[tuple[str, str]]) -> list[tuple[str, str]]:
        """Withdraw the App's standing requests among `unneeded` (kind, reviewer); forget all of them."""
        if not unneeded:
            return []
        events, reviews = await asyncio.gather(
            self.api.list_issue_events(self.owner, self.repo, number),
            self.api.list_reviews(self.owner, self.repo, number),
        )
        complete = len(events) < ISSUE_EVENTS_CAP  # a cut list may miss a person's later request
        found = standing(sorted(unneeded), events, reviews, self.api.app.app_id, complete=complete)
        ours = sorted(key for key, state in found.items() if state is Standing.APPS)
        if ours:
            try:
                await self.api.remove_requested_reviewers(
                    self.owner,
                    self.repo,
                    number,
                    [name for kind, name in ours if kind == "user"],
                    [name for kind, name in ours if kind == "team"],
                )
            except ValidationFailed as exc:  # nothing was withdrawn; forgotten all the same, so no retry storm
                log.info("review requests not withdrawn", extra={"reviewers": ours, "error": str(exc)})
                ours = []
        others = [key for key in sorted(unneeded) if key not in ours]
        await asyncio.to_thread(
            review_requests.forget, self.db, self.full_name, number, head_sha, others, withdrawn=ours
        )
        return ours
