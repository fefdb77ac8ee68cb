"""The credentials file: private from its first byte, written once, read back whole, damage reported."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from ghapp.credentials import (
    AppCredentials,
    CredentialsError,
    load_credentials,
    save_credentials,
    session_secret,
    write_private,
)
from ghapp.settings import SettingsError, from_env

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"
CONVERSION = {
    "id": 4242,
    "slug": "prompt-to-pr-acme",
    "pem": PEM,
    "webhook_secret": "whsec-1234567",
    "client_id": "Iv1.abc",
    "client_secret": "cs-secret-value",
    "html_url": "https://github.com/apps/x",
    "owner": {"login": "acme"},
    "permissions": {"checks": "write"},
}


def creds(web: str = "https://github.com", api: str = "https://api.github.com") -> AppCredentials:
    return AppCredentials.from_conversion(dict(CONVERSION), web, api)


def test_saved_file_is_owner_only_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "var" / "app-credentials.json"
    save_credentials(path, creds())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_credentials(path) == creds()
    assert [p.name for p in path.parent.iterdir()] == ["app-credentials.json"]  # no temp file left behind
    assert json.loads(path.read_text())["app_id"] == "4242"


def test_secrets_never_appear_in_repr() -> None:
    text = repr(creds())
    assert "4242" in text and PEM not in text and "whsec-1234567" not in text and "cs-secret-value" not in text


def test_setup_happens_once(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    save_credentials(path, creds())
    with pytest.raises(CredentialsError, match="already exists"):
        save_credentials(path, creds(web="https://evil.example"))
    assert load_credentials(path) == creds()


def test_install_url_points_at_the_apps_host() -> None:
    assert creds().install_url() == "https://github.com/apps/prompt-to-pr-acme/installations/new"
    ghes = creds("https://ghe.acme.test", "https://ghe.acme.test/api/v3")
    assert ghes.install_url() == "https://ghe.acme.test/apps/prompt-to-pr-acme/installations/new"


def test_a_null_webhook_secret_is_kept_empty_and_missing_fields_are_refused() -> None:
    assert AppCredentials.from_conversion({**CONVERSION, "webhook_secret": None}, "w", "a").webhook_secret == ""
    with pytest.raises(CredentialsError, match="pem, client_id"):
        AppCredentials.from_conversion({"id": 1, "slug": "s", "client_secret": "x"}, "w", "a")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"app_id": "1"}'])
def test_a_damaged_file_is_an_error_not_a_fresh_install(tmp_path: Path, content: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(content)
    with pytest.raises(CredentialsError):
        load_credentials(path)


def test_no_file_means_not_set_up(tmp_path: Path) -> None:
    assert load_credentials(tmp_path / "absent.json") is None


def test_settings_take_credentials_from_the_file_when_the_environment_has_none(tmp_path: Path) -> None:
    save_credentials(tmp_path / "app-credentials.json", creds("https://ghe.acme.test", "https://ghe.acme.test/api/v3"))
    settings = from_env({"GHAPP_DATA_DIR": str(tmp_path)}, dotenv=None)
    assert (settings.app_id, settings.private_key, settings.webhook_secret) == ("4242", PEM, "whsec-1234567")
    assert (settings.oauth_client_id, settings.oauth_client_secret) == ("Iv1.abc", "cs-secret-value")
    assert settings.github_api_url == "https://ghe.acme.test/api/v3"
    assert settings.github_web_url == "https://ghe.acme.test"
    env = {"GHAPP_DATA_DIR": str(tmp_path), "GHAPP_APP_ID": "7", "GHAPP_PRIVATE_KEY": "k", "GHAPP_WEBHOOK_SECRET": "s"}
    assert from_env(env, dotenv=None).app_id == "7"  # the environment wins
    partial = from_env(
        {"GHAPP_DATA_DIR": str(tmp_path), "GHAPP_APP_ID": "9", "GHAPP_GITHUB_API_URL": "http://127.0.0.1:9/api"},
        dotenv=None,
    )
    assert (partial.app_id, partial.webhook_secret) == ("9", "whsec-1234567")
    assert partial.github_api_url == "http://127.0.0.1:9/api"


def test_settings_refuse_a_damaged_credentials_file(tmp_path: Path) -> None:
    (tmp_path / "app-credentials.json").write_text("{")
    with pytest.raises(SettingsError, match="cannot read the App credentials"):
        from_env({"GHAPP_DATA_DIR": str(tmp_path)}, dotenv=None)


def test_session_secret_is_configured_or_generated_once_and_shared(tmp_path: Path) -> None:
    assert session_secret(tmp_path, "configured") == "configured"
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(session_secret(tmp_path / "d"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results[0]) >= 40
    assert stat.S_IMODE((tmp_path / "d" / "session-secret").stat().st_mode) == 0o600
    assert session_secret(tmp_path / "d") == results[0]
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["session-secret"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("x")  # replacing a non-empty directory fails
    with pytest.raises(OSError):
        write_private(target, "secret")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
