"""Each open pull request's word on each gate of its head: a head shared by several PRs shows the strictest.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Expand only: one new table, nothing an older version reads is changed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "head_words",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("gate", sa.String(64), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_head_words"),
        sa.UniqueConstraint(
            "repository", "head_sha", "gate", "pr_number", name="uq_head_words_repository_head_sha_gate_pr_number"
        ),
    )
    op.create_index("ix_head_words_repository_pr_number", "head_words", ["repository", "pr_number"])


def downgrade() -> None:
    op.drop_table("head_words")
