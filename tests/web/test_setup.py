"""The manifest flow end to end against a fake GitHub: form, review, callback, stored credentials, closed after."""

from __future__ import annotations

import json
import logging
import re
import stat
from html import unescape
from pathlib import Path

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ghapp.credentials import AppCredentials, load_credentials
from ghapp.observability.logs import LogBudget
from ghapp.settings import Settings
from ghapp.web.setup import SetupFlow, build_manifest, github_urls
from tests.paths import ROOT
from tests.web.asgi import Client

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"


def fake_github(calls: list[str]) -> httpx.ASGITransport:
    async def convert(request: Request) -> JSONResponse:
        calls.append(str(request.url))
        if request.path_params["code"] != "good-code":
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return JSONResponse(
            {
                "id": 77,
                "slug": "ptp-acme",
                "pem": PEM,
                "webhook_secret": "whsec-abcdef",
                "client_id": "Iv1.77",
                "client_secret": "oauth-secret-77",
                "html_url": "x",
            },
            201,
        )

    app = Starlette(routes=[Route("/api/app-manifests/{code}/conversions", convert, methods=["POST"])])
    return httpx.ASGITransport(app=app)


def make(tmp_path: Path, **overrides: object) -> tuple[Client, SetupFlow, list[str], list[AppCredentials]]:
    settings = Settings(
        data_dir=tmp_path,
        public_url="https://ptp.acme.test",
        session_secret="s" * 32,
        github_api_url="http://gh.test/api",
        github_web_url="http://gh.test",
    ).with_overrides(**overrides)
    calls: list[str] = []
    saved: list[AppCredentials] = []
    flow = SetupFlow(settings, on_saved=saved.append, github_transport=fake_github(calls))
    return Client(Starlette(routes=flow.routes()), base_url="https://ptp.acme.test"), flow, calls, saved


def answers(flow: SetupFlow, **form: str) -> dict[str, str]:
    """The form as the admin fills it: the setup token from the data directory, the host confirmed."""
    host = form.get("host", "http://gh.test")
    confirm = host if "://" in host else f"https://{host}"
    token = (flow.settings.data_dir / "setup-token").read_text().strip()
    return {"account": "personal", "host": host, "name": "ptp", "token": token, "confirm": confirm, **form}


def review(client: Client, flow: SetupFlow, **form: str) -> tuple[str, dict[str, object]]:
    response = client.post("/setup", data=answers(flow, **form))
    assert response.status_code == 200, response.text
    action = unescape(re.search(r'<form method="post" action="([^"]+)" id="register"', response.text)[1])
    manifest = json.loads(unescape(re.search(r'name="manifest" value="([^"]+)"', response.text)[1]))
    return action, manifest


def test_manifest_is_app_yml_with_the_public_url_filled_in() -> None:
    manifest = build_manifest("https://ptp.acme.test/", name="acme-ptp")
    assert manifest["name"] == "acme-ptp"
    assert manifest["hook_attributes"] == {"url": "https://ptp.acme.test/api/github/webhooks", "active": True}
    assert manifest["redirect_url"] == "https://ptp.acme.test/setup/callback"
    assert manifest["callback_urls"] == ["https://ptp.acme.test/auth/callback"]
    assert "{public_url}" not in json.dumps(manifest)
    assert manifest["default_permissions"] == yaml.safe_load((ROOT / "app.yml").read_text())["default_permissions"]


@pytest.mark.parametrize(
    ("host", "web", "api"),
    [
        ("", "http://gh.test", "http://gh.test/api"),  # the configured GitHub
        ("github.com", "https://github.com", "https://api.github.com"),
        ("GHE.acme.test", "https://ghe.acme.test", "https://ghe.acme.test/api/v3"),
        ("https://127.0.0.1:8080/", "https://127.0.0.1:8080", "https://127.0.0.1:8080/api/v3"),
    ],
)
def test_github_host_field(host: str, web: str, api: str) -> None:
    settings = Settings(github_api_url="http://gh.test/api", github_web_url="http://gh.test")
    assert github_urls(host, settings) == (web, api)


@pytest.mark.parametrize("host", ["ftp://ghe", "https://u:p@ghe", "https://ghe/path", "https://ghe?x=1", "https://"])
def test_github_host_field_rejects_what_is_not_a_host(host: str) -> None:
    with pytest.raises(ValueError, match="not a GitHub host"):
        github_urls(host, Settings())


@pytest.mark.parametrize("host", ["http://127.0.0.1:8080", "http://ghe.acme.test", "http://github.com"])
def test_github_hosts_other_than_the_configured_one_must_use_https(host: str) -> None:
    with pytest.raises(ValueError, match="must use https"):
        github_urls(host, Settings(github_api_url="http://gh.test/api", github_web_url="http://gh.test"))


