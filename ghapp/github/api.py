"""`InstallationAPI`: the typed calls the handlers make as one installation. Answers are GitHub's JSON (`.json()`,
never githubkit's strict models, which reject real payloads)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from ghapp.github.counter import CallCounter, bound_counters
from ghapp.github.errors import GitHubError, GitHubUnavailable, NotFound, TooLarge

if TYPE_CHECKING:
    from ghapp.github.client import AnyGitHub, Call, GitHubApp

JSON = dict[str, Any]
PULL_FILES_CAP = 3000  # GitHub lists at most 3,000 files of a pull request
COMPARE_FILES_CAP = 300  # and at most 300 files of a comparison of two commits
PULL_COMMITS_CAP = 250  # and at most 250 commits
ISSUE_EVENTS_CAP = 3000  # events read to find who added a label (30 pages); a PR rarely has more
MEMBERSHIP_TTL_S = 300.0  # how long a team membership answer is shared between the App's processes


def _obj(body: Any) -> JSON:
    if not isinstance(body, dict):
        raise GitHubError(f"GitHub answered {type(body).__name__} where an object was expected")
    return body


def _objs(body: Any) -> list[JSON]:
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise GitHubError("GitHub answered something else where a list of objects was expected")
    return body


def _q(value: str) -> str:
    return quote(value, safe="")


def graphql_url(api_base: httpx.URL) -> httpx.URL:
    """GitHub's GraphQL endpoint: `/graphql` beside the REST root, `/api/graphql` on GitHub Enterprise Server
    (whose REST root is `/api/v3`)."""
    path, replaced = re.subn(r"/api/v3/?$", "/api/graphql", api_base.path, count=1)
    return api_base.copy_with(path=path if replaced else api_base.path.rstrip("/") + "/graphql")


def _count_points(counter: CallCounter | None, answer: Any) -> None:
    """GraphQL points the query cost, from `rateLimit { cost }` when it asked for it."""
    data = answer.get("data") if isinstance(answer, dict) else None
    limit = data.get("rateLimit") if isinstance(data, dict) else None
    cost = limit.get("cost") if isinstance(limit, dict) else None
    if isinstance(cost, int):
        for each in (counter, *bound_counters()):
            if each is not None:
                each.add_points(cost)


class InstallationAPI:
    def __init__(self, app: GitHubApp, installation_id: int) -> None:
        self.app = app
        self.installation_id = installation_id

    async def _client(self) -> AnyGitHub:
        return await self.app.installation_client(self.installation_id)

    async def _send(self, method: str, route: str, call: Call, *, etag_key: str | None = None) -> httpx.Response:
        return await self.app.send(
            method,
            f"{method} {route}",
            self._client,
            call,
            reauth=lambda: self.app.tokens.invalidate(self.installation_id),
            etag_key=etag_key,
        )

    async def _request(
        self,
        method: str,
        route: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        accept: str | None = None,
        conditional: bool = False,
    ) -> httpx.Response:
        def call(gh: AnyGitHub, headers: dict[str, str]) -> Any:
            if accept:
                headers = {**headers, "Accept": accept}
            return gh.arequest(method, url, params=params, json=json, headers=headers)

        key = f"{self.installation_id} {accept} {url} {sorted((params or {}).items())}" if conditional else None
        return await self._send(method, route, call, etag_key=key)

    async def _paged(
        self,
        route: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        cap: int | None = None,
        key: str | None = None,
    ) -> list[JSON]:
        """Follow `Link: rel="next"` (absolute URLs, as GitHub sends them) with 100 items a page."""
        items: list[JSON] = []
        next_url: str | None = url
        page_params: dict[str, Any] | None = {**(params or {}), "per_page": 100}
        while next_url is not None and (cap is None or len(items) < cap):
            response = await self._request("GET", route, next_url, params=page_params)
            body = response.json()
            items.extend(_objs(body.get(key) if key and isinstance(body, dict) else body))
            next_url = response.links.get("next", {}).get("url")
            page_params = None  # the next link carries the query
        return items[:cap] if cap is not None else items

    async def graphql(self, query: str, variables: JSON) -> JSON:
        """POST a GraphQL query; the whole answer (`data`, `errors`) is returned as GitHub sent it with a 200:
        GraphQL reports its own errors, rate limits included, inside a 200 (see `pull_query`)."""
        url = str(graphql_url(self.app.api_base))

        def call(gh: AnyGitHub, headers: dict[str, str]) -> Any:
            # githubkit's `graphql.arequest` raises on any error in the answer and drops the partial data that
            # tells "the org has no `.github` repository" from a failure: its request body, our reading
            body = gh.graphql.build_graphql_request(query, variables)
            return gh.arequest("POST", url, json=body, headers=headers)

        response = await self.app.send(
            "POST",
            "POST /graphql",
            self._client,
            call,
            reauth=lambda: self.app.tokens.invalidate(self.installation_id),
            safe=True,  # a query changes nothing: repeating it after a dropped connection is harmless
        )
        try:
            answer = response.json()
        except ValueError:
            raise GitHubError("GraphQL answered something other than JSON") from None
        _count_points(self.app.counter, answer)
        return _obj(answer)

    # pull requests
    async def get_repo(self, owner: str, repo: str) -> JSON:
        return _obj((await self._request("GET", "/repos/{owner}/{repo}", f"/repos/{owner}/{repo}")).json())

    async def get_pull(self, owner: str, repo: str, number: int) -> JSON:
        url = f"/repos/{owner}/{repo}/pulls/{number}"
        return _obj((await self._request("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", url)).json())

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
        url = f"/repos/{owner}/{repo}/compare/{_q(base)}...{_q(head)}"
        return _obj((await self._request("GET", "/repos/{owner}/{repo}/compare/{basehead}", url)).json())

    # contents and teams (re-read on every event: conditional requests)
    async def get_content(self, owner: str, repo: str, path: str, ref: str | None = None) -> tuple[str, str] | None:
        """The UTF-8 text and blob sha of a file at `ref`, or None when there is no such file."""
        url = f"/repos/{owner}/{repo}/contents/{quote(path.lstrip('/'))}"
        params = {"ref": ref} if ref else None
        try:
            response = await self._request(
                "GET", "/repos/{owner}/{repo}/contents/{path}", url, params=params, conditional=True
            )
        except NotFound:
            return None
        body = response.json()
        if not isinstance(body, dict) or body.get("type") != "file":
            raise GitHubError(f"{owner}/{repo}:{path} is not a file")
        if body.get("encoding") == "base64":
            try:
                # GitHub wraps the base64 at 60 characters a line
                data = base64.b64decode("".join(str(body.get("content", "")).split()), validate=True)
            except (binascii.Error, ValueError):
                raise GitHubError(f"{owner}/{repo}:{path}: GitHub sent undecodable content") from None
        else:  # files over 1 MB come without content: ask for the raw media type
            data = (
                await self._request(
                    "GET",
                    "/repos/{owner}/{repo}/contents/{path}",
                    url,
                    params=params,
                    accept="application/vnd.github.raw",
                    conditional=True,
                )
            ).content
        try:
            return data.decode("utf-8"), str(body["sha"])
        except UnicodeDecodeError:
            raise GitHubError(f"{owner}/{repo}:{path} is not UTF-8 text") from None

    async def get_blob(self, owner: str, repo: str, sha: str) -> bytes | None:
        """A blob's bytes by its sha (Git Data API), or None when the repository has no such blob."""
        try:
            response = await self._request(
                "GET", "/repos/{owner}/{repo}/git/blobs/{sha}", f"/repos/{owner}/{repo}/git/blobs/{quote(sha)}"
            )
        except NotFound:
            return None
        body = response.json()
        if not isinstance(body, dict) or body.get("encoding") != "base64":
            raise GitHubError(f"{owner}/{repo}: blob {sha[:12]} came in an encoding other than base64")
        try:
            return base64.b64decode("".join(str(body.get("content", "")).split()), validate=True)
        except (binascii.Error, ValueError):
            raise GitHubError(f"{owner}/{repo}: blob {sha[:12]}: GitHub sent undecodable content") from None

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
        url = f"/orgs/{org}/teams/{_q(team_slug)}/memberships/{_q(username)}"
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

        return _obj((await self._send("POST", "/repos/{owner}/{repo}/check-runs", call)).json())

    async def update_check_run(self, owner: str, repo: str, check_run_id: int, body: JSON) -> JSON:
        """Annotations sent in an update are appended to the run's existing ones."""

        def call(gh: AnyGitHub, headers: dict[str, str]) -> Any:
            return gh.rest.checks.async_update(owner, repo, check_run_id, data=body, headers=headers)  # type: ignore[call-overload]

        return _obj((await self._send("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", call)).json())

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
            f"/repos/{owner}/{repo}/commits/{_q(ref)}/check-runs",
            params=params,
            key="check_runs",
        )

    # review requests
    async def request_reviewers(
        self, owner: str, repo: str, number: int, reviewers: Sequence[str] = (), team_reviewers: Sequence[str] = ()
    ) -> JSON:
        url = f"/repos/{owner}/{repo}/pulls/{number}/requested_reviewers"
        body = {"reviewers": list(reviewers), "team_reviewers": list(team_reviewers)}
        return _obj(
            (
                await self._request(
                    "POST", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", url, json=body
                )
            ).json()
        )

    async def create_review(self, owner: str, repo: str, number: int, body: JSON) -> JSON:
        """A review in one call (`event`, `body`, `commit_id`, `comments`); GitHub refuses all of it (422) when
        one comment is outside the diff."""
        url = f"/repos/{owner}/{repo}/pulls/{number}/reviews"
        return _obj(
            (await self._request("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", url, json=body)).json()
        )

    async def dismiss_review(self, owner: str, repo: str, number: int, review_id: int, message: str) -> JSON:
        """Dismiss a submitted approval or change request; GitHub shows `message` in the conversation."""
        url = f"/repos/{owner}/{repo}/pulls/{number}/reviews/{review_id}/dismissals"
        return _obj(
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
        return _obj(
            (
                await self._request(
                    "GET", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", url, conditional=True
                )
            ).json()
        )

    async def remove_requested_reviewers(
        self, owner: str, repo: str, number: int, reviewers: Sequence[str] = (), team_reviewers: Sequence[str] = ()
    ) -> JSON:
        url = f"/repos/{owner}/{repo}/pulls/{number}/requested_reviewers"
        body = {"reviewers": list(reviewers), "team_reviewers": list(team_reviewers)}
        return _obj(
            (
                await self._request(
                    "DELETE", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", url, json=body
                )
            ).json()
        )

    # labels, issues, comments
    async def add_labels(self, owner: str, repo: str, number: int, labels: Sequence[str]) -> list[JSON]:
        url = f"/repos/{owner}/{repo}/issues/{number}/labels"
        return _objs(
            (
                await self._request(
                    "POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", url, json={"labels": list(labels)}
                )
            ).json()
        )

    async def remove_label(self, owner: str, repo: str, number: int, name: str) -> bool:
        """False when the label was not on the issue (GitHub answers 404)."""
        url = f"/repos/{owner}/{repo}/issues/{number}/labels/{_q(name)}"
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
        return _obj(
            (
                await self._request("POST", "/repos/{owner}/{repo}/issues", f"/repos/{owner}/{repo}/issues", json=data)
            ).json()
        )

    async def update_label(self, owner: str, repo: str, name: str, color: str, description: str) -> bool:
        """Give a repository label its colour and description; False when the repository has no such label."""
        url = f"/repos/{owner}/{repo}/labels/{_q(name)}"
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
        url = f"/repos/{owner}/{repo}/commits/{_q(sha)}/pulls"
        return _objs(
            (
                await self._request(
                    "GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", url, params={"per_page": 100}
                )
            ).json()
        )

    async def create_comment(self, owner: str, repo: str, number: int, body: str) -> JSON:
        url = f"/repos/{owner}/{repo}/issues/{number}/comments"
        return _obj(
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
        return _obj((await self._request("POST", "/repos/{owner}/{repo}/code-scanning/sarifs", url, json=body)).json())

    async def permissions(self) -> dict[str, str] | None:
        """What this installation granted the App, from its token reply; None when GitHub did not say."""
        granted = await self.app.installation_permissions(self.installation_id)
        return dict(granted) if granted is not None else None

    # source archive
    async def download_tarball(self, owner: str, repo: str, ref: str, dest: IO[bytes], max_bytes: int) -> int:
        """Stream the tar.gz of `ref` into `dest`; return the bytes written. GitHub answers 302 to codeload:
        httpx follows it. Raises `TooLarge` past `max_bytes` (what was written stays: the caller discards it)."""
        url = f"/repos/{owner}/{repo}/tarball/{quote(ref)}"

        def call(gh: AnyGitHub, headers: dict[str, str]) -> Any:
            return gh.arequest("GET", url, headers=headers, stream=True)

        response = await self._send("GET", "/repos/{owner}/{repo}/tarball/{ref}", call)
        written = 0
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise TooLarge(f"{owner}/{repo}@{ref}: tarball is {declared} bytes, over the {max_bytes} cap")
            async for chunk in response.aiter_bytes():
                written += len(chunk)
                if written > max_bytes:
                    raise TooLarge(f"{owner}/{repo}@{ref}: tarball over the {max_bytes} byte cap")
                dest.write(chunk)
        except httpx.HTTPError as exc:
            raise GitHubUnavailable(f"tarball download interrupted: {exc}", retry_after_s=30.0) from None
        finally:
            await response.aclose()
        return written
