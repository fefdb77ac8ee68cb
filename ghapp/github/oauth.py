"""Dashboard sign-in through the App's OAuth client: trade the code for a user token, learn who the user is.

The user token is used once, at sign-in, to ask GitHub which of the App's installations the user may see
(`GET /user/installations` answers exactly those the user has explicit access to) and which teams they are
in; it is not kept. GitHub App user tokens start with `ghu_`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from ghapp.github.errors import GitHubError

_TIMEOUT = httpx.Timeout(15.0)
_MAX_PAGES = 10  # 1000 installations or teams is far beyond any one user's
_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


@dataclass(frozen=True)
class GitHubUser:
    """Who signed in, and what GitHub says they may see. Teams are `org/team-slug`, lower-cased."""

    id: int
    login: str
    installations: tuple[int, ...]
    teams: tuple[str, ...]


def authorize_url(web_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    query = urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "state": state, "allow_signup": "false"})
    return f"{web_url.rstrip('/')}/login/oauth/authorize?{query}"


async def exchange_code(
    web_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    """`POST /login/oauth/access_token` on the web host. GitHub answers 200 even for a bad code, with an
    `error` field in the body, so the body decides."""
    form = {"client_id": client_id, "client_secret": client_secret, "code": code, "redirect_uri": redirect_uri}
    async with httpx.AsyncClient(transport=transport, timeout=_TIMEOUT) as client:
        try:
            response = await client.post(
                f"{web_url.rstrip('/')}/login/oauth/access_token", data=form, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise GitHubError(f"cannot reach {web_url}: {exc.__class__.__name__}") from None
    body = _json(response, "the token exchange")
    token = body.get("access_token") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(token, str) or not token:
        reason = body.get("error_description") or body.get("error") if isinstance(body, dict) else None
        raise GitHubError(
            f"GitHub refused the sign-in code: {reason or f'HTTP {response.status_code}'}", status=response.status_code
        )
    return token


async def identify(api_url: str, token: str, *, transport: httpx.AsyncBaseTransport | None = None) -> GitHubUser:
    """`GET /user`, `GET /user/installations` and `GET /user/teams` with the user's token."""
    headers = {**_HEADERS, "Authorization": f"Bearer {token}"}
    base = api_url.rstrip("/")
    async with httpx.AsyncClient(transport=transport, timeout=_TIMEOUT, headers=headers) as client:
        user = await _get(client, f"{base}/user")
        installations = await _pages(client, f"{base}/user/installations?per_page=100", "installations")
        teams = await _pages(client, f"{base}/user/teams?per_page=100", None)
    if not isinstance(user, dict) or not isinstance(user.get("login"), str):
        raise GitHubError("GET /user did not name a user")
    return GitHubUser(
        id=int(user["id"]),
        login=user["login"],
        installations=tuple(sorted({int(i["id"]) for i in installations})),
        teams=tuple(sorted({f"{t['organization']['login']}/{t['slug']}".lower() for t in teams})),
    )


async def installation_repositories(
    api_url: str, token: str, installation_id: int, *, transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, bool]:
    """`GET /user/installations/{id}/repositories`: the full names (lower-case) of the installation's
    repositories the user has explicit permission to access, each with whether the user administers it.
    GitHub lists an installation for anyone with access to any one of its repositories, so this, not the
    installation, is what the user may see; "the access the user has to each repository is included in the
    hash under the `permissions` key" (GitHub's docs), so the admin bit costs no call of its own."""
    headers = {**_HEADERS, "Authorization": f"Bearer {token}"}
    url = f"{api_url.rstrip('/')}/user/installations/{int(installation_id)}/repositories?per_page=100"
    async with httpx.AsyncClient(transport=transport, timeout=_TIMEOUT, headers=headers) as client:
        repos = await _pages(client, url, "repositories")
    return {
        str(r["full_name"]).lower(): _admin(r.get("permissions")) for r in repos if isinstance(r.get("full_name"), str)
    }


def _admin(permissions: Any) -> bool:
    return isinstance(permissions, dict) and permissions.get("admin") is True


async def _get(client: httpx.AsyncClient, url: str) -> Any:
    return (await _fetch(client, url))[1]


async def _fetch(client: httpx.AsyncClient, url: str) -> tuple[httpx.Response, Any]:
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        raise GitHubError(f"cannot reach GitHub: {exc.__class__.__name__}") from None
    what = f"GET {response.url.path}"
    if response.status_code != 200:
        raise GitHubError(f"{what} answered HTTP {response.status_code}", status=response.status_code)
    return response, _json(response, what)


async def _pages(client: httpx.AsyncClient, url: str, key: str | None) -> list[dict[str, Any]]:
    """Follow `Link: rel="next"`. `/user/installations` wraps its list in {"installations": [...]}, and
    `/user/installations/{id}/repositories` in {"repositories": [...]}."""
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    for _ in range(_MAX_PAGES):
        if next_url is None:
            break
        response, body = await _fetch(client, next_url)
        page = body.get(key) if key and isinstance(body, dict) else body
        if not isinstance(page, list):
            raise GitHubError(f"GET {response.url.path} did not answer a list")
        items.extend(p for p in page if isinstance(p, dict))
        next_url = response.links.get("next", {}).get("url")
    return items


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise GitHubError(
            f"{what}: GitHub's answer is not JSON (HTTP {response.status_code})", status=response.status_code
        ) from None
