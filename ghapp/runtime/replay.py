"""The replay window's keys. The signature covers only the body, so whoever saw one delivery (a proxy log, a
mirror of the traffic) could send it again under any `X-GitHub-Delivery` and it would pass: a body recorded under
ANOTHER delivery id within `GHAPP_REPLAY_WINDOW_S` is a replay, answered as a duplicate and not recorded. The key
is the body's alone: `X-GitHub-Event` is not signed either, so the same bytes sent again under another event
name are the same replay (GitHub never sends one body for two events: each payload says what happened).

The window itself lives in the inbox (`ghapp/store/replay_window.py`, decided by `Inbox.record_many` in the
recording transaction), so every web process and replica sees one window and a restart keeps it. GitHub's own
redeliveries keep their delivery id: they stay duplicates by id, never replays.
"""

from __future__ import annotations

import hashlib

# What comes before an unsigned body in its key's SHA-256 (the body reader hashes it as it reads).
UNSIGNED_PREFIX = b"unsigned\0"


def body_digest(body: bytes) -> str:
    """The key of an unsigned body (development only): SHA-256 of `UNSIGNED_PREFIX` and the body."""
    return hashlib.sha256(UNSIGNED_PREFIX + body).hexdigest()


def signed_body_digest(hmac_hex: str) -> str:
    """The key of a signed body: its HMAC-SHA256, already computed to check the signature, names the body
    as surely as a SHA-256 of it would (equal bodies under one secret, equal HMACs; otherwise a collision)."""
    return f"hmac:{hmac_hex}"
