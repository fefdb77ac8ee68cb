"""The replay window's keys. The signature covers only the body, so whoever saw one delivery (a proxy log, a
mirror of the traffic) could send it again under any `X-GitHub-Delivery` and it would pass: a body (with its
event name) recorded under ANOTHER delivery id within `GHAPP_REPLAY_WINDOW_S` is a replay, answered as a
duplicate and not recorded.

The window itself lives in the inbox (`ghapp/store/replay_window.py`, decided by `Inbox.record_many` in the
recording transaction), so every web process and replica sees one window and a restart keeps it. GitHub's own
redeliveries keep their delivery id: they stay duplicates by id, never replays.
"""

from __future__ import annotations

import hashlib


def unsigned_prefix(event: str) -> bytes:
    """What comes before an unsigned body in its key's SHA-256 (the body reader hashes it as it reads)."""
    return event.encode() + b"\0"


def body_digest(event: str, body: bytes) -> str:
    """The key of an unsigned body (development only): SHA-256 of `unsigned_prefix(event)` and the body."""
    return hashlib.sha256(unsigned_prefix(event) + body).hexdigest()


def signed_body_digest(event: str, hmac_hex: str) -> str:
    """The key of a signed body: its HMAC-SHA256, already computed to check the signature, names the body
    as surely as a SHA-256 of it would (equal bodies under one secret, equal HMACs; otherwise a collision)."""
    return f"{event}:{hmac_hex}"
