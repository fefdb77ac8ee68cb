"""How one installation's calls go out: `InstallationCalls` sends REST requests and GraphQL queries as the
installation, follows pages, and reads answers as GitHub's JSON (`.json()`, never githubkit's strict models,
which reject real payloads). `InstallationAPI` adds the typed calls."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from ghapp.github.counter import CallCounter, bound_counters
from ghapp.github.errors import GitHubError

if TYPE_CHECKING:
    from ghapp.github.client import AnyGitHub, Call, GitHubApp

JSON = dict[str, Any]


def one_object(body: Any) -> JSON:
    """The answer's body when it is a JSON object, else a `GitHubError`."""
    if not isinstance(body, dict):
        raise GitHubError(f"GitHub answered {type(body).__name__} where an object was expected")
    return body


def objects(body: Any) -> list[JSON]:
    """The answer's body when it is a list of JSON objects, else a `GitHubError`."""
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise GitHubError("GitHub answered something else where a list of objects was expected")
    return body


def segment(value: str) -> str:
    """`value` quoted as one segment of a URL path (a branch `a/b` stays one segment)."""
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


class InstallationCalls:
    """One installation's way to GitHub: REST requests (its token, retries and ETags through `GitHubApp.send`),
    pages followed, and GraphQL queries. The typed calls build on it."""

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
            items.extend(objects(body.get(key) if key and isinstance(body, dict) else body))
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
        return one_object(answer)

    async def permissions(self) -> dict[str, str] | None:
        """What this installation granted the App, from its token reply; None when GitHub did not say."""
        granted = await self.app.installation_permissions(self.installation_id)
        return dict(granted) if granted is not None else None
