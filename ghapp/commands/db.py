"""`ghapp db`: migrate the database, show its revision, run a failed delivery again."""

from __future__ import annotations

import argparse
import sys

from ghapp.runtime.queue import Queue
from ghapp.settings import SettingsError, from_env
from ghapp.store.database import open_database
from ghapp.store.inbox import Inbox
from ghapp.store.migrations import current, head, upgrade

HELP = "Database tasks: `upgrade` (run migrations), `current` (show revision), `requeue ID` (run a delivery again)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="db_command", metavar="TASK", required=True)
    up = sub.add_parser("upgrade", help="migrate to the newest schema (or to --revision)")
    up.add_argument("--revision", default="head")
    sub.add_parser("current", help="print the schema revision; exit 1 when it is behind this version")
    again = sub.add_parser("requeue", help="run a failed, shed, ignored or done delivery again")
    again.add_argument("delivery_id")


def run(args: argparse.Namespace) -> int:
    try:
        settings = from_env()
    except SettingsError as exc:
        print(f"ghapp db: {exc}", file=sys.stderr)
        return 2
    db = open_database(settings.database_url)
    try:
        if args.db_command == "upgrade":
            upgrade(db, args.revision)
            print(f"database at revision {current(db)}")
            return 0
        if args.db_command == "current":
            found, wanted = current(db), head()
            print(f"database at revision {found or 'none'}; this version needs {wanted}")
            return 0 if found == wanted else 1
        if not Inbox(db).requeue(args.delivery_id):
            print(f"delivery {args.delivery_id} is unknown, or already waiting or running", file=sys.stderr)
            return 1
        queue = Queue.from_settings(settings)
        queue.enqueue(args.delivery_id)
        queue.close()
        print(f"delivery {args.delivery_id} queued again")
        return 0
    except Exception as exc:  # an unreachable or broken database: say so, exit 2
        print(f"ghapp db: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        db.engine.dispose()
