"""Alembic environment: migrate the connection `ghapp.store.migrations.upgrade` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ghapp.store.schema import METADATA

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `ghapp db upgrade` (ghapp.store.migrations.upgrade)")
run(connection)
