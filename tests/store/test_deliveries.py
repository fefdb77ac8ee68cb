"""The deliveries table as the dashboard and the enforcement read it; states are stored as their plain names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ghapp.store.database import Database
from ghapp.store.deliveries import (
    RERUNNABLE,
    DeliveryState,
    head_payloads,
    installation_of,
    later_pull_request_actions,
    recent_deliveries,
)
from ghapp.store.inbox import Inbox, NewDelivery

REPO = "acme/payments"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _new(
    delivery_id: str,
    action: str,
    installation_id: int | None = 501,
    *,
    event: str = "pull_request",
    pr_number: int | None = 7,
    state: DeliveryState = DeliveryState.PENDING,
) -> NewDelivery:
    return NewDelivery(delivery_id, event, action, installation_id, REPO, pr_number, "{}", state)


def test_states_keep_the_names_the_database_stores() -> None:
    assert [s.value for s in DeliveryState] == ["pending", "processing", "done", "failed", "ignored", "shed"]
    assert DeliveryState.FAILED == "failed" and "done" in RERUNNABLE
    assert DeliveryState.PENDING not in RERUNNABLE and DeliveryState.PROCESSING not in RERUNNABLE


def test_recent_deliveries_are_an_installations_newest_first(db: Database) -> None:
    for i in range(3):
        Inbox(db, clock=lambda i=i: T0 + timedelta(minutes=i)).record(_new(f"d{i}", "opened"))
    Inbox(db, clock=lambda: T0).record(_new("other", "opened", installation_id=502))
    rows = recent_deliveries(db, 501, 2)
    assert [(r.delivery_id, r.state, r.attempts) for r in rows] == [("d2", "pending", 0), ("d1", "pending", 0)]
    assert not hasattr(rows[0], "payload")
    assert installation_of(db, "other") == 502
    assert installation_of(db, "unknown") is None


def test_later_actions_leave_out_this_delivery_earlier_ones_ignored_ones_and_other_prs(db: Database) -> None:
    def record(delivery_id: str, minutes: int, action: str, **kwargs: Any) -> None:
        Inbox(db, clock=lambda: T0 + timedelta(minutes=minutes)).record(_new(delivery_id, action, **kwargs))

    record("this", 5, "synchronize")
    record("earlier", 1, "closed")
    record("ignored", 6, "synchronize", state=DeliveryState.IGNORED)
    record("other-pr", 7, "reopened", pr_number=8)
    record("review", 8, "submitted", event="pull_request_review")
    record("edited", 9, "edited")
    actions = ["closed", "synchronize", "reopened"]

    def later() -> set[str]:
        return later_pull_request_actions(
            db, REPO, 7, after="this", received_at=T0 + timedelta(minutes=5), actions=actions
        )

    assert later() == set()
    record("closed-later", 10, "closed")
    assert later() == {"closed"}


def test_head_payloads_are_the_deliveries_that_set_the_head_oldest_first(db: Database) -> None:
    for minutes, delivery_id, action in [
        (3, "sync", "synchronize"),
        (1, "open", "opened"),
        (2, "edit", "edited"),
        (4, "close", "closed"),
        (5, "reopen", "reopened"),
    ]:
        Inbox(db, clock=lambda m=minutes: T0 + timedelta(minutes=m)).record(
            NewDelivery(delivery_id, "pull_request", action, 501, REPO, 7, f'{{"id": "{delivery_id}"}}')
        )
    Inbox(db, clock=lambda: T0).record(NewDelivery("other", "pull_request", "opened", 501, REPO, 8, "{}"))
    assert head_payloads(db, REPO, 7) == [
        (T0 + timedelta(minutes=1), '{"id": "open"}'),
        (T0 + timedelta(minutes=3), '{"id": "sync"}'),
        (T0 + timedelta(minutes=5), '{"id": "reopen"}'),
    ]
