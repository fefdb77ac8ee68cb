"""Run the Alembic migrations in this folder from code: `ghapp db upgrade`, and the start-up check.

Alembic is configured here, not from an `alembic.ini`, so the commands work from any directory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ghapp.db import Database, open_database

HERE = Path(__file__).resolve().parent


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


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate to `revision` in one transaction (on SQLite a second process waits for the first)."""
    config = alembic_config()
    with db.write() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


class SchemaNotCurrent(Exception):
    """The PostgreSQL schema is not at this version's head: `ghapp db upgrade` must run first."""


def ready_database(database_url: str) -> Database:
    """Open the database for `serve` / `worker`. A SQLite file is migrated on the spot (one box, one
    writer). PostgreSQL is only checked: with several replicas starting at once, migrating is a release
    step (`ghapp db upgrade`), not something each process races to do."""
    db = open_database(database_url)
    if db.is_sqlite:
        upgrade(db)
    elif (found := current(db)) != (wanted := head()):
        db.engine.dispose()
        raise SchemaNotCurrent(f"the database schema is at revision {found or 'none'}, this version needs "
                               f"{wanted}: run `ghapp db upgrade` first")
    return db


def downgrade(db: Database, revision: str) -> None:
    """Migrate down to `revision` ("base": nothing left). For rolling back a release; data in dropped
    columns and tables is gone."""
    config = alembic_config()
    with db.write() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
