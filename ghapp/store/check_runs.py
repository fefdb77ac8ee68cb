"""The check-run ledger: the check runs the App owns on GitHub, one per (repository, head commit, gate), with
the digest of the output last sent and the annotations already sent (so nothing is sent twice). A row whose
`check_run_id` is 0 marks a create that was started and whose run id is not known (yet): the run may exist on
GitHub, so the publisher looks there before creating another."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint, select, update
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store.database import AutoId, Database, table_of, upsert_statement, when

COMPLETED = "completed"
CREATING = "creating"  # the status of a create's mark (check_run_id 0)


class CheckRun(SQLModel, table=True):
    """A check run the App owns on GitHub: one per (repository, head commit, gate)."""

    __tablename__ = "check_runs"
    __table_args__ = (UniqueConstraint("repository", "head_sha", "gate"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    head_sha: str = Field(max_length=64)
    gate: str = Field(max_length=64)
    check_run_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    status: str = Field(max_length=32)
    conclusion: str | None = Field(default=None, max_length=32)
    updated_at: datetime = when()
    digest: str | None = Field(default=None, max_length=64)  # of the last output sent: an equal one is not resent
    annotations: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))  # JSON keys already sent


CHECK_RUNS = table_of(CheckRun)
_run = CHECK_RUNS.c


def find_run(db: Database, repository: str, head_sha: str, gate: str) -> CheckRun | None:
    """The recorded run of `gate` on the head, if any."""
    with db.read() as conn:
        row = conn.execute(
            select(CHECK_RUNS).where(_run.repository == repository, _run.head_sha == head_sha, _run.gate == gate)
        ).first()
    return None if row is None else CheckRun(**row._mapping)


def save_run(
    db: Database,
    repository: str,
    head_sha: str,
    gate: str,
    check_run_id: int,
    *,
    status: str,
    conclusion: str | None,
    digest: str | None,
    annotations: str | None = None,
) -> None:
    """Record the run of `gate` on the head (insert, or update the one recorded). `annotations` None keeps
    the annotation keys already recorded."""
    values: dict[str, object] = {
        "check_run_id": check_run_id,
        "status": status,
        "conclusion": conclusion,
        "digest": digest,
        "updated_at": utcnow(),
    }
    if annotations is not None:
        values["annotations"] = annotations
    with db.write() as conn:
        conn.execute(
            upsert_statement(conn, CHECK_RUNS)
            .values(repository=repository, head_sha=head_sha, gate=gate, **values)
            .on_conflict_do_update(index_elements=["repository", "head_sha", "gate"], set_=values)
        )


def mark_create(db: Database, repository: str, head_sha: str, gate: str) -> None:
    """Mark that a run of `gate` is about to be created on the head, unless a row is there already: if the
    create's answer is lost, the mark says the run may exist on GitHub."""
    with db.write() as conn:
        conn.execute(
            upsert_statement(conn, CHECK_RUNS)
            .values(
                repository=repository,
                head_sha=head_sha,
                gate=gate,
                check_run_id=0,
                status=CREATING,
                conclusion=None,
                digest=None,
                updated_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["repository", "head_sha", "gate"])
        )


def set_annotations(db: Database, repository: str, head_sha: str, gate: str, annotations: str) -> None:
    """Replace the annotation keys recorded for the gate's run (with those about to be sent, before a request
    whose answer may be lost)."""
    with db.write() as conn:
        conn.execute(
            update(CHECK_RUNS)
            .where(_run.repository == repository, _run.head_sha == head_sha, _run.gate == gate)
            .values(annotations=annotations, updated_at=utcnow())
        )


def run_statuses(db: Database, repository: str, head_sha: str) -> dict[str, str]:
    """gate -> status of every run recorded on the head."""
    with db.read() as conn:
        rows = conn.execute(
            select(_run.gate, _run.status).where(_run.repository == repository, _run.head_sha == head_sha)
        ).all()
    return {gate: status for gate, status in rows}
