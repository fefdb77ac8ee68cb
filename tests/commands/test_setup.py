"""`ghapp setup`: points to /setup, prints the manifest, trades a code for stored credentials (headless installs)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ghapp.cli import main
from ghapp.credentials import load_credentials
from tests.web.live import serve

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEheadless\n-----END RSA PRIVATE KEY-----\n"
Capture = pytest.CaptureFixture[str]


async def convert(request: Request) -> JSONResponse:
    if request.path_params["code"] != "fresh":
        return JSONResponse({"message": "Not Found"}, status_code=404)
    return JSONResponse(
        {
            "id": 5,
            "slug": "ptp-headless",
            "pem": PEM,
            "webhook_secret": "whsec-headless",
            "client_id": "Iv1.5",
            "client_secret": "cs-headless",
        },
        status_code=201,
    )


@pytest.fixture
def github() -> Iterator[str]:
    with serve(Starlette(routes=[Route("/api/app-manifests/{code}/conversions", convert, methods=["POST"])])) as url:
        yield url


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in [n for n in os.environ if n.startswith("GHAPP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GHAPP_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("GHAPP_PUBLIC_URL", "https://ptp.acme.test")
    return tmp_path / "var" / "app-credentials.json"


def test_without_a_code_it_points_to_the_setup_page(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup"]) == 0
    assert "https://ptp.acme.test/setup" in capsys.readouterr().out


def test_prints_the_manifest(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup", "--manifest", "--name", "acme-ptp"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["name"] == "acme-ptp"
    assert manifest["hook_attributes"]["url"] == "https://ptp.acme.test/api/github/webhooks"


def test_a_code_becomes_stored_credentials(
    env: Path, github: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GHAPP_GITHUB_API_URL", f"{github}/api")
    monkeypatch.setenv("GHAPP_GITHUB_WEB_URL", github)
    assert main(["setup", "--code", "stale"]) == 1
    assert "over an hour old" in capsys.readouterr().err and not env.exists()
    assert main(["setup", "--code", "fresh"]) == 0
    out = capsys.readouterr().out
    assert f"Install it: {github}/apps/ptp-headless/installations/new" in out
    assert "MIIEheadless" not in out and "whsec-headless" not in out
    creds = load_credentials(env)
    assert creds is not None and (creds.app_id, creds.pem, creds.github_api_url) == ("5", PEM, f"{github}/api")
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    # Once set up: a second code is refused, and the status is reported.
    assert main(["setup", "--code", "fresh"]) == 2
    assert main(["setup"]) == 0
    assert "Set up already: App 5 (ptp-headless)" in capsys.readouterr().out


def test_environment_errors_exit_2(env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    assert main(["setup", "--code", "x", "--host", "ftp://nope"]) == 2
    assert "not a GitHub host" in capsys.readouterr().err
    env.parent.mkdir(parents=True)
    env.write_text("{")
    assert main(["setup"]) == 2
    monkeypatch.setenv("GHAPP_PORT", "many")
    assert main(["setup"]) == 2
    assert "GHAPP_PORT must be a whole number" in capsys.readouterr().err


def test_environment_credentials_count_as_set_up(env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    for name, value in {"GHAPP_APP_ID": "9", "GHAPP_PRIVATE_KEY": "k", "GHAPP_WEBHOOK_SECRET": "s"}.items():
        monkeypatch.setenv(name, value)
    assert main(["setup"]) == 0
    assert "App 9 (from the environment)" in capsys.readouterr().out


def test_runs_as_a_real_command(env: Path) -> None:
    ghapp = Path(sys.executable).with_name("ghapp")
    done = subprocess.run([str(ghapp), "setup", "--manifest"], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["redirect_url"] == "https://ptp.acme.test/setup/callback"
