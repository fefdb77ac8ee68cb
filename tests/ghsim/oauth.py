"""Simulated GitHub sign-in for the App's OAuth client: the authorize page, the code-for-token exchange, and the
user-token routes the dashboard reads (`/user`, `/user/installations`, `/user/teams`).

Who may see an installation: its own account, and members of the organisation (`OAuthState.org_members`, or
membership of any of the organisation's teams) — GitHub's "explicit permission" rule reduced to what tests need.
What each may do on a repository (`permissions` on each repository listed) is "read" unless `set_role` (or
`add_collaborator(..., role=)`) says more; a personal repository's owner administers it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from tests.ghsim import render
from tests.ghsim.state import SimState

CODE_LIFETIME = timedelta(minutes=10)  # GitHub's own limit for OAuth codes


@dataclass
class OAuthState:
    client_id: str = "Iv1.ghsim-client"
    client_secret: str = "ghsim-client-secret"
    org_members: dict[str, set[str]] = field(default_factory=dict)  # org (lower-case) -> logins
    # the organisation's base permission for its members: "read" (GitHub's default) or "none", where a
    # member sees only repositories they were given (here: as a collaborator)
    base_permission: dict[str, str] = field(default_factory=dict)  # org (lower-case) -> "read" | "none"
    collaborators: dict[str, set[str]] = field(default_factory=dict)  # repository full name (lower) -> logins
    # a user's role on a repository when it is more than "read": "triage", "write", "maintain" or "admin"
    # (GitHub: a personal repository's owner administers it; an org member with no role reads)
    roles: dict[tuple[str, str], str] = field(default_factory=dict)  # (full name, login), lower -> role
    codes: dict[str, tuple[str, str, Any]] = field(default_factory=dict)  # code -> (login, redirect_uri, issued)
    tokens: dict[str, str] = field(default_factory=dict)  # ghu_ token -> login
    authorized: list[str] = field(default_factory=list)  # logins that went through the authorize page

    def add_member(self, org: str, login: str) -> None:
        self.org_members.setdefault(org.lower(), set()).add(login.lower())

    def add_collaborator(self, full_name: str, login: str, role: str | None = None) -> None:
        self.collaborators.setdefault(full_name.lower(), set()).add(login.lower())
        if role is not None:
            self.set_role(full_name, login, role)

    def set_role(self, full_name: str, login: str, role: str) -> None:
        """`login`'s role on the repository (they must have access to it otherwise: owner, member, collaborator)."""
        assert role in ROLES, role
        self.roles[(full_name.lower(), login.lower())] = role

    def permissions(self, full_name: str, login: str) -> dict[str, bool]:
        """The `permissions` hash GitHub puts on a repository for the user asking: each role includes the ones
        below it (read < triage < write < maintain < admin)."""
        owner = full_name.split("/", 1)[0]
        role = "admin" if owner.lower() == login.lower() else self.roles.get((full_name.lower(), login.lower()), "read")
        rank = ROLES.index(role)
        return {key: rank >= ROLES.index(needed) for key, needed in PERMISSION_KEYS.items()}


ROLES = ("read", "triage", "write", "maintain", "admin")
PERMISSION_KEYS = {"admin": "admin", "maintain": "maintain", "push": "write", "triage": "triage", "pull": "read"}


def oauth_of(state: SimState) -> OAuthState:
    """The OAuth side of a simulator's world (created on first use)."""
    found: OAuthState | None = state.__dict__.get("oauth")
    if found is None:
        found = state.__dict__["oauth"] = OAuthState()
    return found


def _teams_of(state: SimState, login: str) -> list[tuple[str, str]]:
    with state.lock:
        return [
            (t.org, t.slug)
            for t in state.teams.values()
            if any(m.lower() == login.lower() and s == "active" for m, (_, s) in t.members.items())
        ]


def _can_see(state: SimState, login: str, account: str) -> bool:
    if account.lower() == login.lower():
        return True
    if login.lower() in oauth_of(state).org_members.get(account.lower(), set()):
        return True
    return any(org.lower() == account.lower() for org, _ in _teams_of(state, login))


def _member(state: SimState, login: str, account: str) -> bool:
    if login.lower() in oauth_of(state).org_members.get(account.lower(), set()):
        return True
    return any(org.lower() == account.lower() for org, _ in _teams_of(state, login))


def _can_access(state: SimState, login: str, full_name: str) -> bool:
    """GitHub's "explicit permission" to a repository: its owner, a collaborator, or a member of its organisation
    when the organisation's base permission is not "none"."""
    owner = full_name.split("/", 1)[0]
    oauth = oauth_of(state)
    if owner.lower() == login.lower() or login.lower() in oauth.collaborators.get(full_name.lower(), set()):
        return True
    return _member(state, login, owner) and oauth.base_permission.get(owner.lower(), "read") != "none"


def _accessible(state: SimState, login: str, inst: Any) -> list[Any]:
    return sorted(
        (r for r in state.repos.values() if inst.covers(r.full_name) and _can_access(state, login, r.full_name)),
        key=lambda r: r.id,
    )


