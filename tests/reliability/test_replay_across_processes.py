"""A captured signed body replayed to ANOTHER web process: `ghapp serve` runs several web processes on one
port, so a replay that only the process which saw the body could catch would be caught only when it lands on
that process (an attacker just retries). The window lives in the inbox: every process sees it, with or without
Redis, on the embedded SQLite file and on PostgreSQL shared by replicas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ghapp.app import create_app
from ghapp.runtime.webhooks import WEBHOOK_PATH
from ghapp.settings import Settings
from ghapp.store.inbox import Inbox
from tests.conftest import TestClient, delivery_headers, load_webhook, migrated_pg_database


def _post(client: TestClient, body: bytes, delivery_id: str) -> Any:
    headers = {**delivery_headers("pull_request", body), "X-GitHub-Delivery": delivery_id}
    return client.post(WEBHOOK_PATH, content=body, headers=headers)


def _replay_to_the_other_process(settings: Settings) -> None:
    body = load_webhook("pull_request", "synchronize")
    # Two apps on the same database, as two web processes (or two replicas) are: nothing in memory is shared.
    with (
        TestClient(create_app(settings, run_worker=False)) as one,
        TestClient(create_app(settings, run_worker=False)) as two,
    ):
        assert _post(one, body, "first").json()["status"] == "accepted"
        for attempt in range(3):  # retrying does not help: every process answers from the one window
            replayed = _post(two, body, f"replayed-{attempt}")
            assert (replayed.status_code, replayed.json()["status"]) == (202, "duplicate")
            assert _post(one, body, f"again-{attempt}").json()["status"] == "duplicate"
        assert _post(two, body, "first").json()["status"] == "duplicate"  # GitHub's redelivery: same id
        inbox: Inbox = two.app.state.inbox  # type: ignore[attr-defined]
        assert inbox.counts()["pending"] == 1
        assert inbox.get("first") is not None and inbox.get("replayed-0") is None
        for app in (one.app, two.app):
            app.state.inbox.db.engine.dispose()  # type: ignore[attr-defined]


def test_a_replay_to_another_web_process_on_the_sqlite_file_is_a_duplicate(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    assert settings.database_url.startswith("sqlite:///") and not settings.redis_url
    _replay_to_the_other_process(settings)


@pytest.mark.postgres
def test_a_replay_to_another_replica_on_postgresql_is_a_duplicate(make_settings: Callable[..., Settings]) -> None:
    with migrated_pg_database("ghapp_replay") as url:
        _replay_to_the_other_process(make_settings(database_url=url))
