"""The heads a pull request had, as the App heard of them: the `pull_request` deliveries that set a head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, select

from ghapp.store.database import Database, Delivery

_D: Table = Delivery.__table__  # type: ignore[attr-defined]
HEAD_ACTIONS = ("opened", "reopened", "synchronize")  # the actions that give a pull request its head


def head_payloads(db: Database, repository: str, pr_number: int) -> list[tuple[datetime, str]]:
    """(received at, raw payload) of every delivery that set this PR's head, oldest first."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(_D.c.received_at, _D.c.payload).where(
            _D.c.repository == repository, _D.c.pr_number == pr_number, _D.c.event == "pull_request",
            _D.c.action.in_(HEAD_ACTIONS)).order_by(_D.c.received_at)).all()
    return [(received, payload) for received, payload in rows]
