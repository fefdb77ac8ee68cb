"""How the web tier's deliveries go into the inbox: a batch in one transaction, each delivery new, a duplicate
of an id already recorded, or a replay of a body recorded under another id within the replay window
(`store/replay_window.py`). What happens to a delivery after is `store/inbox.py`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ghapp.store.database import Database
from ghapp.store.deliveries import DELIVERIES
from ghapp.store.deliveries import DeliveryState as State
from ghapp.store.replay_window import holders
from ghapp.store.statements import insert_new, pipelined


@dataclass(frozen=True)
class NewDelivery:
    """A delivery as the web tier records it. `payload` is the raw JSON text GitHub sent; `body_digest` names
    the body for the replay window (`ghapp/store/replay_window.py`), None when the window is off."""

    delivery_id: str
    event: str
    action: str | None
    installation_id: int | None
    repository: str | None
    pr_number: int | None
    payload: str
    state: State = State.PENDING
    body_digest: str | None = None


class Recorded(StrEnum):
    """What `Inbox.record_many` made of a delivery."""

    NEW = "new"  # inserted
    DUPLICATE = "duplicate"  # its delivery id was recorded before (GitHub's redeliveries keep their id)
    REPLAY = "replay"  # its body was recorded under another delivery id within the replay window: not inserted


def _replayed(candidates: Iterable[NewDelivery], held: dict[str, set[str]]) -> set[str]:
    """The ids among `candidates` (one delivery per id, in order) that are replays: their digest is `held` by
    another id, or carried by an earlier candidate under another id. `held` gains the batch's digests."""
    replayed: set[str] = set()
    for d in candidates:
        if d.body_digest is None:
            continue
        holding = held.setdefault(d.body_digest, set())
        if holding - {d.delivery_id}:
            replayed.add(d.delivery_id)
        else:
            holding.add(d.delivery_id)
    return replayed


def record_many(
    db: Database, now: datetime, deliveries: Sequence[NewDelivery], replay_window_s: float = 0.0
) -> list[Recorded]:
    """Insert in one transaction. Each delivery is NEW, a DUPLICATE of an id already recorded (by another
    writer too, or earlier in the same batch), or, with `replay_window_s` > 0, a REPLAY: its
    `body_digest` was recorded under another delivery id within the window, or came earlier in the
    batch under another id; a replay is not inserted. One INSERT, plus the replay look-up when some delivery
    has a digest; on PostgreSQL that is one round trip, or two with the look-up (`store/statements.py`).
    The web tier's writer calls this through `Inbox`, at `now`."""
    digests = {d.body_digest for d in deliveries if d.body_digest is not None} if replay_window_s > 0 else set()
    first: dict[str, NewDelivery] = {}
    for d in deliveries:
        first.setdefault(d.delivery_id, d)
    with pipelined(db) as statements:
        replayed: set[str] = set()
        if digests:
            held = holders(statements, digests, now - timedelta(seconds=replay_window_s))
            replayed = _replayed(first.values(), held)
        rows = [
            {
                "delivery_id": d.delivery_id,
                "event": d.event,
                "action": d.action,
                "installation_id": d.installation_id,
                "repository": d.repository,
                "pr_number": d.pr_number,
                "received_at": now,
                "state": d.state,
                "attempts": 0,
                "next_attempt_at": now,
                "payload": d.payload,
                "finished_at": now if d.state != State.PENDING else None,
                "body_digest": d.body_digest,
            }
            for d in first.values()
            if d.delivery_id not in replayed
        ]
        # DO NOTHING also covers another writer (a second web replica on PostgreSQL) racing us to an id.
        inserted_keys = insert_new(statements, DELIVERIES, "delivery_id", rows)
    inserted = inserted_keys()  # read after the commit: on PostgreSQL the INSERT and COMMIT are one round trip
    return [
        Recorded.REPLAY
        if d.delivery_id in replayed
        else Recorded.NEW
        if d is first[d.delivery_id] and d.delivery_id in inserted
        else Recorded.DUPLICATE
        for d in deliveries
    ]
