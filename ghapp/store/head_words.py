"""The `head_words` table: each open pull request's latest word on each gate of its head commit, so that a head
shared by several PRs shows the strictest of them (ghapp.core.gates.heads). Synchronous: run in a thread."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint, delete, select
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.core.decisions import Conclusion, Finding, Gate, GateResult
from ghapp.core.gates.heads import PullWord, Status
from ghapp.store.database import AutoId, Database, table_of, upsert_statement, when

JSON = dict[str, Any]


class HeadWord(SQLModel, table=True):
    """One open pull request's word on one gate of its head commit."""

    __tablename__ = "head_words"
    __table_args__ = (
        UniqueConstraint("repository", "head_sha", "gate", "pr_number"),
        Index("ix_head_words_repository_pr_number", "repository", "pr_number"),
    )
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    head_sha: str = Field(max_length=64)
    gate: str = Field(max_length=64)
    pr_number: int
    status: str = Field(max_length=32)  # queued, in_progress, completed
    result: str = Field(sa_column=Column(Text(), nullable=False))  # JSON: conclusion, title, summary, annotations...
    digest: str = Field(max_length=64)
    updated_at: datetime = when()


HEAD_WORDS = table_of(HeadWord)
HW = HEAD_WORDS


@dataclass(frozen=True)
class StoredWord:
    """A PR's word with the buttons its check run carries, and the digest that tells one version from another."""

    word: PullWord
    actions: tuple[JSON, ...]
    digest: str


def _to_json(status: Status, result: GateResult, actions: list[JSON]) -> str:
    return json.dumps(
        {
            "status": status,
            "gate": result.gate.value,
            "conclusion": result.conclusion.value,
            "title": result.title,
            "summary": result.summary,
            "annotations": [dataclasses.asdict(f) for f in result.annotations],
            "would_conclude": result.would_conclude.value if result.would_conclude else None,
            "actions": actions,
        },
        sort_keys=True,
    )


def _from_row(pr_number: int, status: str, text: str, digest: str) -> StoredWord:
    data = json.loads(text)
    result = GateResult(
        Gate(data["gate"]),
        Conclusion(data["conclusion"]),
        data["title"],
        data["summary"],
        tuple(Finding(**f) for f in data["annotations"]),
        Conclusion(data["would_conclude"]) if data.get("would_conclude") else None,
    )
    word = PullWord(
        pr_number,
        "completed" if status == "completed" else "in_progress" if status == "in_progress" else "queued",
        result,
    )
    return StoredWord(word, tuple(data.get("actions") or ()), digest)


def save(
    db: Database,
    repository: str,
    head_sha: str,
    pr_number: int,
    *,
    status: Status,
    result: GateResult,
    actions: list[JSON],
) -> bool:
    """Record the PR's word on `result.gate` of the head; False when it says exactly what it said before."""
    text = _to_json(status, result, actions)
    digest = hashlib.sha256(text.encode()).hexdigest()
    key = {"repository": repository, "head_sha": head_sha, "gate": result.gate.value, "pr_number": pr_number}
    with db.write() as conn:
        before = conn.execute(select(HW.c.digest).where(*(HW.c[k] == v for k, v in key.items()))).scalar()
        if before == digest:
            return False
        values = {"status": status, "result": text, "digest": digest, "updated_at": utcnow()}
        conn.execute(
            upsert_statement(conn, HW)
            .values(**key, **values)
            .on_conflict_do_update(index_elements=list(key), set_=values)
        )
    return True


def words(db: Database, repository: str, head_sha: str, gate: Gate) -> list[StoredWord]:
    """Every open PR's word on this gate of the head, in PR order."""
    with db.read() as conn:
        rows = conn.execute(
            select(HW.c.pr_number, HW.c.status, HW.c.result, HW.c.digest)
            .where(HW.c.repository == repository, HW.c.head_sha == head_sha, HW.c.gate == gate.value)
            .order_by(HW.c.pr_number)
        ).all()
    return [_from_row(*row) for row in rows]


def pulls_on_head(db: Database, repository: str, head_sha: str) -> set[int]:
    """The PRs that have said something about this head."""
    with db.read() as conn:
        return set(
            conn.execute(
                select(HW.c.pr_number).where(HW.c.repository == repository, HW.c.head_sha == head_sha)
            ).scalars()
        )


def forget(db: Database, repository: str, pr_number: int, *, keep_head: str | None = None) -> set[tuple[str, Gate]]:
    """The PR no longer speaks for heads other than `keep_head` (all heads when None: it was closed).
    Returns the (head, gate) pairs it spoke for, whose runs must show the remaining PRs' words."""
    where = [HW.c.repository == repository, HW.c.pr_number == pr_number]
    if keep_head is not None:
        where.append(HW.c.head_sha != keep_head)
    with db.write() as conn:
        gone = {(str(head), Gate(gate)) for head, gate in conn.execute(select(HW.c.head_sha, HW.c.gate).where(*where))}
        if gone:
            conn.execute(delete(HW).where(*where))
    return gone


def drop(db: Database, repository: str, head_sha: str, pr_number: int, gates: list[Gate]) -> None:
    """The PR no longer speaks on these gates of this head (it moved on while they were worked out)."""
    if not gates:
        return
    with db.write() as conn:
        conn.execute(
            delete(HW).where(
                HW.c.repository == repository,
                HW.c.head_sha == head_sha,
                HW.c.pr_number == pr_number,
                HW.c.gate.in_([g.value for g in gates]),
            )
        )


def pending(db: Database, repository: str, head_sha: str, pr_number: int) -> set[Gate]:
    """The gates of the head on which the PR's word is not completed (still being worked out)."""
    with db.read() as conn:
        rows = conn.execute(
            select(HW.c.gate).where(
                HW.c.repository == repository,
                HW.c.head_sha == head_sha,
                HW.c.pr_number == pr_number,
                HW.c.status != "completed",
            )
        ).scalars()
        return {Gate(gate) for gate in rows}
