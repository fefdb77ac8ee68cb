"""PostgreSQL keeps each delivery's body in its row, compressed, instead of in the TOAST table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Phase: storage

A 28 KB webhook body is over PostgreSQL's 2 KB threshold, so with the column's default storage (EXTENDED) it
was compressed and then moved out of line anyway: three or four TOAST rows and their index entries per
delivery, which cost the web tier's inserts 240-590 µs of backend CPU a row, growing with the table (the
acknowledgement benchmark, `docs/benchmarks.md`). With MAIN storage the compressed body (about 5 KB) stays in
the row: 130-170 µs. Only rows written from now on are stored this way; older ones read as ever, and no
release sees a difference in what it reads or writes. A body that does not fit a page even compressed still
goes out of line. SQLite has no such setting (its bodies are compressed by the App, `store/database.Payload`).
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE deliveries ALTER COLUMN payload SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE deliveries ALTER COLUMN payload SET STORAGE EXTENDED")
