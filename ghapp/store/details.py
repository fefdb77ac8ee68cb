"""The `pull_details` table: everything the details page of one pull request head shows, kept as one JSON
document written with the decision, so a page view is one indexed read and never a GitHub call.

A decision may publish only some gates (a review re-judges approvals alone): the document's `gates` merge
gate by gate, and every other key is replaced by the newer decision's.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store.database import AutoId, Database, table_of, when


class PullDetails(SQLModel, table=True):
    """What the App knew and concluded about one head of one pull request, for its details page."""

    __tablename__ = "pull_details"
    __table_args__ = (UniqueConstraint("repository", "pr_number", "head_sha"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    pr_number: int
    head_sha: str = Field(max_length=64)
    content: str = Field(sa_column=Column(Text(), nullable=False))  # JSON
    updated_at: datetime = when(index=True)


PULL_DETAILS = table_of(PullDetails)
_details = PULL_DETAILS.c


def save(conn: Connection, repository: str, pr_number: int, head_sha: str, content: dict[str, Any]) -> None:
    """Write the head's document inside the caller's transaction, merging `gates` into what is there."""
    key = (_details.repository == repository, _details.pr_number == pr_number, _details.head_sha == head_sha)
    old = conn.execute(select(_details.content).where(*key)).scalar()
    if old is None:
        conn.execute(
            PULL_DETAILS.insert().values(
                repository=repository,
                pr_number=pr_number,
                head_sha=head_sha,
                content=json.dumps(content),
                updated_at=utcnow(),
            )
        )
        return
    merged = {**json.loads(old), **content}
    merged["gates"] = {**json.loads(old).get("gates", {}), **content.get("gates", {})}
    conn.execute(update(PULL_DETAILS).where(*key).values(content=json.dumps(merged), updated_at=utcnow()))


def details_of(
    db: Database, repository: str, pr_number: int, head_sha: str | None = None
) -> tuple[str, datetime, dict[str, Any]] | None:
    """(head sha, when written, document) for this head, or for the newest head recorded when `head_sha` is
    None; None when the App recorded nothing for it."""
    query = select(_details.head_sha, _details.updated_at, _details.content).where(
        _details.repository == repository, _details.pr_number == pr_number
    )
    if head_sha is not None:
        query = query.where(_details.head_sha == head_sha)
    with db.read() as conn:
        row = conn.execute(query.order_by(_details.updated_at.desc(), _details.id.desc()).limit(1)).first()
    return None if row is None else (str(row.head_sha), row.updated_at, json.loads(row.content))
