"""The one clock gives aware UTC times (what every stored timestamp and GitHub timestamp is)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ghapp.clock import utcnow


def test_utcnow_is_aware_and_utc() -> None:
    before = datetime.now(UTC)
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)
