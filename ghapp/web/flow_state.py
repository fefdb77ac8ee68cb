"""The state of a round trip through GitHub (the OAuth sign-in, the App's registration): a fresh `state`
value, kept with what the flow needs in a signed, short-lived, HttpOnly cookie on the flow's own path, and
given back only when GitHub returns with that same `state` in time. A link made in another browser, an old
one, or a forged cookie gives nothing back."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response


@dataclass(frozen=True)
class FlowState:
    signer: URLSafeTimedSerializer
    cookie: str
    path: str
    max_age_s: int

    @staticmethod
    def new() -> str:
        """A fresh `state` value for the URL that sends the browser to GitHub."""
        return secrets.token_urlsafe(24)

    def keep(self, response: Response, state: str, *, secure: bool, **kept: str) -> None:
        """Set the cookie that holds `state` and `kept` until GitHub sends the browser back."""
        response.set_cookie(
            self.cookie,
            self.signer.dumps({**kept, "state": state}),
            max_age=self.max_age_s,
            path=self.path,
            httponly=True,
            secure=secure,
            samesite="lax",
        )

    def returned(self, request: Request) -> dict[str, Any] | None:
        """What `keep` kept, when the cookie is ours, in time, and its state is the `state` GitHub sent back."""
        try:
            pending = self.signer.loads(request.cookies.get(self.cookie, ""), max_age=self.max_age_s)
        except BadSignature:
            return None
        sent = request.query_params.get("state", "")
        # bytes: compare_digest refuses str holding non-ASCII (a TypeError, so a 500, for an odd `state`)
        if not isinstance(pending, dict) or not hmac.compare_digest(str(pending.get("state")).encode(), sent.encode()):
            return None
        return pending

    def forget(self, response: Response) -> None:
        """Remove the cookie once the flow is done."""
        response.delete_cookie(self.cookie, path=self.path)
