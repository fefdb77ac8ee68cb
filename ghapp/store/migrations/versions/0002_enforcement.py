"""Enforcement records: tool reports per head, overrides, review requests asked, direct pushes; check runs
remember the output last sent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Expand only: new tables and nullable columns, nothing an older version reads is changed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("check_runs") as batch:
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("annotations", sa.Text(), nullable=True))
    op.create_table(
        "tool_reports",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("gate", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tool_reports"),
        sa.UniqueConstraint("repository", "head_sha", "gate", name="uq_tool_reports_repository_head_sha_gate"),
    )
    op.create_table(
        "overrides",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("comment_id", sa.BigInteger(), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("gate", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("login", sa.String(255), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("delivery_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_overrides"),
        sa.UniqueConstraint("comment_id", name="uq_overrides_comment_id"),
    )
    op.create_index("ix_overrides_repository_pr_number", "overrides", ["repository", "pr_number"])
    op.create_table(
        "review_requests",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("reviewer", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_requests"),
        sa.UniqueConstraint(
            "repository",
            "pr_number",
            "head_sha",
            "kind",
            "reviewer",
            name="uq_review_requests_repository_pr_number_head_sha_kind_reviewer",
        ),
    )
    op.create_table(
        "direct_pushes",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("branch", sa.String(255), nullable=False),
        sa.Column("before_sha", sa.String(64), nullable=False),
        sa.Column("after_sha", sa.String(64), nullable=False),
        sa.Column("pusher", sa.String(255), nullable=False),
        sa.Column("commits", sa.Text(), nullable=False),
        sa.Column("check_run_id", sa.BigInteger(), nullable=True),
        sa.Column("issue_number", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_direct_pushes"),
        sa.UniqueConstraint("repository", "after_sha", name="uq_direct_pushes_repository_after_sha"),
    )


def downgrade() -> None:
    for table in ("direct_pushes", "review_requests", "overrides", "tool_reports"):
        op.drop_table(table)
    with op.batch_alter_table("check_runs") as batch:
        batch.drop_column("annotations")
        batch.drop_column("digest")
