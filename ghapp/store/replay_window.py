"""The replay window, kept in the inbox: which delivery ids recorded a body digest recently.

A signed body captured once (a proxy log, a mirror of the traffic) passes the signature check again under any
`X-GitHub-Delivery` id, so the inbox keeps each delivery's `body_digest` and `Inbox.record_many` refuses a
digest recorded under ANOTHER id within `GHAPP_REPLAY_WINDOW_S`. The look-up runs inside the recording
transaction: on SQLite that transaction holds the write lock from its first statement (BEGIN IMMEDIATE), so
web processes sharing the file take turns; on PostgreSQL the digests are first locked for the transaction
(advisory locks, in a fixed order), so of two replicas recording one body at once, the second sees the first's
committed row. Every web process and replica sees one window, and a restart forgets none of it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Dialect

from ghapp.store.deliveries import DELIVERIES
from ghapp.store.statements import Statements, marks

# The first key of the two-key advisory locks the window takes on PostgreSQL ("ghrp"), the digest's hash the
# second: no other lock of the App shares the space. Two digests with one hash only wait for each other.
LOCK_SPACE = 0x67687270
_LOCK = (
    "SELECT count(pg_advisory_xact_lock($1, k)) FROM "
    "(SELECT DISTINCT hashtext(d) AS k FROM unnest($2::text[]) AS d ORDER BY k) AS keys"
)


def holders(statements: Statements, digests: Collection[str], since: datetime) -> dict[str, set[str]]:
    """Of `digests`, those recorded at or after `since`, each with the delivery ids that recorded it. One
    statement (two on PostgreSQL, the first taking the digests' locks until the transaction ends, sent with
    the look-up in one round trip); `statements` must be the write transaction that records the batch."""
    if not digests:
        return {}
    ordered = sorted(set(digests))
    if statements.dialect.name == "postgresql":
        statements.send(_LOCK, (LOCK_SPACE, ordered))  # only its locks matter; the look-up reads after it
    lookup, convert = _lookup(statements.dialect, len(ordered))
    found: dict[str, set[str]] = {}
    # Planned for each batch: a plan kept from when the table was small scans all of it (a generic plan made
    # on a new install: 1.4-1.9 ms a batch until autovacuum's first ANALYZE); planned for the values given,
    # the digest's index finds them (bench/ack_profile.py --bodies 8192 --window 1: PostgreSQL's CPU 236-238
    # -> 147-154 µs a delivery).
    for digest, delivery_id in statements.send(lookup, (*ordered, convert(since)), planned_each_time=True)():
        found.setdefault(digest, set()).add(delivery_id)
    return found


@lru_cache(maxsize=64)
def _lookup(dialect: Dialect, count: int) -> tuple[str, Callable[[Any], Any]]:
    """The look-up for `count` digests, as driver SQL (nothing compiled per call), and `received_at`'s bind
    processor (the UTC column stores naive UTC)."""
    quote = dialect.identifier_preparer.quote
    column = DELIVERIES.c
    digest, delivery_id, received_at = (
        quote(c.name) for c in (column.body_digest, column.delivery_id, column.received_at)
    )
    *digest_marks, since_mark = marks(dialect, count + 1)
    lookup = (
        f"SELECT {digest}, {delivery_id} FROM {quote(DELIVERIES.name)} "  # noqa: S608 - the table's own names
        f"WHERE {digest} IN ({', '.join(digest_marks)}) AND {received_at} >= {since_mark}"
    )
    convert = column.received_at.type.bind_processor(dialect)
    return lookup, convert if convert is not None else (lambda value: value)
