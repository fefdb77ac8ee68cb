"""The `review_requests` table: the reviews the App asked for on one head of a pull request, so each is asked
once per head, and so the App knows which of a pull request's pending requests are its own to withdraw (a
withdrawn or handed-over request is forgotten: its rows go, the audit trail keeps what happened)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Column, UniqueConstraint, and_, delete, or_, select
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store import audit
from ghapp.store.database import AutoId, Database, table_of, upsert_statement, when


class ReviewRequestRecord(SQLModel, table=True):
    """A review the App asked for on one head of a pull request: asked once per head, never again."""

    __tablename__ = "review_requests"
    __table_args__ = (UniqueConstraint("repository", "pr_number", "head_sha", "kind", "reviewer"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    pr_number: int
    head_sha: str = Field(max_length=64)
    kind: str = Field(max_length=8)  # user, team
    reviewer: str = Field(max_length=255)  # login, or the team slug without the org
    created_at: datetime = when()


REVIEW_REQUESTS = table_of(ReviewRequestRecord)
_request = REVIEW_REQUESTS.c


def asked(db: Database, repository: str, pr_number: int, head_sha: str) -> list[tuple[str, str]]:
    """(kind, reviewer) of every review asked for on this head."""
    with db.read() as conn:
        rows = conn.execute(
            select(_request.kind, _request.reviewer).where(
                _request.repository == repository, _request.pr_number == pr_number, _request.head_sha == head_sha
            )
        ).all()
    return [(kind, reviewer) for kind, reviewer in rows]


def asked_on_pull(db: Database, repository: str, pr_number: int) -> list[tuple[str, str, str]]:
    """(head_sha, kind, reviewer) of every review the App asked for on any head of the pull request and has not
    withdrawn or forgotten since."""
    with db.read() as conn:
        rows = conn.execute(
            select(_request.head_sha, _request.kind, _request.reviewer).where(
                _request.repository == repository, _request.pr_number == pr_number
            )
        ).all()
    return [(head_sha, kind, reviewer) for head_sha, kind, reviewer in rows]


def forget(
    db: Database,
    repository: str,
    pr_number: int,
    head_sha: str,
    entries: Sequence[tuple[str, str]],
    *,
    withdrawn: Sequence[tuple[str, str]] = (),
) -> None:
    """Forget the App's requests of (kind, reviewer) on every head of the pull request; those in `withdrawn`
    the App took back on `head_sha`, and the audit trail says so."""
    pairs = list(dict.fromkeys([*entries, *withdrawn]))
    if not pairs:
        return
    with db.write() as conn:
        conn.execute(
            delete(REVIEW_REQUESTS).where(
                _request.repository == repository,
                _request.pr_number == pr_number,
                or_(*(and_(_request.kind == kind, _request.reviewer == reviewer) for kind, reviewer in pairs)),
            )
        )
        audit.append(
            conn,
            [
                audit.Entry(
                    "review_request",
                    repository,
                    pr_number,
                    head_sha,
                    "approvals",
                    "withdrawn",
                    people=(reviewer,),
                    summary=f"review request withdrawn from @{reviewer}: no longer needed",
                    detail={"kind": kind, "reviewer": reviewer, "withdrawn": True},
                )
                for kind, reviewer in withdrawn
            ],
        )


def record_asked(
    db: Database, repository: str, pr_number: int, head_sha: str, entries: Sequence[tuple[str, str]]
) -> None:
    """Record reviews asked for on this head: (kind, reviewer) pairs; one recorded already stays as it is."""
    with db.write() as conn:
        for kind, reviewer in entries:
            new = conn.execute(
                upsert_statement(conn, REVIEW_REQUESTS)
                .values(
                    repository=repository,
                    pr_number=pr_number,
                    head_sha=head_sha,
                    kind=kind,
                    reviewer=reviewer,
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing()
                .returning(_request.id)
            ).first()
            if new is not None:
                audit.append(
                    conn,
                    [
                        audit.Entry(
                            "review_request",
                            repository,
                            pr_number,
                            head_sha,
                            "approvals",
                            kind,
                            people=(reviewer,),
                            summary=f"review requested from @{reviewer}",
                            detail={"kind": kind, "reviewer": reviewer},
                        )
                    ],
                )
