"""The replay window moves into the inbox: each delivery keeps the digest of its body, so every web process
(and every replica) sees the bodies recorded within `GHAPP_REPLAY_WINDOW_S`, and a restart forgets none.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09

Expand only: one nullable column and its index; rows an older version writes have no digest and are never
taken for a replay.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("body_digest", sa.String(160), nullable=True))
    op.create_index("ix_deliveries_body_digest", "deliveries", ["body_digest"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_body_digest", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("body_digest")
