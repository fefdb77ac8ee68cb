"""Run as a script by test_rolling_deploy, with the PREVIOUS release's code first on PYTHONPATH: what an old
worker does to the database (record, claim, heartbeat, complete, fail, sweep; evaluations and check runs
written and read) against a database the NEW release already migrated. Prints one JSON object.

Only APIs the previous release has may be used here; when they change, this script must handle both.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main(url: str) -> dict[str, Any]:
    import ghapp  # noqa: PLC0415 - imported here so the caller's PYTHONPATH decides which code this is

    # Choose by the release's own tree: the editable install's import hook would find the new
    # `ghapp.store` for an old `ghapp` package, so a try/except ImportError cannot tell.
    store = Path(ghapp.__file__).parent / "store"
    if (store / "check_runs.py").is_file():  # one module per table family
        from ghapp.store.check_runs import CheckRun  # noqa: PLC0415
        from ghapp.store.database import open_database  # noqa: PLC0415
        from ghapp.store.evaluations import Evaluation  # noqa: PLC0415
        from ghapp.store.inbox import Inbox, NewDelivery  # noqa: PLC0415
        from ghapp.store.migrations import current, head  # noqa: PLC0415
    elif store.is_dir():  # the store package with every table in database.py
        from ghapp.store.database import CheckRun, Evaluation, open_database  # type: ignore[attr-defined,no-redef]  # noqa: PLC0415
        from ghapp.store.inbox import Inbox, NewDelivery  # type: ignore[no-redef]  # noqa: PLC0415
        from ghapp.store.migrations import current, head  # type: ignore[no-redef]  # noqa: PLC0415
    else:  # releases before it
        from ghapp.db import CheckRun, Evaluation, open_database  # type: ignore[no-redef]  # noqa: PLC0415
        from ghapp.inbox import Inbox, NewDelivery  # type: ignore[no-redef]  # noqa: PLC0415
        from ghapp.migrations import current, head  # type: ignore[no-redef]  # noqa: PLC0415

    db = open_database(url)
    inbox = Inbox(db, max_attempts=3)
    out: dict[str, Any] = {"ghapp": ghapp.__file__, "code_head": head(), "db_revision": current(db)}

    first = NewDelivery("old-1", "pull_request", "opened", 7, "acme/payments", 1, '{"action": "opened"}')
    # True/False before the inbox told replays apart; `Recorded` ("new", "duplicate", "replay") since
    out["recorded"] = [inbox.record(first) in (True, "new"), inbox.record(first) in (True, "new")]
    claim = inbox.claim("old-1", "old-worker", 60)
    out["claimed"] = getattr(claim, "delivery_id", None)
    out["extended"] = inbox.extend("old-1", "old-worker", 60)
    out["completed"] = inbox.complete("old-1", "old-worker", 12.5)

    inbox.record(NewDelivery("old-2", "pull_request", "synchronize", 7, "acme/payments", 2, "{}"))
    out["claimed_again"] = getattr(inbox.claim("old-2", "old-worker", 60), "delivery_id", None)
    out["retry_in"] = inbox.fail("old-2", "old-worker", "GitHub said 502")
    out["new_release_delivery"] = getattr(inbox.claim("new-1", "old-worker", 60), "delivery_id", None)
    out["new_release_completed"] = inbox.complete("new-1", "old-worker", 3.0)
    out["swept"] = inbox.sweep(3600)
    out["counts"] = inbox.counts()

    with db.session() as session:
        session.add(
            Evaluation(
                delivery_id="old-1",
                repository="acme/payments",
                pr_number=1,
                head_sha="a" * 40,
                gate="lint",
                conclusion="success",
                summary="no findings",
                reasons="[]",
            )
        )
        session.add(
            CheckRun(
                repository="acme/payments",
                head_sha="a" * 40,
                gate="lint",
                check_run_id=4242,
                status="completed",
                conclusion="success",
            )
        )
        session.commit()
    with db.session() as session:
        runs = session.query(CheckRun).order_by(CheckRun.check_run_id).all()  # type: ignore[arg-type]
        for run in runs:
            if run.gate == "types":  # written by the new release: the old one moves it on
                run.status, run.conclusion = "completed", "failure"
        session.commit()
        out["check_runs"] = [[run.check_run_id, run.gate, run.status, run.conclusion] for run in runs]
        out["evaluations"] = sorted(e.gate for e in session.query(Evaluation).all())
    db.engine.dispose()
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
