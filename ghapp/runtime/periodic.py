"""Periodic duties shared by every worker process, each run by one process at a time: the sweeper, the
missed-delivery job and the audit trail's retention. Turns are taken through a row in `app_state`, so ten
workers do not sweep ten times.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from ghapp.clock import utcnow
from ghapp.github import GitHubApp
from ghapp.github.deliveries import list_failed_deliveries, redeliver
from ghapp.github.errors import GitHubError
from ghapp.store.app_state import read_value, write_value
from ghapp.store.audit import prune
from ghapp.store.database import Database
from ghapp.store.inbox import Inbox

REDELIVER_LAST_RUN = "redeliver.last_run"
REDELIVER_LOOKBACK = timedelta(hours=24)  # GitHub keeps deliveries for 3 days; a day back is plenty
PRUNE_INTERVAL_S = 3600
log = logging.getLogger(__name__)


def sweep(inbox: Inbox, stale_after_s: float) -> list[str]:
    """Delivery ids to enqueue again (see Inbox.sweep)."""
    ids = inbox.sweep(stale_after_s)
    if ids:
        log.info("sweeper found %d deliveries to run again", len(ids))
    return ids


async def redeliver_missed(app: GitHubApp, inbox: Inbox, now: datetime | None = None) -> list[str]:
    """Ask GitHub to send again every delivery it failed to deliver since the last run (at most a day back)
    that the inbox does not have. Returns the guids asked for. The run's start time is stored only when
    the whole listing succeeded, so a failed run is covered by the next one."""
    started = now or utcnow()
    last = await asyncio.to_thread(read_value, inbox.db, REDELIVER_LAST_RUN)
    since = started - REDELIVER_LOOKBACK
    if last:
        since = max(since, datetime.fromisoformat(last))
    failed = await list_failed_deliveries(app, since)
    have = await asyncio.to_thread(inbox.known, [f.guid for f in failed]) if failed else set()
    asked = []
    for delivery in failed:
        if delivery.guid in have:
            continue  # we recorded it (GitHub saw a timeout or error after our commit): nothing is missing
        try:
            await redeliver(app, delivery.delivery_id)
            asked.append(delivery.guid)
        except GitHubError as exc:
            log.warning("redelivery refused", extra={"guid": delivery.guid, "error": str(exc)})
    await asyncio.to_thread(write_value, inbox.db, REDELIVER_LAST_RUN, started.isoformat())
    if asked:
        log.info("asked GitHub to redeliver %d missed deliveries", len(asked))
    return asked


def prune_audit(db: Database, retention_days: int, now: datetime | None = None) -> int:
    """Delete audit events older than the retention period (0 days: keep everything); returns how many."""
    if retention_days <= 0:
        return 0
    gone = prune(db, (now or utcnow()) - timedelta(days=retention_days))
    if gone:
        log.info("pruned %d audit events older than %d days", gone, retention_days)
    return gone
