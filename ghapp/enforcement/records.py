"""The App's records of its work on pull requests: tool reports per head, overrides, published evaluations, and
whether a newer delivery made the current work moot. Synchronous database calls: run them in a thread."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, select, update

from ghapp.core.decisions import Decision, Finding, Gate, GateResult, ToolReport
from ghapp.core.facts import Actor, Override
from ghapp.store.database import (
    Database,
    Delivery,
    Evaluation,
    OverrideRecord,
    StoredToolReport,
    upsert_statement,
    utcnow,
)

TR: Table = StoredToolReport.__table__  # type: ignore[attr-defined]
OV: Table = OverrideRecord.__table__  # type: ignore[attr-defined]
EV: Table = Evaluation.__table__  # type: ignore[attr-defined]
D: Table = Delivery.__table__  # type: ignore[attr-defined]
MAX_REASONS = 200


def report_to_json(report: ToolReport) -> str:
    data = dataclasses.asdict(report)
    data["gate"] = report.gate.value
    return json.dumps(data)


def report_from_json(text: str) -> ToolReport:
    data: dict[str, Any] = json.loads(text)
    findings = tuple(Finding(**item) for item in data.pop("findings", []))
    for key in ("unaudited", "files", "rules", "considered"):
        data[key] = tuple(data.get(key) or ())
    return ToolReport(gate=Gate(data.pop("gate")), findings=findings, **data)


def load_reports(db: Database, repository: str, head_sha: str,
                 fingerprints: Mapping[Gate, str]) -> dict[Gate, ToolReport]:
    """Stored reports for these gates on this head, when made under the same tool settings."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(TR.c.gate, TR.c.fingerprint, TR.c.report).where(
            TR.c.repository == repository, TR.c.head_sha == head_sha,
            TR.c.gate.in_([g.value for g in fingerprints]))).all()
    found = {}
    for gate_value, fingerprint, text in rows:
        gate = Gate(gate_value)
        if fingerprints.get(gate) == fingerprint:
            found[gate] = report_from_json(text)
    return found


def save_reports(db: Database, repository: str, head_sha: str, reports: Iterable[ToolReport],
                 fingerprints: Mapping[Gate, str]) -> None:
    with db.write() as conn:
        for report in reports:
            values = {"fingerprint": fingerprints.get(report.gate, ""), "report": report_to_json(report),
                      "created_at": utcnow()}
            conn.execute(upsert_statement(conn, TR).values(repository=repository, head_sha=head_sha,
                                                           gate=report.gate.value, **values)
                         .on_conflict_do_update(index_elements=["repository", "head_sha", "gate"], set_=values))


def load_overrides(db: Database, repository: str, pr_number: int) -> tuple[Override, ...]:
    """Every override said on the PR, oldest first (the engine keeps the ones that count)."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(OV).where(OV.c.repository == repository, OV.c.pr_number == pr_number)
                            .order_by(OV.c.created_at, OV.c.id)).all()
    return tuple(Override(gate=r.gate, reason=r.reason, by=Actor(r.login), head_sha=r.head_sha) for r in rows)


def save_override(db: Database, *, comment_id: int, repository: str, pr_number: int, head_sha: str, gate: str,
                  reason: str, login: str, delivery_id: str) -> bool:
    """Record an override comment; False when this comment was recorded already (a replayed delivery)."""
    with db.write() as conn:
        stmt = upsert_statement(conn, OV).values(
            comment_id=comment_id, repository=repository, pr_number=pr_number, head_sha=head_sha, gate=gate,
            reason=reason, login=login, verdict="", delivery_id=delivery_id, created_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["comment_id"]).returning(OV.c.id)
        return conn.execute(stmt).first() is not None


def judge_override(db: Database, comment_id: int, accepted: bool, verdict: str) -> None:
    with db.write() as conn:
        conn.execute(update(OV).where(OV.c.comment_id == comment_id).values(accepted=accepted, verdict=verdict))


def reasons(decision: Decision, result: GateResult) -> list[Any]:
    """What the dashboard shows for a gate: categories for approvals, evidence for provenance, findings else."""
    if result.gate is Gate.APPROVALS:
        return [dataclasses.asdict(category) for category in decision.approvals]
    if result.gate is Gate.PROVENANCE:
        return [{"verdict": decision.verdict.verdict, "tools": list(decision.verdict.tools)},
                *({"signal": s.id, "where": s.where, "evidence": s.evidence} for s in decision.verdict.signals)]
    if result.annotations:
        return [f"{f.path}:{f.line} {f.rule}: {f.message}" for f in result.annotations[:MAX_REASONS]]
    return [result.title]


def record_evaluations(db: Database, *, delivery_id: str | None, repository: str, pr_number: int,
                       decision: Decision, gates: Sequence[Gate]) -> None:
    """One evaluations row per gate the App just published (the audit trail of its decisions)."""
    chosen = [g for g in decision.gates if g.gate in gates]
    if not chosen:
        return
    with db.write() as conn:
        for result in chosen:
            conn.execute(EV.insert().values(
                delivery_id=delivery_id, repository=repository, pr_number=pr_number, head_sha=decision.head_sha,
                gate=result.gate.value, conclusion=result.conclusion.value, summary=result.summary,
                reasons=json.dumps(reasons(decision, result)), created_at=utcnow()))


def superseded(db: Database, repository: str, pr_number: int, delivery_id: str, received_at: datetime) -> str | None:
    """"closed" or "newer" when a later delivery closed the PR or pushed a newer head; None otherwise."""
    with db.engine.connect() as conn:
        actions = set(conn.execute(select(D.c.action).where(and_(
            D.c.repository == repository, D.c.pr_number == pr_number, D.c.event == "pull_request",
            D.c.action.in_(["closed", "synchronize", "reopened"]), D.c.delivery_id != delivery_id,
            D.c.received_at > received_at, D.c.state != "ignored"))).scalars())
    if actions & {"synchronize", "reopened"}:
        return "newer"  # the later delivery evaluates the PR again
    return "closed" if "closed" in actions else None
