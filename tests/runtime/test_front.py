"""The webhook path served ahead of the router: only `POST /api/github/webhooks` goes to the receiver, and
the rest of the App (other methods on that path, other paths) answers as the router says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ghapp.app import create_app
from ghapp.runtime.front import WebhookFront
from ghapp.runtime.webhooks import WEBHOOK_PATH
from ghapp.settings import Settings
from tests.conftest import TestClient, delivery_headers, load_webhook


class CountingReceiver:
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        if self.fail:
            raise RuntimeError("receiver broke")
        request = Request(scope, receive)
        await JSONResponse({"front": True, "size": len(await request.body())}, status_code=202)(scope, receive, send)


def app_with(receiver: Any) -> Starlette:
    async def router_post(request: Request) -> PlainTextResponse:
        return PlainTextResponse("router")

    return Starlette(
        routes=[Route(WEBHOOK_PATH, router_post, methods=["POST"]), Route("/other", router_post, methods=["POST"])],
        middleware=[Middleware(WebhookFront, receiver=receiver)],
    )


def test_only_a_post_to_the_webhook_path_reaches_the_receiver() -> None:
    receiver = CountingReceiver()
    client = TestClient(app_with(receiver))
    answer = client.post(WEBHOOK_PATH, content=b"abc")
    assert (answer.status_code, answer.json()) == (202, {"front": True, "size": 3})
    assert client.get(WEBHOOK_PATH).status_code == 405  # the router's answer, not the receiver's
    assert client.post("/other").text == "router"
    assert client.post(WEBHOOK_PATH + "/x").status_code == 404
    assert client.put(WEBHOOK_PATH).status_code == 405
    assert receiver.calls == 1


def test_a_receiver_crash_is_a_500_from_the_error_middleware() -> None:
    receiver = CountingReceiver(fail=True)
    client = TestClient(app_with(receiver), raise_server_exceptions=False)
    assert client.post(WEBHOOK_PATH, content=b"{}").status_code == 500
    assert receiver.calls == 1


@pytest.mark.parametrize("root_path", ["", "/prefix"])
def test_the_app_takes_deliveries_through_the_front(make_settings: Callable[..., Settings], root_path: str) -> None:
    body = load_webhook("ping", "payload")
    with TestClient(create_app(make_settings(), run_worker=False), root_path=root_path) as client:
        answer = client.post(root_path + WEBHOOK_PATH, content=body, headers=delivery_headers("ping", body))
        assert answer.status_code == 202 and answer.json()["status"] in ("accepted", "ignored")
        unsigned = client.post(
            root_path + WEBHOOK_PATH,
            content=body,
            headers={**delivery_headers("ping", body), "X-Hub-Signature-256": "sha256=" + "0" * 64},
        )
        assert unsigned.status_code == 401
        assert client.get(root_path + "/healthz").json() == {"status": "ok"}
