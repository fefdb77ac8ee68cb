"""Evaluations and tool reports: the audit trail of every decision the App published (one row per gate on a
head), and each tool's report on a head, kept so re-evaluating the same head needs no re-run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint, select
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store import audit, details
from ghapp.store.database import AutoId, Database, table_of, upsert_statement, when


class Evaluation(SQLModel, table=True):
    """A decision the App published for one gate on one head commit, with its reasons."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_repository_pr_number", "repository", "pr_number"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    delivery_id: str | None = Field(default=None, max_length=64, index=True)
    repository: str = Field(max_length=255)
    pr_number: int
    head_sha: str = Field(max_length=64)
    gate: str = Field(max_length=64)
    conclusion: str = Field(max_length=32)
    summary: str = Field(default="", sa_column=Column(Text(), nullable=False))
    reasons: str = Field(default="[]", sa_column=Column(Text(), nullable=False))  # JSON list
    created_at: datetime = when(index=True)


class StoredToolReport(SQLModel, table=True):
    """A tool's report on one head, kept so re-evaluations of the same head (reviews, edits, overrides) need no
    re-run. `fingerprint` names the tool settings it was made under; another fingerprint means run again."""

    __tablename__ = "tool_reports"
    __table_args__ = (UniqueConstraint("repository", "head_sha", "gate"),)
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    repository: str = Field(max_length=255)
    head_sha: str = Field(max_length=64)
    gate: str = Field(max_length=64)
    fingerprint: str = Field(max_length=64)
    report: str = Field(sa_column=Column(Text(), nullable=False))  # JSON
    created_at: datetime = when()


EVALUATIONS = table_of(Evaluation)
TOOL_REPORTS = table_of(StoredToolReport)
_evaluation, _report = EVALUATIONS.c, TOOL_REPORTS.c


@dataclass(frozen=True)
class GateEvaluation:
    """One gate's published result, as recorded."""

    gate: str
    conclusion: str
    summary: str
    reasons: str  # JSON list


@dataclass(frozen=True)
class ReportText:
    """A tool report as stored: its gate, the fingerprint of the tool settings, the report as JSON."""

    gate: str
    fingerprint: str
    report: str


def record_evaluations(
    db: Database,
    *,
    delivery_id: str | None,
    repository: str,
    pr_number: int,
    head_sha: str,
    results: Sequence[GateEvaluation],
    events: Sequence[audit.Entry] = (),
    page: dict[str, Any] | None = None,
) -> None:
    """One evaluations row per gate result, their audit events and the head's details page, in one transaction."""
    if not results:
        return
    with db.write() as conn:
        audit.append(conn, events)
        if page is not None:
            details.save(conn, repository, pr_number, head_sha, page)
        for result in results:
            conn.execute(
                EVALUATIONS.insert().values(
                    delivery_id=delivery_id,
                    repository=repository,
                    pr_number=pr_number,
                    head_sha=head_sha,
                    gate=result.gate,
                    conclusion=result.conclusion,
                    summary=result.summary,
                    reasons=result.reasons,
                    created_at=utcnow(),
                )
            )


def recent_evaluations(db: Database, repositories: Sequence[str], limit: int) -> list[Evaluation]:
    """The newest evaluations in these repositories, newest first."""
    if not repositories:
        return []
    with db.read() as conn:
        rows = conn.execute(
            select(EVALUATIONS)
            .where(_evaluation.repository.in_(list(repositories)))
            .order_by(_evaluation.created_at.desc(), _evaluation.id.desc())
            .limit(limit)
        ).all()
    return [Evaluation(**row._mapping) for row in rows]


@dataclass(frozen=True)
class GateVerdict:
    """Where one gate's evaluation stood (no summary: it can be long)."""

    repository: str
    pr_number: int
    head_sha: str
    conclusion: str
    reasons: str  # JSON list
    created_at: datetime


def gate_verdicts(db: Database, gate: str, repositories: Sequence[str], limit: int) -> list[GateVerdict]:
    """The newest evaluations of one gate in these repositories, newest first."""
    if not repositories:
        return []
    with db.read() as conn:
        rows = conn.execute(
            select(
                _evaluation.repository,
                _evaluation.pr_number,
                _evaluation.head_sha,
                _evaluation.conclusion,
                _evaluation.reasons,
                _evaluation.created_at,
            )
            .where(_evaluation.gate == gate, _evaluation.repository.in_(list(repositories)))
            .order_by(_evaluation.created_at.desc(), _evaluation.id.desc())
            .limit(limit)
        ).all()
    return [GateVerdict(*row) for row in rows]


def tool_reports(db: Database, repository: str, head_sha: str, gates: Sequence[str]) -> list[ReportText]:
    """The stored reports of these gates on the head, whatever their fingerprint."""
    with db.read() as conn:
        rows = conn.execute(
            select(_report.gate, _report.fingerprint, _report.report).where(
                _report.repository == repository, _report.head_sha == head_sha, _report.gate.in_(list(gates))
            )
        ).all()
    return [ReportText(*row) for row in rows]


def save_tool_reports(db: Database, repository: str, head_sha: str, reports: Sequence[ReportText]) -> None:
    """Store the reports on the head, replacing any stored for the same gate."""
    with db.write() as conn:
        for report in reports:
            values = {"fingerprint": report.fingerprint, "report": report.report, "created_at": utcnow()}
            conn.execute(
                upsert_statement(conn, TOOL_REPORTS)
                .values(repository=repository, head_sha=head_sha, gate=report.gate, **values)
                .on_conflict_do_update(index_elements=["repository", "head_sha", "gate"], set_=values)
            )
