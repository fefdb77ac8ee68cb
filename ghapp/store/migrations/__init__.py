"""Run the Alembic migrations in this folder from code: `ghapp db upgrade`, and the start-up check.

Alembic is configured here, not from an `alembic.ini`, so the commands work from any directory.
Migrations are written expand / backfill / contract (docs/operations.md), so a version keeps running on the
schema of the release after it: during a rolling deploy the old replicas meet a newer revision than theirs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from ghapp.store.database import Database, StoreError, open_database

HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None, "the migrations folder has no head revision"
    return revision


def current(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(db: Database) -> bool:
    return current(db) == head()


def is_newer(revision: str | None) -> bool:
    """A revision this version does not know: a later release wrote it."""
    if revision is None:
        return False
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is None
    except CommandError:  # alembic's "Can't locate revision"
        return True


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate to `revision` in one transaction (on SQLite a second process waits for the first)."""
    config = alembic_config()
    with db.write() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


class SchemaNotCurrent(StoreError):
    """The PostgreSQL schema is not at this version's head: `ghapp db upgrade` must run first."""


def ready_database(database_url: str) -> Database:
    """Open the database for `serve` / `worker`. A SQLite file is migrated on the spot (one box, one
    writer). PostgreSQL is only checked: with several replicas starting at once, migrating is a release
    step (`ghapp db upgrade`), not something each process races to do. A schema from a later release is
    accepted as it is (an old replica restarting mid-rollout must come back, not crash-loop)."""
    db = open_database(database_url)
    found = current(db)
    if is_newer(found):
        log.warning(
            "the database schema is at revision %s, newer than this version's %s: running on it, as "
            "during a rolling deploy (a release only adds to the schema the one before it reads)",
            found,
            head(),
        )
        return db
    if db.is_sqlite:
        upgrade(db)
    elif found != (wanted := head()):
        db.engine.dispose()
        raise SchemaNotCurrent(
            f"the database schema is at revision {found or 'none'}, this version needs "
            f"{wanted}: run `ghapp db upgrade` first"
        )
    return db


def downgrade(db: Database, revision: str) -> None:
    """Migrate down to `revision` ("base": nothing left). For rolling back a release; data in dropped
    columns and tables is gone."""
    config = alembic_config()
    with db.write() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
