"""Settings from the environment: the public URL a process announces follows the port it serves."""

from __future__ import annotations

from ghapp.settings import Settings, from_env


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
