"""The `direct_pushes` table: AI-written commits that reached a watched branch without a pull request, one
row per pushed head, with the issue opened about it."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint, select, update
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store import audit
from ghapp.store.database import AutoId, Database, table_of, upsert_statement, when


class DirectPush(SQLModel, table=True):
    """AI-written commits that reached a watched branch without a pull request (one row per pushed head)."""

    __tablename__ = "direct_pushes"
    __table_args__ = (UniqueConstraint("repository", "after_sha"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    branch: str = Field(max_length=255)
    before_sha: str = Field(max_length=64)
    after_sha: str = Field(max_length=64)
    pusher: str = Field(max_length=255)
    commits: str = Field(default="[]", sa_column=Column(Text(), nullable=False))  # JSON: sha, tools, evidence
    check_run_id: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    issue_number: int | None = None
    created_at: datetime = when()


DIRECT_PUSHES = table_of(DirectPush)
_push = DIRECT_PUSHES.c


def find_push(db: Database, repository: str, after_sha: str) -> DirectPush | None:
    """The recorded push of this head, if any."""
    with db.read() as conn:
        row = conn.execute(
            select(DIRECT_PUSHES).where(_push.repository == repository, _push.after_sha == after_sha)
        ).first()
    return None if row is None else DirectPush(**row._mapping)


def record_push(
    db: Database, *, repository: str, branch: str, before_sha: str, after_sha: str, pusher: str, commits: str
) -> None:
    """Record a push (a head recorded already is left as it is). `commits`: JSON of the flagged commits."""
    with db.write() as conn:
        new = conn.execute(
            upsert_statement(conn, DIRECT_PUSHES)
            .values(
                repository=repository,
                branch=branch,
                before_sha=before_sha,
                after_sha=after_sha,
                pusher=pusher,
                commits=commits,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["repository", "after_sha"])
            .returning(_push.id)
        ).first()
        if new is not None:
            flagged = json.loads(commits)
            tools = [t for c in flagged if isinstance(c, dict) for t in c.get("tools") or ()]
            audit.append(
                conn,
                [
                    audit.Entry(
                        "direct_push",
                        repository,
                        None,
                        after_sha,
                        "provenance",
                        "pushed",
                        verdict="ai",
                        tools=tuple(tools),
                        people=(pusher,),
                        summary=f"@{pusher} pushed {len(flagged)} AI-written commit(s) to {branch}",
                        detail={"branch": branch, "before": before_sha, "commits": flagged},
                    )
                ],
            )


def set_push_issue(db: Database, repository: str, after_sha: str, issue_number: int) -> None:
    """Remember the issue opened about the push."""
    with db.write() as conn:
        conn.execute(
            update(DIRECT_PUSHES)
            .where(_push.repository == repository, _push.after_sha == after_sha)
            .values(issue_number=issue_number)
        )
