"""The `overrides` table: `/prompt-to-pr override <gate> <reason>` as said on a pull request, and whether it
was accepted (the audit trail of overrides)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, select, update
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store import audit
from ghapp.store.database import AutoId, Database, table_of, upsert_statement, when


class OverrideRecord(SQLModel, table=True):
    """`/prompt-to-pr override <gate> <reason>` as said on a pull request: the audit trail of overrides."""

    __tablename__ = "overrides"
    __table_args__ = (Index("ix_overrides_repository_pr_number", "repository", "pr_number"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    comment_id: int = Field(sa_column=Column(BigInteger(), nullable=False, unique=True))
    repository: str = Field(max_length=255)
    pr_number: int
    head_sha: str = Field(max_length=64)
    gate: str = Field(max_length=64)
    reason: str = Field(default="", sa_column=Column(Text(), nullable=False))
    login: str = Field(max_length=255)
    accepted: bool | None = None  # as last judged: None until evaluated
    verdict: str = Field(default="", sa_column=Column(Text(), nullable=False))  # why it was (not) accepted
    delivery_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = when()


OVERRIDES = table_of(OverrideRecord)
_override = OVERRIDES.c


def overrides_on(db: Database, repository: str, pr_number: int) -> list[OverrideRecord]:
    """Every override said on the PR, oldest first."""
    with db.read() as conn:
        rows = conn.execute(
            select(OVERRIDES)
            .where(_override.repository == repository, _override.pr_number == pr_number)
            .order_by(_override.created_at, _override.id)
        ).all()
    return [OverrideRecord(**row._mapping) for row in rows]


def save_override(
    db: Database,
    *,
    comment_id: int,
    repository: str,
    pr_number: int,
    head_sha: str,
    gate: str,
    reason: str,
    login: str,
    delivery_id: str,
) -> bool:
    """Record an override comment; False when this comment was recorded already (a replayed delivery)."""
    with db.write() as conn:
        stmt = (
            upsert_statement(conn, OVERRIDES)
            .values(
                comment_id=comment_id,
                repository=repository,
                pr_number=pr_number,
                head_sha=head_sha,
                gate=gate,
                reason=reason,
                login=login,
                verdict="",
                delivery_id=delivery_id,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["comment_id"])
            .returning(_override.id)
        )
        if conn.execute(stmt).first() is None:
            return False
        audit.append(
            conn,
            [
                audit.Entry(
                    "override",
                    repository,
                    pr_number,
                    head_sha,
                    gate,
                    "said",
                    people=(login,),
                    summary=f"@{login} asked to override {gate}: {reason}",
                    detail={"comment_id": comment_id, "reason": reason},
                )
            ],
        )
        return True


def judge_override(db: Database, comment_id: int, accepted: bool, verdict: str) -> None:
    """Record whether the override was accepted, and why (or why not); the audit trail gets an event each time
    the judgement changes."""
    with db.write() as conn:
        row = conn.execute(select(OVERRIDES).where(_override.comment_id == comment_id)).first()
        conn.execute(
            update(OVERRIDES).where(_override.comment_id == comment_id).values(accepted=accepted, verdict=verdict)
        )
        if row is None or (row.accepted == accepted and row.verdict == verdict):
            return
        outcome = "accepted" if accepted else "refused"
        audit.append(
            conn,
            [
                audit.Entry(
                    "override",
                    row.repository,
                    row.pr_number,
                    row.head_sha,
                    row.gate,
                    outcome,
                    people=(row.login,),
                    summary=f"override of {row.gate} by @{row.login} {outcome}: {verdict}",
                    detail={"comment_id": comment_id, "reason": row.reason, "why": verdict},
                )
            ],
        )
