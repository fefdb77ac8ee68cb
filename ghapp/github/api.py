"""`InstallationAPI`: the typed calls the handlers make as one installation, on pull requests, teams, check
runs, reviews, labels, issues and code scanning (`github/contents.py` reads files, `github/installation.py`
sends)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ghapp.github.contents import ContentCalls
from ghapp.github.errors import NotFound
from ghapp.github.installation import JSON, objects, one_object, segment

if TYPE_CHECKING:
    from ghapp.github.client import AnyGitHub
PULL_FILES_CAP = 3000  # GitHub lists at most 3,000 files of a pull request
COMPARE_FILES_CAP = 300  # and at most 300 files of a comparison of two commits
PULL_COMMITS_CAP = 250  # and at most 250 commits
ISSUE_EVENTS_CAP = 3000  # events read to find who added a label (30 pages); a PR rarely has more
MEMBERSHIP_TTL_S = 300.0  # how long a team membership answer is shared between the App's processes


class InstallationAPI(ContentCalls):
    """Every REST call the handlers make as one installation."""

    # pull requests
    async def get_repo(self, owner: str, repo: str) -> JSON:
        return one_object((await self._request("GET", "/repos/{owner}/{repo}", f"/repos/{owner}/{repo}")).json())

    async def get_pull(self, owner: str, repo: str, number: int) -> JSON:
        url = f"/repos/{owner}/{repo}/pulls/{number}"
        return one_object((await self._request("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", url)).json())

    async def list_pull_files(self, owner: str, repo: str, number: int) -> list[JSON]:
        return await self._paged(
            "/repos/{owner}/{repo}/pulls/{pull_number}/files",
            f"/repos/{owner}/{repo}/pulls/{number}/files",
            cap=PULL_FILES_CAP,
        )

    async def list_pull_commits(self, owner: str, repo: str, number: int) -> list[JSON]:
        return await self._paged(
            "/repos/{owner}/{repo}/pulls/{pull_number}/commits",
            f"/repos/{owner}/{repo}/pulls/{number}/commits",
            cap=PULL_COMMITS_CAP,
        )

    async def list_reviews(self, owner: str, repo: str, number: int) -> list[JSON]:
        """Reviews in chronological order; REST `state` is uppercase (APPROVED, CHANGES_REQUESTED, ...)."""
        return await self._paged(
            "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", f"/repos/{owner}/{repo}/pulls/{number}/reviews"
        )

    async def compare(self, owner: str, repo: str, base: str, head: str) -> JSON:
        url = f"/repos/{owner}/{repo}/compare/{segment(base)}...{segment(head)}"
        return one_object((await self._request("GET", "/repos/{owner}/{repo}/compare/{basehead}", url)).json())

    # teams (re-read on every event: conditional requests)
    def membership_key(self, org: str, team_slug: str, username: str) -> str:
        """Where a team membership answer is kept in the App's shared cache (for MEMBERSHIP_TTL_S)."""
        return f"team-member:{self.installation_id}:{org}/{team_slug}:{username}".lower()

    async def team_membership(self, org: str, team_slug: str, username: str) -> bool:
        """True when `username` is an active member of the team (child teams included, GitHub resolves that).

        With the App's shared cache the answer is kept for MEMBERSHIP_TTL_S, so workers judging reviews of the
        same pull request ask once: someone added to or removed from a team counts after at most that long.
        """
        key = self.membership_key(org, team_slug, username)
        cache = self.app.cache
        known = cache.get(key) if cache is not None else None
        if isinstance(known, bool):
            return known
        url = f"/orgs/{org}/teams/{segment(team_slug)}/memberships/{segment(username)}"
        try:
            response = await self._request(
                "GET", "/orgs/{org}/teams/{team_slug}/memberships/{username}", url, conditional=True
            )
            member = bool(response.json().get("state") == "active")
        except NotFound:
            member = False
        if cache is not None:
            cache.set(key, member, MEMBERSHIP_TTL_S)
        return member

    # check runs (githubkit validates the body: <= 50 annotations, <= 3 actions, summary <= 65535 chars)
    async def create_check_run(self, owner: str, repo: str, body: JSON) -> JSON:
        def call(gh: AnyGitHub, headers: dict[str, str]) -> Any:
            return gh.rest.checks.async_create(owner, repo, data=body, headers=headers)  # type: ignore[call-overload]

        return one_object((await self._send("POST", "/repos/{owner}/{repo}/check-runs", call)).json())

    async def update_check_run(self, owner: str, repo: str, check_run_id: int, body: JSON) -> JSON:
        """Annotations sent in an update are appended to the run's existing ones."""

        def call(gh: AnyGitHub, headers: dict[str, str]) -> Any:
            return gh.rest.checks.async_update(owner, repo, check_run_id, data=body, headers=headers)  # type: ignore[call-overload]

        return one_object((await self._send("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", call)).json())

    async def list_check_run_annotations(self, owner: str, repo: str, check_run_id: int) -> list[JSON]:
        return await self._paged(
            "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
            f"/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
        )

    async def list_check_runs_for_ref(
        self, owner: str, repo: str, ref: str, *, check_name: str | None = None, app_id: int | None = None
    ) -> list[JSON]:
        params: dict[str, Any] = {"filter": "latest"}
        if check_name:
            params["check_name"] = check_name
        if app_id is not None:
            params["app_id"] = app_id
        return await self._paged(
            "/repos/{owner}/{repo}/commits/{ref}/check-runs",
            f"/repos/{owner}/{repo}/commits/{segment(ref)}/check-runs",
            params=params,
            key="check_runs",
        )

    # review requests
    async def request_reviewers(
        self, owner: str, repo: str, number: int, reviewers: Sequence[str] = (), team_reviewers: Sequence[str] = ()
    ) -> JSON:
        return await self._reviewers("POST", owner, repo, number, users=reviewers, teams=team_reviewers)

    async def create_review(self, owner: str, repo: str, number: int, body: JSON) -> JSON:
        """A review in one call (`event`, `body`, `commit_id`, `comments`); GitHub refuses all of it (422) when
        one comment is outside the diff."""
        url = f"/repos/{owner}/{repo}/pulls/{number}/reviews"
        return one_object(
            (await self._request("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", url, json=body)).json()
        )

    async def dismiss_review(self, owner: str, repo: str, number: int, review_id: int, message: str) -> JSON:
        """Dismiss a submitted approval or change request; GitHub shows `message` in the conversation."""
        url = f"/repos/{owner}/{repo}/pulls/{number}/reviews/{review_id}/dismissals"
        return one_object(
            (
                await self._request(
                    "PUT",
                    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals",
                    url,
                    json={"message": message, "event": "DISMISS"},
                )
            ).json()
        )

    async def list_requested_reviewers(self, owner: str, repo: str, number: int) -> JSON:
        """`{"users": [...], "teams": [...]}`; who already reviewed is no longer listed here."""
        url = f"/repos/{owner}/{repo}/pulls/{number}/requested_reviewers"
        return one_object(
            (
                await self._request(
                    "GET", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", url, conditional=True
                )
            ).json()
        )

    async def remove_requested_reviewers(
        self, owner: str, repo: str, number: int, reviewers: Sequence[str] = (), team_reviewers: Sequence[str] = ()
    ) -> JSON:
        return await self._reviewers("DELETE", owner, repo, number, users=reviewers, teams=team_reviewers)

    async def _reviewers(
        self, method: str, owner: str, repo: str, number: int, *, users: Sequence[str], teams: Sequence[str]
    ) -> JSON:
        url = f"/repos/{owner}/{repo}/pulls/{number}/requested_reviewers"
        body = {"reviewers": list(users), "team_reviewers": list(teams)}
        route = "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers"
        return one_object((await self._request(method, route, url, json=body)).json())

    # labels, issues, comments
    async def add_labels(self, owner: str, repo: str, number: int, labels: Sequence[str]) -> list[JSON]:
        url = f"/repos/{owner}/{repo}/issues/{number}/labels"
        return objects(
            (
                await self._request(
                    "POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", url, json={"labels": list(labels)}
                )
            ).json()
        )

    async def remove_label(self, owner: str, repo: str, number: int, name: str) -> bool:
        """False when the label was not on the issue (GitHub answers 404)."""
        url = f"/repos/{owner}/{repo}/issues/{number}/labels/{segment(name)}"
        try:
            await self._request("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", url)
        except NotFound:
            return False
        return True

    async def list_issue_events(self, owner: str, repo: str, number: int) -> list[JSON]:
        """A PR's (or issue's) events, oldest first: `labeled` ones name the label and who added it, `assigned`
        ones the `assigner` and the `assignee`."""
        return await self._paged(
            "/repos/{owner}/{repo}/issues/{issue_number}/events",
            f"/repos/{owner}/{repo}/issues/{number}/events",
            cap=ISSUE_EVENTS_CAP,
        )

    async def list_labels(self, owner: str, repo: str, number: int) -> list[JSON]:
        return await self._paged(
            "/repos/{owner}/{repo}/issues/{issue_number}/labels", f"/repos/{owner}/{repo}/issues/{number}/labels"
        )

    async def create_issue(
        self, owner: str, repo: str, title: str, body: str, labels: Sequence[str] = (), *, assignees: Sequence[str] = ()
    ) -> JSON:
        data: JSON = {"title": title, "body": body, "labels": list(labels)}
        if assignees:
            data["assignees"] = list(assignees)
        return one_object(
            (
                await self._request("POST", "/repos/{owner}/{repo}/issues", f"/repos/{owner}/{repo}/issues", json=data)
            ).json()
        )

    async def update_label(self, owner: str, repo: str, name: str, color: str, description: str) -> bool:
        """Give a repository label its colour and description; False when the repository has no such label."""
        url = f"/repos/{owner}/{repo}/labels/{segment(name)}"
        try:
            await self._request(
                "PATCH",
                "/repos/{owner}/{repo}/labels/{name}",
                url,
                json={"color": color, "description": description},
            )
        except NotFound:
            return False
        return True

    async def list_commit_pulls(self, owner: str, repo: str, sha: str) -> list[JSON]:
        """Pull requests that contain the commit: open ones, and merged ones whose merge brought it in."""
        url = f"/repos/{owner}/{repo}/commits/{segment(sha)}/pulls"
        return objects(
            (
                await self._request(
                    "GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", url, params={"per_page": 100}
                )
            ).json()
        )

    async def create_comment(self, owner: str, repo: str, number: int, body: str) -> JSON:
        url = f"/repos/{owner}/{repo}/issues/{number}/comments"
        return one_object(
            (
                await self._request(
                    "POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", url, json={"body": body}
                )
            ).json()
        )

    # code scanning (needs the optional `security_events: write`)
    async def upload_sarif(self, owner: str, repo: str, body: JSON) -> JSON:
        """`commit_sha`, `ref`, `sarif` (gzip, then base64), ...; GitHub answers 202 with the upload's `id`, `url`."""
        url = f"/repos/{owner}/{repo}/code-scanning/sarifs"
        return one_object(
            (await self._request("POST", "/repos/{owner}/{repo}/code-scanning/sarifs", url, json=body)).json()
        )
