"""Settings from the environment: the public URL a process announces follows the port it serves; the check-run
grace is a number of seconds."""

from __future__ import annotations

import pytest

from ghapp.settings import Settings, SettingsError, from_env


def test_the_default_public_url_is_the_port_served() -> None:
    assert from_env({}, dotenv=None).public_url == "http://localhost:3000"
    assert from_env({"GHAPP_PORT": "4123"}, dotenv=None).public_url == "http://localhost:4123"


def test_a_public_url_that_was_set_is_kept() -> None:
    settings = from_env({"GHAPP_PORT": "4123", "GHAPP_PUBLIC_URL": "https://ptp.acme.test"}, dotenv=None)
    assert settings.public_url == "https://ptp.acme.test"
    assert settings.serving_on(5000).public_url == "https://ptp.acme.test"


def test_serving_on_another_port_moves_a_derived_public_url() -> None:
    moved = Settings().serving_on(5000)
    assert (moved.port, moved.public_url) == (5000, "http://localhost:5000")


def test_the_check_run_grace_is_seconds_with_a_fraction() -> None:
    assert from_env({}, dotenv=None).checks_grace_s == 3.0
    assert from_env({"GHAPP_CHECKS_GRACE_S": "0.5"}, dotenv=None).checks_grace_s == 0.5
    with pytest.raises(SettingsError, match="GHAPP_CHECKS_GRACE_S must be a number of seconds"):
        from_env({"GHAPP_CHECKS_GRACE_S": "soon"}, dotenv=None)
