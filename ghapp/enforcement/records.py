"""The App's records of its work on pull requests, in the enforcement's terms: tool reports per head, overrides,
published evaluations, and whether a newer delivery made the current work moot. The store keeps them; these
are synchronous database calls: run them in a thread."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ghapp.core.decisions import Decision, Finding, Fix, Gate, GateResult, ToolReport
from ghapp.core.facts import Actor, Override
from ghapp.github import shapes
from ghapp.github.dismissals import Dismissed
from ghapp.store import audit, evaluations, overrides
from ghapp.store.database import Database
from ghapp.store.deliveries import HEAD_ACTIONS, head_payloads, later_pull_request_actions

MAX_REASONS = 200


def report_to_json(report: ToolReport) -> str:
    data = dataclasses.asdict(report)
    data["gate"] = report.gate.value
    return json.dumps(data)


def report_from_json(text: str) -> ToolReport:
    data: dict[str, Any] = json.loads(text)
    findings = tuple(Finding(**item) for item in data.pop("findings", []))
    data["fixes"] = tuple(Fix.from_json(item) for item in data.get("fixes") or ())
    for key in ("unaudited", "files", "rules", "considered"):
        data[key] = tuple(data.get(key) or ())
    return ToolReport(gate=Gate(data.pop("gate")), findings=findings, **data)


def load_reports(
    db: Database, repository: str, head_sha: str, fingerprints: Mapping[Gate, str]
) -> dict[Gate, tuple[ToolReport, ...]]:
    """Stored reports of these gates on this head (one per tool), when made under the same tool settings."""
    found = {}
    for stored in evaluations.tool_reports(db, repository, head_sha, [g.value for g in fingerprints]):
        gate = Gate(stored.gate)
        if fingerprints.get(gate) == stored.fingerprint:
            found[gate] = tuple(report_from_json(json.dumps(item)) for item in json.loads(stored.report))
    return found


def save_reports(
    db: Database, repository: str, head_sha: str, reports: Iterable[ToolReport], fingerprints: Mapping[Gate, str]
) -> None:
    """One row per gate holding the reports of all its tools (a JSON list)."""
    grouped: dict[Gate, list[ToolReport]] = {}
    for report in reports:
        grouped.setdefault(report.gate, []).append(report)
    evaluations.save_tool_reports(
        db,
        repository,
        head_sha,
        [
            evaluations.ReportText(
                gate.value, fingerprints.get(gate, ""), "[" + ",".join(report_to_json(r) for r in group) + "]"
            )
            for gate, group in grouped.items()
        ],
    )


def load_overrides(db: Database, repository: str, pr_number: int) -> tuple[Override, ...]:
    """Every override said on the PR, oldest first (the engine keeps the ones that count)."""
    rows = overrides.overrides_on(db, repository, pr_number)
    return tuple(Override(gate=r.gate, reason=r.reason, by=Actor(r.login), head_sha=r.head_sha) for r in rows)


def reasons(decision: Decision, result: GateResult) -> list[Any]:
    """What the dashboard shows for a gate: categories for approvals, evidence for provenance, findings else."""
    if result.gate is Gate.APPROVALS:
        return [dataclasses.asdict(category) for category in decision.approvals]
    if result.gate is Gate.PROVENANCE:
        return [
            {"verdict": decision.verdict.verdict, "tools": list(decision.verdict.tools)},
            *({"signal": s.id, "where": s.where, "evidence": s.evidence} for s in decision.verdict.signals),
        ]
    if result.annotations:
        return [f"{f.path}:{f.line} {f.rule}: {f.message}" for f in result.annotations[:MAX_REASONS]]
    return [result.title]


def audit_entries(
    repository: str, pr_number: int, decision: Decision, gates: Sequence[Gate], author: str = ""
) -> list[audit.Entry]:
    """The audit events of a published decision: one per gate sent, and one per sensitive category (the store
    keeps a category's only when its approval state changed)."""
    verdict, tools = decision.verdict.verdict, decision.verdict.tools
    categories = tuple(c.category for c in decision.approvals)
    people = (author,) if author else ()
    entries = [
        audit.Entry(
            "decision",
            repository,
            pr_number,
            decision.head_sha,
            result.gate.value,
            result.conclusion.value,
            verdict,
            tools,
            categories,
            people,
            result.title,
            {"mode": decision.mode, "overrides": [dataclasses.asdict(o) for o in result.overrides]},
        )
        for result in decision.gates
        if result.gate in gates
    ]
    if Gate.APPROVALS in gates:
        for c in decision.approvals:
            state = "satisfied" if c.satisfied else "vetoed" if c.vetoed_by else "waiting"
            who = (*c.approved_by, *c.stale, *c.vetoed_by)
            entries.append(
                audit.Entry(
                    "approval",
                    repository,
                    pr_number,
                    decision.head_sha,
                    Gate.APPROVALS.value,
                    state,
                    verdict,
                    tools,
                    (c.category,),
                    tuple(dict.fromkeys(who)),
                    f"{c.category}: {state}" + (f" (approved by {', '.join(c.approved_by)})" if c.approved_by else ""),
                    {
                        "approved_by": list(c.approved_by),
                        "missing": list(c.missing),
                        "stale": list(c.stale),
                        "vetoed_by": list(c.vetoed_by),
                        "files": list(c.files),
                    },
                )
            )
    return entries


def details_page(
    decision: Decision,
    gates: Sequence[Gate],
    *,
    author: str,
    sources: Sequence[str],
    said: Sequence[overrides.OverrideRecord],
) -> dict[str, Any]:
    """The details page's document for the head: what it shows, so a view needs no GitHub call."""
    sent = [result for result in decision.gates if result.gate in gates]
    return {
        "mode": decision.mode,
        "author": author,
        "policy_layers": list(sources),
        "verdict": _plain(decision.verdict),
        "approvals": [_plain(category) for category in decision.approvals],
        "gates": {
            result.gate.value: {
                "conclusion": result.conclusion.value,
                "title": result.title,
                "summary": result.summary,
                "would_conclude": result.would_conclude.value if result.would_conclude else None,
                "findings": [_plain(f) for f in result.annotations[:MAX_REASONS]],
                "findings_total": len(result.annotations),
                "overrides": [_plain(o) for o in result.overrides],
            }
            for result in sent
        },
        "overrides": [
            {
                "login": r.login,
                "gate": r.gate,
                "reason": r.reason,
                "accepted": r.accepted,
                "why": r.verdict,
                "head_sha": r.head_sha,
                "at": r.created_at.isoformat(),
            }
            for r in said
        ],
    }


def _plain(value: Any) -> Any:
    plain = dataclasses.asdict(value)
    return json.loads(json.dumps(plain, default=str))


def record_dismissals(
    db: Database, repository: str, pr_number: int, head_sha: str, dismissed: Sequence[Dismissed]
) -> None:
    """An audit event per stale approval dismissed on GitHub."""
    audit.record(
        db,
        [
            audit.Entry(
                "review_dismissal",
                repository,
                pr_number,
                head_sha,
                Gate.APPROVALS.value,
                "dismissed",
                categories=(d.category,),
                people=(d.login,),
                summary=f"stale approval by @{d.login} dismissed: {', '.join(d.files)} changed",
                detail={"review_id": d.review_id, "files": list(d.files)},
            )
            for d in dismissed
        ],
    )


def record_evaluations(
    db: Database,
    *,
    delivery_id: str | None,
    repository: str,
    pr_number: int,
    decision: Decision,
    gates: Sequence[Gate],
    author: str = "",
    sources: Sequence[str] = (),
) -> None:
    """One evaluations row per gate the App just published, with their audit events and the details page."""
    chosen = [
        evaluations.GateEvaluation(
            result.gate.value, result.conclusion.value, result.summary, json.dumps(reasons(decision, result))
        )
        for result in decision.gates
        if result.gate in gates
    ]
    page = details_page(
        decision, gates, author=author, sources=sources, said=overrides.overrides_on(db, repository, pr_number)
    )
    evaluations.record_evaluations(
        db,
        delivery_id=delivery_id,
        repository=repository,
        pr_number=pr_number,
        head_sha=decision.head_sha,
        results=chosen,
        events=audit_entries(repository, pr_number, decision, gates, author),
        page=page,
    )


def superseded(db: Database, repository: str, pr_number: int, delivery_id: str, received_at: datetime) -> str | None:
    """ "closed" or "newer" when a later delivery closed the PR or pushed a newer head; None otherwise."""
    actions = later_pull_request_actions(
        db,
        repository,
        pr_number,
        after=delivery_id,
        received_at=received_at,
        actions=["closed", "synchronize", "reopened"],
    )
    if actions & {"synchronize", "reopened"}:
        return "newer"  # the later delivery evaluates the PR again
    return "closed" if "closed" in actions else None


@dataclasses.dataclass(frozen=True)
class PullHistory:
    """What the App heard of a pull request's history from its own deliveries: who pushed to its branch (the
    senders of its `synchronize` deliveries), and when it last moved to another base, as GitHub timed it (the
    `updated_at` of an `edited` delivery whose `changes` name the base; "" when it never did)."""

    pushers: tuple[Actor, ...]
    retargeted_at: str


def pull_history(db: Database, repository: str, pr_number: int) -> PullHistory:
    pushers: dict[str, Actor] = {}
    retargeted = ""
    for _, payload in head_payloads(db, repository, pr_number, (*HEAD_ACTIONS, "edited")):
        data = json.loads(payload)
        if not isinstance(data, dict):
            continue
        if data.get("action") == "synchronize":
            pusher = shapes.actor(data.get("sender"))
            pushers.setdefault(pusher.login.lower(), pusher)
        if isinstance(data.get("changes"), dict) and "base" in data["changes"]:
            retargeted = max(retargeted, str((data.get("pull_request") or {}).get("updated_at") or ""))
    return PullHistory(tuple(pushers.values()), retargeted)
