"""Setup taken over before the admin: whoever completes the manifest flow decides which GitHub the App trusts
(its private key, API and webhook secret). An attacker who reaches `/setup` first, with their own GitHub host
answering the code conversion, must get nowhere without the setup token; the admin needs the token, https for
a host other than github.com, and an explicit confirmation of such a host."""

from __future__ import annotations

import logging
import re
import stat
from html import unescape
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ghapp.credentials import load_credentials
from ghapp.settings import Settings
from ghapp.web.setup import SetupFlow
from tests.web.asgi import Client

ATTACKER_PEM = "-----BEGIN RSA PRIVATE KEY-----\nATTACKER\n-----END RSA PRIVATE KEY-----\n"


def attackers_github(calls: list[str]) -> httpx.ASGITransport:
    """A GitHub of the attacker's: any code converts into an App whose secrets they know."""

    async def convert(request: Request) -> JSONResponse:
        calls.append(str(request.url))
        return JSONResponse(
            {
                "id": 666,
                "slug": "evil",
                "pem": ATTACKER_PEM,
                "webhook_secret": "attacker-secret",
                "client_id": "Iv1.666",
                "client_secret": "attacker-oauth",
                "html_url": "x",
            },
            201,
        )

    routes = [
        Route("/api/v3/app-manifests/{code}/conversions", convert, methods=["POST"]),
        Route("/api/app-manifests/{code}/conversions", convert, methods=["POST"]),
    ]
    return httpx.ASGITransport(app=Starlette(routes=routes))


def fresh_app(tmp_path: Path, calls: list[str]) -> tuple[Client, SetupFlow]:
    settings = Settings(
        data_dir=tmp_path / "var",
        public_url="https://ptp.acme.test",
        session_secret="s" * 32,
        github_api_url="http://gh.test/api",
        github_web_url="http://gh.test",
    )
    flow = SetupFlow(settings, github_transport=attackers_github(calls))
    return Client(Starlette(routes=flow.routes()), base_url="https://ptp.acme.test"), flow


def _attempt(client: Client, **form: str) -> tuple[int, str | None]:
    """POST /setup as the attacker, then the callback with whatever state was handed out."""
    response = client.post(
        "/setup",
        data={
            "account": "personal",
            "host": "https://evil.example",
            "confirm": "https://evil.example",
            "name": "ptp",
            **form,
        },
    )
    found = re.search(r'action="[^"]*state=([^"&]+)"', unescape(response.text))
    if found:
        client.get(f"/setup/callback?code=any&state={found[1]}")
    return response.status_code, found[1] if found else None


@pytest.mark.parametrize("token", [None, "", "wrong", "x" * 32, "\u00e9t\u00e9"])
def test_the_first_visitor_cannot_register_an_app_without_the_setup_token(tmp_path: Path, token: str | None) -> None:
    calls: list[str] = []
    client, flow = fresh_app(tmp_path, calls)
    status, state = _attempt(client, **({} if token is None else {"token": token}))
    assert (status, state) == (403, None)
    assert "ghapp_setup" not in client.cookies
    assert calls == [] and load_credentials(flow.settings.credentials_file) is None
    assert client.get("/setup").status_code == 200  # still open for the admin


def test_the_setup_token_is_in_the_log_and_a_private_file_and_works_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []
    with caplog.at_level(logging.WARNING, logger="ghapp.web.setup"):
        client, flow = fresh_app(tmp_path, calls)
    token_file = flow.settings.data_dir / "setup-token"
    token = token_file.read_text().strip()
    assert len(token) >= 32 and stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token in caplog.text and "/setup" in caplog.text
    fresh_app(tmp_path, [])  # a second process sharing the data directory keeps the same token
    assert token_file.read_text().strip() == token
    status, state = _attempt(client, token=token, host="https://ghe.acme.test", confirm="https://ghe.acme.test")
    assert status == 200 and state is not None
    stored = load_credentials(flow.settings.credentials_file)
    assert stored is not None and stored.github_api_url == "https://ghe.acme.test/api/v3"
    assert not token_file.exists()
    assert _attempt(client, token=token) == (404, None)  # setup is over


@pytest.mark.parametrize(
    ("host", "confirm", "error"),
    [
        ("http://evil.example", "http://evil.example", "must use https"),
        ("http://github.com", "", "must use https"),
        ("https://ghe.acme.test", "", "Confirm that the App is to trust https://ghe.acme.test"),
        ("https://ghe.acme.test", "https://other.example", "Confirm that the App is to trust https://ghe.acme.test"),
        ("https://ghe.acme.test", "on", "Confirm that the App is to trust"),
    ],
)
def test_a_host_other_than_github_com_needs_https_and_an_explicit_confirmation(
    tmp_path: Path, host: str, confirm: str, error: str
) -> None:
    client, flow = fresh_app(tmp_path, [])
    token = (flow.settings.data_dir / "setup-token").read_text().strip()
    response = client.post(
        "/setup", data={"account": "personal", "host": host, "confirm": confirm, "name": "ptp", "token": token}
    )
    assert response.status_code == 400 and error in unescape(response.text)
    assert "ghapp_setup" not in response.headers.get("set-cookie", "")
    if "Confirm" in error:  # the checkbox offered names that exact host
        assert f'name="confirm" value="{host}"' in response.text
    ok = client.post("/setup", data={"account": "personal", "host": "github.com", "name": "ptp", "token": token})
    assert ok.status_code == 200 and "https://github.com/settings/apps/new?state=" in ok.text  # no confirmation
