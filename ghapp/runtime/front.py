"""The webhook path served straight from ASGI, ahead of Starlette's router and exception middleware.

Deliveries are nearly all of the App's HTTP traffic and take one fixed path and method, so this small ASGI
layer hands `POST /api/github/webhooks` to the receiver directly and everything else to the Starlette app.
It sits inside Starlette's outermost error middleware, so a crash still answers 500. The checks made on a
delivery are the receiver's, the same on either path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette._utils import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from ghapp.runtime.webhooks import WEBHOOK_PATH

if TYPE_CHECKING:
    from ghapp.runtime.webhooks import WebhookReceiver


class WebhookFront:
    """Starlette middleware: `Middleware(WebhookFront, receiver=...)`."""

    def __init__(self, app: ASGIApp, receiver: WebhookReceiver) -> None:
        self.app = app
        self.receiver = receiver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and get_route_path(scope) == WEBHOOK_PATH:
            await self.receiver(scope, receive, send)
            return
        await self.app(scope, receive, send)
