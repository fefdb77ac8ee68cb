"""Run the Alembic migrations in this folder from code: `ghapp db upgrade`, and the start-up check.

Alembic is configured here, not from an `alembic.ini`, so the commands work from any directory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ghapp.db import Database

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