def routes(state: SimState, prefix: str = "") -> list[BaseRoute]:
    oauth = oauth_of(state)

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse(
            {"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)},
            status_code=status,
        )

    async def authorize(request: Request) -> Response:
        """GET shows GitHub's "Authorize" page (here: who is signing in); POST redirects back with a code."""
        params = dict(request.query_params) if request.method == "GET" else dict(await request.form())
        if params.get("client_id") != oauth.client_id:
            return HTMLResponse("<h1>404</h1><p>The client_id is not known.</p>", status_code=404)
        if request.method == "GET":
            hidden = "".join(
                f'<input type="hidden" name="{escape(k)}" value="{escape(str(v))}">' for k, v in params.items()
            )
            return HTMLResponse(
                f"<!doctype html><title>Authorize</title><h1>Sign in to GitHub to continue</h1>"
                f'<form method="post">{hidden}<label>Username <input name="login" id="login_field"></label>'
                f'<button type="submit" id="authorize">Authorize</button></form>'
            )
        login = str(params.get("login", "")).strip()
        if not login:
            return HTMLResponse("<p>Enter a username.</p>", status_code=400)
        code = secrets.token_hex(10)
        redirect_uri = str(params.get("redirect_uri", ""))
        with state.lock:
            oauth.codes[code] = (login, redirect_uri, state.clock.now())
            oauth.authorized.append(login)
        query = urlencode({"code": code, "state": params.get("state", "")})
        return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)

    async def access_token(request: Request) -> Response:
        form = dict(await request.form())
        if form.get("client_id") != oauth.client_id or form.get("client_secret") != oauth.client_secret:
            return JSONResponse(
                {
                    "error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect.",
                }
            )
        with state.lock:
            entry = oauth.codes.pop(str(form.get("code", "")), None)
        if entry is None or state.clock.now() - entry[2] > CODE_LIFETIME:
            return JSONResponse(
                {"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
            )
        if form.get("redirect_uri") and form["redirect_uri"] != entry[1]:
            return JSONResponse(
                {
                    "error": "redirect_uri_mismatch",
                    "error_description": "The redirect_uri MUST match the registered callback URL.",
                }
            )
        token = "ghu_" + secrets.token_urlsafe(27)
        with state.lock:
            oauth.tokens[token] = entry[0]
        return JSONResponse({"access_token": token, "token_type": "bearer", "scope": ""})

    def user_of(request: Request) -> str | None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        return oauth.tokens.get(credential) if scheme.lower() in ("bearer", "token") else None

    async def user(request: Request) -> Response:
        login = user_of(request)
        return error(401, "Bad credentials") if login is None else JSONResponse(render.user(login))

    async def user_installations(request: Request) -> Response:
        login = user_of(request)
        if login is None:
            return error(401, "Bad credentials")
        with state.lock:
            visible = [
                render.installation(state, i)
                for i in state.installations.values()
                if _can_see(state, login, i.account) or _accessible(state, login, i)
            ]
        return JSONResponse({"total_count": len(visible), "installations": visible})

    async def user_installation_repositories(request: Request) -> Response:
        """GitHub: the repositories of the installation the user has explicit permission (read, write or admin)
        to access, with `permissions`; 404 for an installation the user cannot see; `per_page` (max 100) and
        `page`, with a `Link` header."""
        login = user_of(request)
        if login is None:
            return error(401, "Bad credentials")
        with state.lock:
            inst = state.installations.get(int(request.path_params["installation_id"]))
            if inst is None or not (_can_see(state, login, inst.account) or _accessible(state, login, inst)):
                return error(404, "Not Found")
            repos = _accessible(state, login, inst)
            selection = "all" if inst.repositories is None else "selected"
            per_page = max(1, min(100, int(request.query_params.get("per_page", "30"))))
            page = max(1, int(request.query_params.get("page", "1")))
            chunk = repos[(page - 1) * per_page : page * per_page]
            body = {
                "total_count": len(repos),
                "repository_selection": selection,
                "repositories": [
                    render.repo(state, r) | {"permissions": oauth.permissions(r.full_name, login)} for r in chunk
                ],
            }
        headers = {}
        if page * per_page < len(repos):
            headers["link"] = f'<{request.url.include_query_params(page=page + 1, per_page=per_page)}>; rel="next"'
        return JSONResponse(body, headers=headers)

    async def user_teams(request: Request) -> Response:
        login = user_of(request)
        if login is None:
            return error(401, "Bad credentials")
        return JSONResponse(
            [
                {"slug": slug, "name": slug, "organization": render.user(org) | {"type": "Organization"}}
                for org, slug in _teams_of(state, login)
            ]
        )

    api = prefix.rstrip("/")
    return [
        Route("/login/oauth/authorize", authorize, methods=["GET", "POST"]),
        Route("/login/oauth/access_token", access_token, methods=["POST"]),
        Route(f"{api}/user", user, methods=["GET"]),
        Route(f"{api}/user/installations", user_installations, methods=["GET"]),
        Route(
            f"{api}/user/installations/{{installation_id:int}}/repositories",
            user_installation_repositories,
            methods=["GET"],
        ),
        Route(f"{api}/user/teams", user_teams, methods=["GET"]),
    ]
