"""The composed App serves the pages, the static files and /metrics next to the webhook route."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry

from ghapp.app import create_app
from ghapp.credentials import AppCredentials, save_credentials
from ghapp.observability import Telemetry
from ghapp.settings import Settings
from tests.web.asgi import Client


def test_create_app_mounts_pages_static_and_metrics(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(session_secret="s" * 40, metrics_token="m" * 32)
    telemetry = Telemetry.create(settings, registry=CollectorRegistry())
    telemetry.metrics.delivery("push", "accepted")
    client = Client(create_app(settings, telemetry=telemetry, run_worker=False))
    assert 'href="/auth/login"' in client.get("/").text  # set up (credentials in settings): sign-in page
    assert client.get("/setup").status_code == 404
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/metrics").status_code == 401  # the web port serves metrics only with the token
    metrics = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32})
    assert 'ghapp_deliveries_total{event="push",outcome="accepted"} 1.0' in metrics.text
    assert "ghapp_queue_depth" in metrics.text


def test_a_fresh_install_offers_setup_and_picks_up_stored_credentials(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(app_id="", private_key="", webhook_secret="", session_secret="s" * 40)
    app = create_app(settings, run_worker=False)
    client = Client(app)
    assert client.get("/").headers["location"] == "/setup"
    assert client.get("/setup").status_code == 200
    assert client.get("/metrics").status_code == 404  # no telemetry given: no metrics route
    creds = AppCredentials(
        "77",
        "ptp",
        "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n",
        "whsec-stored",
        "Iv1.77",
        "client-secret",
        github_web_url="https://github.com",
        github_api_url="https://api.github.com",
    )
    save_credentials(settings.credentials_file, creds)
    app.state.runtime.use_stored_credentials(creds)  # what the setup callback does after storing them
    assert client.get("/setup").status_code == 404
    assert 'href="/auth/login"' in client.get("/").text
    login = client.get("/auth/login")
    assert login.status_code == 303 and "client_id=Iv1.77" in login.headers["location"]
