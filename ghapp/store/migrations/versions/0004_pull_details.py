"""Details pages: one JSON document per pull request head, written with the decision.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Expand only: a new table, nothing an older version reads is changed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "pull_details",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pull_details"),
        sa.UniqueConstraint(
            "repository", "pr_number", "head_sha", name="uq_pull_details_repository_pr_number_head_sha"
        ),
    )
    op.create_index("ix_pull_details_updated_at", "pull_details", ["updated_at"])


def downgrade() -> None:
    op.drop_table("pull_details")
