"""The job contract: JobContext, Retry, Unprocessable and the handler table lookup."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ghapp.runtime.jobs import JobContext, NotConfigured, Retry, Unprocessable, find_handler
from ghapp.settings import Settings
from ghapp.store.database import Database
from ghapp.store.inbox import Claim, Inbox, NewDelivery


def claim_for(db: Database, payload: dict[str, Any], *, installation_id: int | None = 9) -> Claim:
    inbox = Inbox(db)
    inbox.record(NewDelivery("d1", "pull_request", "opened", installation_id, "o/r", 1, json.dumps(payload)))
    claim = inbox.claim("d1", "w", 60)
    assert isinstance(claim, Claim)
    return claim


def test_job_context_reads_the_payload_and_refuses_github_without_credentials(
    db: Database,
    make_settings: Callable[..., Settings],
) -> None:
    claim = claim_for(db, {"action": "opened", "number": 1}, installation_id=None)
    ctx = JobContext(delivery=claim, settings=make_settings(), inbox=Inbox(db), github_app=None)
    assert ctx.payload == {"action": "opened", "number": 1}
    assert (ctx.event, ctx.action) == ("pull_request", "opened")
    with pytest.raises(NotConfigured, match="/setup"):
        _ = ctx.github
    with pytest.raises(Unprocessable, match="carries no installation"):
        ctx.installation()


def test_job_context_gives_the_installation_api(db: Database, make_settings: Callable[..., Settings]) -> None:
    from tests.ghsim import GitHubSim  # noqa: PLC0415

    sim = GitHubSim()
    claim = claim_for(db, {"action": "opened"})
    ctx = JobContext(delivery=claim, settings=sim.settings(), inbox=Inbox(db), github_app=sim.github_app())
    assert ctx.github is ctx.github_app
    assert ctx.installation().installation_id == 9


def test_retry_carries_its_delay_and_reason() -> None:
    retry = Retry(30, "rate limited")
    assert (retry.after_s, retry.reason, str(retry)) == (30, "rate limited", "rate limited")
    assert Retry(-5).after_s == 0


async def _noop(ctx: JobContext) -> None:
    return None


async def _other(ctx: JobContext) -> None:
    return None


@pytest.mark.parametrize(
    ("event", "action", "expected"),
    [
        ("pull_request", "opened", _noop),
        ("pull_request", "closed", _other),
        ("push", None, _other),
        ("ping", None, None),
        ("ping", "x", None),
    ],
)
def test_find_handler_prefers_the_action_row(event: str, action: str | None, expected: object) -> None:
    table = {("pull_request", "opened"): _noop, "pull_request": _other, "push": _other}
    assert find_handler(table, event, action) is expected
