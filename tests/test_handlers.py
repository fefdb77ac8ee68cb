"""The App's handler table: installation handlers keep the installations and repositories tables current, from
real payloads; a delivery the App can never process fails at once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select

from ghapp.core.decisions import Gate
from ghapp.enforcement import Enforcer
from ghapp.github.publish import check_name
from ghapp.handlers import LOW_VALUE, apply_installation, build_handlers, low_value, on_ping
from ghapp.runtime.jobs import JobContext, find_handler
from ghapp.runtime.queue import Queue
from ghapp.runtime.worker import Worker
from ghapp.settings import Settings
from ghapp.store.database import Database
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Claim, Inbox, NewDelivery
from ghapp.store.installations import Installation, Repository
from tests.e2e.harness import fake_runners
from tests.ghsim import GitHubSim

Payload = Callable[[str, str], dict[str, Any]]


def installations(db: Database) -> list[tuple[int, str, str, bool]]:
    with db.session() as s:
        return [(i.id, i.account_login, i.account_type, i.suspended) for i in s.exec(select(Installation))]


def repositories(db: Database) -> dict[str, tuple[int, bool, bool]]:
    with db.session() as s:
        return {r.full_name: (r.installation_id, r.private, r.removed) for r in s.exec(select(Repository))}


def run(db: Database, settings: Settings, event: str, payload: dict[str, Any]) -> None:
    inbox = Inbox(db)
    delivery_id = str(uuid.uuid4())
    inbox.record(NewDelivery(delivery_id, event, payload.get("action"), None, None, None, json.dumps(payload)))
    claim = inbox.claim(delivery_id, "w", 60)
    assert isinstance(claim, Claim)
    handler = find_handler(build_handlers(), event, payload.get("action"))
    assert handler is not None
    asyncio.run(handler(JobContext(delivery=claim, settings=settings, inbox=inbox, github_app=None)))


def test_installation_lifecycle(db: Database, make_settings: Callable[..., Settings], webhook_payload: Payload) -> None:
    settings = make_settings()
    run(db, settings, "installation", webhook_payload("installation", "created"))
    assert installations(db) == [(957387, "Codertocat", "User", False)]
    assert repositories(db) == {"Codertocat/Hello-World": (957387, False, False)}
    created = installations(db)
    run(db, settings, "installation", webhook_payload("installation", "created"))  # replayed: same state
    assert installations(db) == created

    suspend = webhook_payload("installation", "suspend")
    run(db, settings, "installation", suspend)
    suspended_id = suspend["installation"]["id"]
    assert (suspended_id, True) in [(i, s) for i, _, _, s in installations(db)]
    run(db, settings, "installation", webhook_payload("installation", "unsuspend"))
    unsuspended_id = webhook_payload("installation", "unsuspend")["installation"]["id"]
    assert (unsuspended_id, False) in [(i, s) for i, _, _, s in installations(db)]

    run(db, settings, "installation", webhook_payload("installation", "new_permissions_accepted"))
    assert len(installations(db)) >= 1

    run(db, settings, "installation", webhook_payload("installation", "deleted"))
    deleted_id = webhook_payload("installation", "deleted")["installation"]["id"]
    assert deleted_id not in [i for i, *_ in installations(db)]
    assert all(removed for inst, _, removed in repositories(db).values() if inst == deleted_id)


def test_accepted_permissions_drop_the_installations_cached_token(
    db: Database, make_settings: Callable[..., Settings], webhook_payload: Payload
) -> None:
    dropped: list[int] = []
    app = SimpleNamespace(tokens=SimpleNamespace(invalidate=dropped.append))
    inbox = Inbox(db)
    for action in ("new_permissions_accepted", "suspend"):
        payload = webhook_payload("installation", action)
        delivery_id = str(uuid.uuid4())
        inbox.record(NewDelivery(delivery_id, "installation", action, None, None, None, json.dumps(payload)))
        claim = inbox.claim(delivery_id, "w", 60)
        assert isinstance(claim, Claim)
        handler = find_handler(build_handlers(), "installation", action)
        assert handler is not None
        context = JobContext(delivery=claim, settings=make_settings(), inbox=inbox, github_app=app)  # type: ignore[arg-type]
        asyncio.run(handler(context))
    assert dropped == [webhook_payload("installation", "new_permissions_accepted")["installation"]["id"]]


def test_repositories_added_and_removed(
    db: Database, make_settings: Callable[..., Settings], webhook_payload: Payload
) -> None:
    settings = make_settings()
    added = webhook_payload("installation_repositories", "added")
    run(db, settings, "installation_repositories", added)
    names = {r["full_name"] for r in added["repositories_added"]}
    assert names and names <= set(repositories(db))
    assert all(not repositories(db)[n][2] for n in names)
    assert added["installation"]["id"] in [i for i, *_ in installations(db)]
    removed = webhook_payload("installation_repositories", "removed")
    run(db, settings, "installation_repositories", removed)
    for repo in removed["repositories_removed"]:
        assert repositories(db)[repo["full_name"]][2] is True
    run(db, settings, "installation_repositories", added)  # added back
    assert all(not repositories(db)[n][2] for n in names)


def test_an_installation_suspended_at_creation_is_stored_suspended(
    db: Database,
    webhook_payload: Payload,
) -> None:
    payload = webhook_payload("installation", "created")
    payload["installation"]["suspended_at"] = "2026-11-01T00:00:00Z"
    apply_installation(db, "new_permissions_accepted", payload)
    assert installations(db)[0][3] is True
    apply_installation(db, "unsuspend", payload)  # the action wins over a stale suspended_at
    assert installations(db)[0][3] is False


def test_ping_is_logged(
    make_settings: Callable[..., Settings], db: Database, webhook_payload: Payload, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO"):
        run(db, make_settings(), "ping", webhook_payload("ping", "payload"))
    assert "ping from GitHub" in caplog.text
    assert on_ping is build_handlers()["ping"]


@pytest.mark.parametrize(
    ("event", "action", "payload", "expected"),
    [
        ("pull_request", "labeled", {}, True),
        ("pull_request", "opened", {}, False),
        ("pull_request", "synchronize", {}, False),
        ("check_suite", "completed", {}, True),
        ("check_suite", "rerequested", {}, False),
        ("push", None, {"ref": "refs/heads/main", "repository": {"default_branch": "main"}}, False),
        ("push", None, {"ref": "refs/heads/feature", "repository": {"default_branch": "main"}}, True),
        ("push", None, {"ref": "refs/tags/v1", "repository": {"default_branch": "main"}}, True),
        ("installation", "created", {}, False),
    ],
)
def test_low_value(event: str, action: str | None, payload: dict[str, Any], expected: bool) -> None:
    assert low_value(event, action, payload) is expected


def test_the_table_routes_every_installation_action() -> None:
    for action in ("created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"):
        assert find_handler(build_handlers(), "installation", action) is not None
    assert find_handler(build_handlers(), "installation", "something_new") is None
    assert all(isinstance(k, tuple) for k in LOW_VALUE)


HEAD_SHA = "a" * 40
NO_REPOSITORY = {
    "push": {"ref": "refs/heads/main", "before": "0" * 40, "after": HEAD_SHA, "sender": {"login": "mallory"}},
    "pull_request": {"action": "closed", "number": 1, "pull_request": {"number": 1, "head": {"sha": HEAD_SHA}}},
    "issue_comment": {
        "action": "created",
        "issue": {"number": 1, "pull_request": {"url": "https://api.github.com/pulls/1"}},
        "comment": {"id": 5, "body": "/prompt-to-pr override lint a false positive", "user": {"login": "u"}},
    },
    "check_run": {
        "action": "rerequested",
        "check_run": {"name": check_name(Gate.LINT), "head_sha": HEAD_SHA, "external_id": "pr:1"},
    },
}


@pytest.mark.anyio
@pytest.mark.parametrize("event", sorted(NO_REPOSITORY))
async def test_a_delivery_that_names_no_repository_fails_at_once(
    db: Database,
    make_settings: Callable[..., Settings],
    event: str,
) -> None:
    """It can never be processed: it fails on its first attempt with the reason, instead of using up every
    retry (and the worker's time) on the same answer."""
    settings = make_settings(max_attempts=8)
    inbox = Inbox(db, max_attempts=settings.max_attempts)
    queue = Queue.from_settings(settings)
    sim = GitHubSim()
    github = sim.github_app()
    worker = Worker(
        settings,
        inbox,
        queue,
        handlers=build_handlers(Enforcer(runners=fake_runners())),
        github=lambda: github,
        periodic=False,
    )
    payload = NO_REPOSITORY[event]
    inbox.record(NewDelivery("d1", event, payload.get("action"), 9, None, None, json.dumps(payload)))
    try:
        assert await worker.process("d1") == "failed"
    finally:
        await github.aclose()
        queue.close()
    row = inbox.get("d1")
    assert row is not None and (row.state, row.attempts) == (DeliveryState.FAILED, 1)
    assert row.last_error == "the delivery names no repository"
    assert sim.state.log == []  # nothing was asked of GitHub, nothing published to a nameless repository