def test_personal_registration_stores_credentials_and_sends_to_install(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client, flow, calls, saved = make(tmp_path)
    page = client.get("/setup")
    assert page.status_code == 200 and 'name="org"' in page.text and 'name="manifest"' not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    action, manifest = review(client, flow)
    state = action.split("state=")[1]
    assert action == f"http://gh.test/settings/apps/new?state={state}" and len(state) >= 30
    assert (
        manifest["name"] == "ptp" and manifest["hook_attributes"]["url"] == "https://ptp.acme.test/api/github/webhooks"
    )
    with caplog.at_level(logging.DEBUG):
        done = client.get(f"/setup/callback?code=good-code&state={state}", follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "http://gh.test/apps/ptp-acme/installations/new"
    assert calls == ["http://gh.test/api/app-manifests/good-code/conversions"]
    stored = load_credentials(flow.settings.credentials_file)
    assert stored is not None and stored == saved[0]
    secrets = (stored.app_id, stored.pem, stored.webhook_secret, stored.client_secret)
    assert secrets == ("77", PEM, "whsec-abcdef", "oauth-secret-77")
    assert stat.S_IMODE(flow.settings.credentials_file.stat().st_mode) == 0o600
    logged = caplog.text + "".join(str(vars(r)) for r in caplog.records)
    assert "App registered" in caplog.text
    assert all(secret not in logged for secret in ("MIIEpAIBAAKCAQEA", "whsec-abcdef", "oauth-secret-77"))
    # Setup is closed from now on, even for the same browser and a replayed callback.
    assert client.get("/setup").status_code == 404
    assert client.post("/setup", data={"account": "personal"}).status_code == 404
    assert client.get(f"/setup/callback?code=good-code&state={state}").status_code == 404
    assert len(calls) == 1
    assert not (tmp_path / "setup-token").exists()  # one-time: gone with the setup


def test_organisation_and_enterprise_host(tmp_path: Path) -> None:
    client, flow, *_ = make(tmp_path)
    action, _ = review(client, flow, account="org", org="acme-corp", host="ghe.acme.test")
    assert action.startswith("https://ghe.acme.test/organizations/acme-corp/settings/apps/new?state=")


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"account": "org", "org": ""}, "organisation"),
        ({"account": "org", "org": "bad/name"}, "organisation"),
        ({"name": ""}, "1 to 34 characters"),
        ({"name": "x" * 35}, "1 to 34 characters"),
        ({"host": "https://ghe.acme.test/login"}, "not a GitHub host"),
    ],
)
def test_bad_answers_are_shown_again_with_the_reason(tmp_path: Path, form: dict[str, str], error: str) -> None:
    client, flow, *_ = make(tmp_path)
    response = client.post("/setup", data=answers(flow, **form))
    assert response.status_code == 400 and error in unescape(response.text)
    assert "ghapp_setup" not in response.headers.get("set-cookie", "")


def test_callback_without_the_matching_state_cookie_is_refused(tmp_path: Path) -> None:
    client, flow, calls, _ = make(tmp_path)
    action, _ = review(client, flow)
    state = action.split("state=")[1]
    assert client.get("/setup/callback?code=good-code&state=other").status_code == 400
    assert client.get(f"/setup/callback?state={state}").status_code == 400
    stranger, *_ = make(tmp_path)  # another browser: no cookie
    assert stranger.get(f"/setup/callback?code=good-code&state={state}").status_code == 400
    forged, *_ = make(tmp_path)
    forged.cookies.set("ghapp_setup", "forged.value", domain="ptp.acme.test")
    assert forged.get(f"/setup/callback?code=good-code&state={state}").status_code == 400
    assert calls == [] and not flow.settings.credentials_file.exists()


def test_an_expired_code_explains_and_stores_nothing(tmp_path: Path) -> None:
    client, flow, calls, saved = make(tmp_path)
    state = review(client, flow)[0].split("state=")[1]
    response = client.get(f"/setup/callback?code=stale&state={state}")
    assert response.status_code == 502 and "over an hour old" in response.text
    assert not flow.settings.credentials_file.exists() and saved == [] and len(calls) == 1
    assert client.get("/setup").status_code == 200  # still open: the admin can start again


def test_setup_is_closed_when_the_environment_has_credentials(tmp_path: Path) -> None:
    client, *_ = make(tmp_path, app_id="1", private_key="k", webhook_secret="s")
    assert client.get("/setup").status_code == 404


def test_wrong_setup_tokens_are_refused_and_a_flood_of_them_is_logged_within_a_budget(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client, flow, calls, saved = make(tmp_path)
    ticks = [0.0]
    flow.refusals = LogBudget(lines=20, window_s=60.0, clock=lambda: ticks[0])
    with caplog.at_level(logging.WARNING):
        for n in range(25):
            assert client.post("/setup", data=answers(flow, token=f"guess-{n}")).status_code == 403
        ticks[0] = 60.0
        assert client.post("/setup", data=answers(flow, token="one-more")).status_code == 403
    logged = [r for r in caplog.records if r.getMessage() == "setup refused: wrong or missing setup token"]
    assert [getattr(r, "not_logged_before", 0) for r in logged] == [0] * 20 + [5]
    assert calls == [] and saved == []
    assert (tmp_path / "setup-token").exists()  # still set up by the one who has it
