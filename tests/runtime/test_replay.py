"""The replay window at the endpoint: a body recorded under another delivery id within the window is answered
`duplicate`, logged and not recorded, signed or unsigned; each delivery keeps its body's key in the inbox; the
window survives a restart; switched off, nothing is a replay."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any

import pytest

from ghapp.app import create_app
from ghapp.runtime.replay import body_digest, signed_body_digest
from ghapp.runtime.webhooks import WEBHOOK_PATH
from ghapp.settings import Settings
from ghapp.store.inbox import Inbox
from tests.conftest import WEBHOOK_SECRET, TestClient, delivery_headers, load_webhook


def post(client: TestClient, body: bytes, delivery_id: str, *, signed: bool = True, event: str = "pull_request") -> Any:
    headers = {**delivery_headers(event, body), "X-GitHub-Delivery": delivery_id}
    if not signed:
        del headers["X-Hub-Signature-256"]
    return client.post(WEBHOOK_PATH, content=body, headers=headers)


def inbox_of(client: TestClient) -> Inbox:
    inbox: Inbox = client.app.state.inbox  # type: ignore[attr-defined]
    return inbox


def test_the_keys_name_the_body_alone() -> None:
    assert body_digest(b"{}") != body_digest(b"{ }")
    mac = hmac.new(WEBHOOK_SECRET.encode(), b"{}", hashlib.sha256).hexdigest()
    assert signed_body_digest(mac) == f"hmac:{mac}"
    assert len(signed_body_digest(mac)) <= 160  # fits the inbox's column


def test_a_signed_body_sent_again_under_another_event_header_is_a_replay(
    make_settings: Callable[..., Settings],
) -> None:
    """The event header is not signed: a captured review body sent again as `pull_request` (whose `edited`
    handler would judge the PR from the stale copy it carries) is refused like any replay."""
    body = load_webhook("pull_request", "opened")
    with TestClient(create_app(make_settings(), run_worker=False)) as client:
        assert post(client, body, "first").json()["status"] == "accepted"
        replayed = post(client, body, "replayed", event="pull_request_review")
        assert (replayed.status_code, replayed.json()) == (202, {"delivery_id": "replayed", "status": "duplicate"})
        assert inbox_of(client).get("replayed") is None


def test_a_signed_body_under_another_id_is_a_duplicate_and_its_key_is_kept(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    body = load_webhook("pull_request", "opened")
    with TestClient(create_app(make_settings(), run_worker=False)) as client:
        assert post(client, body, "first").json()["status"] == "accepted"
        with caplog.at_level(logging.WARNING, logger="ghapp.runtime.webhooks"):
            replayed = post(client, body, "replayed")
        assert (replayed.status_code, replayed.json()) == (202, {"delivery_id": "replayed", "status": "duplicate"})
        assert "a replay, not recorded" in caplog.text
        row = inbox_of(client).get("first")
        mac = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert row is not None and row.body_digest == signed_body_digest(mac)
        assert inbox_of(client).get("replayed") is None
        assert client.app.state.queue.size() == 1  # type: ignore[attr-defined]


def test_an_unsigned_body_is_keyed_by_its_sha256(make_settings: Callable[..., Settings]) -> None:
    body = load_webhook("pull_request", "synchronize")
    settings = make_settings(webhook_secret="", allow_unsigned=True)
    with TestClient(create_app(settings, run_worker=False)) as client:
        assert post(client, body, "first", signed=False).json()["status"] == "accepted"
        assert post(client, body, "replayed", signed=False).json()["status"] == "duplicate"
        row = inbox_of(client).get("first")
        assert row is not None and row.body_digest == body_digest(body)


def test_the_window_survives_a_restart(make_settings: Callable[..., Settings]) -> None:
    body = load_webhook("pull_request", "opened")
    with TestClient(create_app(make_settings(), run_worker=False)) as before:
        assert post(before, body, "first").json()["status"] == "accepted"
    with TestClient(create_app(make_settings(), run_worker=False)) as after:
        assert post(after, body, "replayed").json()["status"] == "duplicate"
        assert post(after, body, "first").json()["status"] == "duplicate"  # GitHub's redelivery: same id
        assert inbox_of(after).get("replayed") is None


def test_with_the_window_off_no_key_is_kept_and_nothing_is_a_replay(make_settings: Callable[..., Settings]) -> None:
    body = load_webhook("pull_request", "opened")
    with TestClient(create_app(make_settings(replay_window_s=0), run_worker=False)) as client:
        assert post(client, body, "first").json()["status"] == "accepted"
        assert post(client, body, "second").json()["status"] == "accepted"
        row = inbox_of(client).get("first")
        assert row is not None and row.body_digest is None
