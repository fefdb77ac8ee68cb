"""The App's one clock: the current time as an aware UTC datetime (what every stored timestamp is)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
