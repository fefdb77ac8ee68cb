"""A round trip through GitHub gives back what it kept only to the browser that started it, in time, with the
same `state`: another browser's link, an old cookie, a forged one or an odd `state` give nothing."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from ghapp.web.flow_state import FlowState

SECRET = "flow-secret"
FLOW = FlowState(URLSafeTimedSerializer(SECRET, salt="flow"), "ghapp_flow", "/flow", 600)


def _request(cookie: str | None, state: str | None) -> Request:
    headers = [(b"cookie", f"ghapp_flow={cookie}".encode())] if cookie is not None else []
    query = urlencode({"state": state}).encode() if state is not None else b""
    return Request(
        {"type": "http", "method": "GET", "path": "/flow/callback", "query_string": query, "headers": headers}
    )


def _kept(state: str, **kept: str) -> str:
    response = Response()
    FLOW.keep(response, state, secure=True, **kept)
    header = response.headers["set-cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]


def test_the_same_state_gives_back_what_was_kept() -> None:
    state = FlowState.new()
    pending = FLOW.returned(_request(_kept(state, web="https://github.com"), state))
    assert pending == {"state": state, "web": "https://github.com"}


@pytest.mark.parametrize("sent", ["other", "caf\u00e9", "\u2603" * 40, "", None])
def test_another_state_gives_nothing(sent: str | None) -> None:
    assert FLOW.returned(_request(_kept("expected"), sent)) is None


def test_no_cookie_or_a_forged_one_gives_nothing() -> None:
    assert FLOW.returned(_request(None, "expected")) is None
    assert FLOW.returned(_request("forged.value", "expected")) is None
    other_secret = URLSafeTimedSerializer("another-secret", salt="flow").dumps({"state": "expected"})
    assert FLOW.returned(_request(str(other_secret), "expected")) is None
    other_flow = URLSafeTimedSerializer(SECRET, salt="another-flow").dumps({"state": "expected"})
    assert FLOW.returned(_request(str(other_flow), "expected")) is None


def test_a_cookie_past_its_age_gives_nothing() -> None:
    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 601

    old = URLSafeTimedSerializer(SECRET, salt="flow", signer=Earlier).dumps({"state": "expected"})
    assert FLOW.returned(_request(str(old), "expected")) is None


def test_a_cookie_that_is_not_a_mapping_gives_nothing() -> None:
    listed = URLSafeTimedSerializer(SECRET, salt="flow").dumps(["expected"])
    assert FLOW.returned(_request(str(listed), "expected")) is None


@pytest.mark.parametrize("secure", [True, False])
def test_the_cookie_is_http_only_short_lived_and_on_the_flows_path(secure: bool) -> None:
    response = Response()
    FLOW.keep(response, "s", secure=secure)
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "max-age=600" in header and "path=/flow" in header and "samesite=lax" in header
    assert ("secure" in header.split("; ")) is secure


def test_forget_removes_the_cookie_on_the_flows_path() -> None:
    response = Response()
    FLOW.forget(response)
    header = response.headers["set-cookie"]
    assert header.startswith('ghapp_flow=""') and "Max-Age=0" in header and "Path=/flow" in header
