"""Dashboard sign-in with GitHub (the App's OAuth client), the signed session cookie, and CSRF tokens.

At sign-in GitHub tells us which installations the user may see and which teams they are in; the session
keeps that, and the user's token encrypted (the pages ask GitHub with it which repositories the user may see:
`web.access`), and lasts eight hours. Every state-changing request must carry the session's CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet, InvalidToken
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghapp.credentials import session_secret
from ghapp.github import oauth
from ghapp.github.errors import GitHubError
from ghapp.settings import Settings
from ghapp.web.flow_state import FlowState
from ghapp.web.render import message

log = logging.getLogger(__name__)
SESSION_COOKIE = "ghapp_session"
SESSION_MAX_AGE_S = 8 * 3600
_STATE_MAX_AGE_S = 600  # the sign-in round trip through GitHub


@dataclass(frozen=True)
class UserSession:
    """A signed-in user: what GitHub said they may see, and the token their forms must send back."""

    user_id: int
    login: str
    installations: tuple[int, ...]
    teams: tuple[str, ...]
    csrf: str
    token: str = field(default="", repr=False)  # the user's GitHub token: sealed in the cookie (web.access)

    def sees(self, installation_id: int) -> bool:
        return installation_id in self.installations


def safe_next(target: str | None) -> str:
    """Only a path on this site: `//evil.example` and `https://evil.example` become `/`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


class Auth:
    """Sign-in routes plus `current(request)` and `csrf_ok(...)` for the pages and actions that need them."""

    def __init__(self, settings: Settings, github_transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._transport = github_transport
        secret = session_secret(settings.data_dir, settings.session_secret)
        self._sessions = URLSafeTimedSerializer(secret, salt="ghapp-session")
        self._states = FlowState(
            URLSafeTimedSerializer(secret, salt="ghapp-oauth-state"), "ghapp_oauth", "/auth", _STATE_MAX_AGE_S
        )
        # the user's token in the cookie is encrypted, not only signed: the cookie must not hand it out
        self._seal = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"ghapp-user-token\0" + secret.encode()).digest()))
        self._secure = settings.public_url.startswith("https://")

    @property
    def redirect_uri(self) -> str:
        return f"{self.settings.public_url.rstrip('/')}/auth/callback"

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/auth/login", self.login, methods=["GET"]),
            Route("/auth/callback", self.callback, methods=["GET"]),
            Route("/auth/logout", self.logout, methods=["POST"]),
        ]

    def current(self, request: Request) -> UserSession | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data: dict[str, Any] = self._sessions.loads(raw, max_age=SESSION_MAX_AGE_S)
            token = self._seal.decrypt(str(data["token"]).encode()).decode()
            return UserSession(
                int(data["user_id"]),
                str(data["login"]),
                tuple(int(i) for i in data["installations"]),
                tuple(str(t) for t in data["teams"]),
                str(data["csrf"]),
                token,
            )
        except (BadSignature, InvalidToken, KeyError, TypeError, ValueError):
            return None

    @staticmethod
    def csrf_ok(user: UserSession, form: Mapping[str, Any]) -> bool:
        sent = form.get("csrf_token")
        return isinstance(sent, str) and hmac.compare_digest(sent.encode(), user.csrf.encode())

    async def login(self, request: Request) -> Response:
        if not (self.settings.oauth_client_id and self.settings.oauth_client_secret):
            return message(
                request,
                "Sign-in is not configured",
                "Set GHAPP_OAUTH_CLIENT_ID and "
                "GHAPP_OAUTH_CLIENT_SECRET (the App's client id and secret), or finish /setup.",
                503,
            )
        state = FlowState.new()
        target = oauth.authorize_url(
            self.settings.github_web_url, self.settings.oauth_client_id, self.redirect_uri, state
        )
        response = RedirectResponse(target, status_code=303)
        self._states.keep(response, state, secure=self._secure, next=safe_next(request.query_params.get("next")))
        return response

    async def callback(self, request: Request) -> Response:
        code, pending = request.query_params.get("code", ""), self._states.returned(request)
        if not code or pending is None:
            return message(
                request,
                "Sign-in link not valid",
                "This sign-in did not start in this browser or took over ten minutes. Sign in again.",
                400,
            )
        try:
            token = await oauth.exchange_code(
                self.settings.github_web_url,
                self.settings.oauth_client_id,
                self.settings.oauth_client_secret,
                code,
                self.redirect_uri,
                transport=self._transport,
            )
            user = await oauth.identify(self.settings.github_api_url, token, transport=self._transport)
        except GitHubError as exc:
            return message(request, "Sign-in failed", f"{exc}. Sign in again.", 502)
        session = UserSession(user.id, user.login, user.installations, user.teams, secrets.token_urlsafe(24))
        log.info("signed in", extra={"user": user.login, "installations": len(user.installations)})
        response = RedirectResponse(safe_next(str(pending.get("next"))), status_code=303)
        stored = {**asdict(session), "token": self._seal.encrypt(token.encode()).decode()}
        response.set_cookie(
            SESSION_COOKIE,
            self._sessions.dumps(stored),
            max_age=SESSION_MAX_AGE_S,
            path="/",
            httponly=True,
            secure=self._secure,
            samesite="lax",
        )
        self._states.forget(response)
        return response

    async def logout(self, request: Request) -> Response:
        user = self.current(request)
        if user is not None and not self.csrf_ok(user, await request.form()):
            return message(request, "Request refused", "The form was missing its security token.", 403)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
