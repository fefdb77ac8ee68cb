"""A small world for dashboard tests: two organisations, their installations, deliveries and decisions, and a
GitHub simulator that knows who belongs where."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from ghapp.core.decisions import (
    CategoryResult,
    Conclusion,
    Decision,
    Finding,
    Gate,
    GateResult,
    OverrideOutcome,
    Signal,
    Verdict,
)
from ghapp.enforcement.records import details_page
from ghapp.settings import Settings
from ghapp.store import details
from ghapp.store.audit import AUDIT_EVENTS
from ghapp.store.database import Database
from ghapp.store.deliveries import DELIVERIES
from ghapp.store.evaluations import EVALUATIONS
from ghapp.store.inbox import Inbox
from ghapp.store.installations import INSTALLATIONS, REPOSITORIES
from ghapp.store.overrides import OverrideRecord
from ghapp.web.dashboard import DashboardDeps
from ghapp.web.site import rerun_with
from tests.ghsim import GitHubSim
from tests.ghsim.oauth import oauth_of

ACME, GLOBEX = 501, 502
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def approvals_reason(missing: list[str], users: tuple[str, ...] = (), teams: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "category": "billing",
        "files": ["billing/charge.py"],
        "satisfied": False,
        "approved_by": [],
        "missing": missing,
        "request_users": list(users),
        "request_teams": list(teams),
        "stale": [],
        "ignored": [],
    }


def seed(db: Database) -> None:
    """acme (installation 501): two repos, a failed and a done delivery, decisions; globex (502): its own."""
    with db.write() as conn:
        conn.execute(
            insert(INSTALLATIONS),
            [
                {
                    "id": ACME,
                    "account_login": "acme",
                    "account_type": "Organization",
                    "suspended": False,
                    "created_at": T0,
                    "updated_at": T0,
                },
                {
                    "id": GLOBEX,
                    "account_login": "globex",
                    "account_type": "Organization",
                    "suspended": False,
                    "created_at": T0,
                    "updated_at": T0,
                },
            ],
        )
        conn.execute(
            insert(REPOSITORIES),
            [
                {"id": 1, "installation_id": ACME, "full_name": "acme/payments", "private": True, "removed": False},
                {"id": 2, "installation_id": ACME, "full_name": "acme/site", "private": False, "removed": False},
                {
                    "id": 3,
                    "installation_id": GLOBEX,
                    "full_name": "globex/secret-plans",
                    "private": True,
                    "removed": False,
                },
            ],
        )
        delivery = {
            "action": "opened",
            "attempts": 1,
            "payload": "{}",
            "lease_until": None,
            "lease_owner": None,
            "next_attempt_at": None,
            "duration_ms": 12.5,
            "finished_at": T0,
            "last_error": None,
        }
        conn.execute(
            insert(DELIVERIES),
            [
                {
                    **delivery,
                    "delivery_id": "acme-failed-1",
                    "event": "pull_request",
                    "installation_id": ACME,
                    "repository": "acme/payments",
                    "pr_number": 7,
                    "received_at": T0,
                    "state": "failed",
                    "attempts": 8,
                    "last_error": "GitHubUnavailable: 502 from GitHub",
                },
                {
                    **delivery,
                    "delivery_id": "acme-done-2",
                    "event": "pull_request_review",
                    "installation_id": ACME,
                    "repository": "acme/payments",
                    "pr_number": 7,
                    "received_at": T0 + timedelta(minutes=1),
                    "state": "done",
                },
                {
                    **delivery,
                    "delivery_id": "acme-pending-3",
                    "event": "push",
                    "installation_id": ACME,
                    "repository": "acme/site",
                    "pr_number": None,
                    "received_at": T0 + timedelta(minutes=2),
                    "state": "pending",
                    "finished_at": None,
                },
                {
                    **delivery,
                    "delivery_id": "globex-failed-9",
                    "event": "pull_request",
                    "installation_id": GLOBEX,
                    "repository": "globex/secret-plans",
                    "pr_number": 3,
                    "received_at": T0,
                    "state": "failed",
                    "last_error": "globex private failure",
                },
            ],
        )
        evaluation = {"delivery_id": None, "head_sha": "a" * 40, "summary": "", "created_at": T0}
        conn.execute(
            insert(EVALUATIONS),
            [
                # acme/payments#7: older evaluation waited for @carol; the latest waits for @acme/security only
                {
                    **evaluation,
                    "repository": "acme/payments",
                    "pr_number": 7,
                    "gate": "approvals",
                    "conclusion": "action_required",
                    "summary": "Waiting for carol",
                    "reasons": json.dumps([approvals_reason(["@carol"], users=("carol",))]),
                },
                {
                    **evaluation,
                    "repository": "acme/payments",
                    "pr_number": 7,
                    "gate": "approvals",
                    "conclusion": "action_required",
                    "head_sha": "b" * 40,
                    "created_at": T0 + timedelta(minutes=5),
                    "summary": "Approvals missing\n\n1 more of @acme/security",
                    "reasons": json.dumps([approvals_reason(["1 more of @acme/security"], teams=("acme/security",))]),
                },
                {
                    **evaluation,
                    "repository": "acme/payments",
                    "pr_number": 7,
                    "gate": "provenance",
                    "conclusion": "failure",
                    "created_at": T0 + timedelta(minutes=5),
                    "summary": "AI-generated: Claude Code",
                    "reasons": json.dumps(
                        [
                            {
                                "id": "M3",
                                "where": "commit bbbbbbb",
                                "evidence": "Claude-Session: https://claude.ai/code/session_01",
                            }
                        ]
                    ),
                },
                # acme/site#2: approved since: nothing waits
                {
                    **evaluation,
                    "repository": "acme/site",
                    "pr_number": 2,
                    "gate": "approvals",
                    "conclusion": "action_required",
                    "reasons": json.dumps([approvals_reason(["@dave"], users=("dave",))]),
                },
                {
                    **evaluation,
                    "repository": "acme/site",
                    "pr_number": 2,
                    "gate": "approvals",
                    "conclusion": "success",
                    "created_at": T0 + timedelta(minutes=9),
                    "reasons": "[]",
                },
                {
                    **evaluation,
                    "repository": "globex/secret-plans",
                    "pr_number": 3,
                    "gate": "approvals",
                    "conclusion": "action_required",
                    "summary": "globex needs erin",
                    "reasons": json.dumps([approvals_reason(["@erin", "@acme/security"], users=("erin",))]),
                },
            ],
        )
    seed_audit(db)
    seed_details(db)


def _event(at: datetime, kind: str, repository: str, pr: int | None, **values: Any) -> dict[str, Any]:
    base = {
        "created_at": at,
        "kind": kind,
        "repository": repository,
        "pr_number": pr,
        "head_sha": "b" * 40,
        "gate": "",
        "outcome": "",
        "verdict": "",
        "tools": "",
        "categories": "",
        "people": "",
        "summary": "",
        "detail": "{}",
    }
    return {**base, **values}


def seed_audit(db: Database) -> None:
    """The audit trail: an AI PR touching billing in acme/payments, an override, a direct push in acme/site, and
    globex's own events (which no acme user may see)."""
    with db.write() as conn:
        conn.execute(
            insert(AUDIT_EVENTS),
            [
                _event(
                    T0,
                    "decision",
                    "acme/payments",
                    7,
                    gate="approvals",
                    outcome="action_required",
                    verdict="ai",
                    tools=",Claude Code,",
                    categories=",billing,",
                    people=",mallory,",
                    summary="Approvals missing: 1 more of @acme/security",
                ),
                _event(
                    T0 + timedelta(minutes=1),
                    "review_request",
                    "acme/payments",
                    7,
                    gate="approvals",
                    outcome="team",
                    people=",security,",
                    summary="review requested from @security",
                ),
                _event(
                    T0 + timedelta(minutes=2),
                    "override",
                    "acme/payments",
                    7,
                    gate="lint",
                    outcome="accepted",
                    people=",carol,",
                    summary='=HYPERLINK("https://evil.example") override of lint by @carol',
                    detail=json.dumps({"reason": "generated file"}),
                ),
                _event(
                    T0 + timedelta(minutes=3),
                    "approval",
                    "acme/payments",
                    7,
                    gate="approvals",
                    outcome="satisfied",
                    verdict="ai",
                    tools=",Claude Code,",
                    categories=",billing,",
                    people=",sam,",
                    summary="billing: satisfied (approved by sam)",
                ),
                _event(
                    T0 + timedelta(minutes=4),
                    "direct_push",
                    "acme/site",
                    None,
                    gate="provenance",
                    outcome="pushed",
                    verdict="ai",
                    tools=",Copilot,",
                    people=",mallory,",
                    summary="@mallory pushed 1 AI-written commit",
                ),
                _event(
                    T0 + timedelta(minutes=5),
                    "decision",
                    "globex/secret-plans",
                    3,
                    gate="approvals",
                    outcome="action_required",
                    verdict="ai",
                    tools=",Claude Code,",
                    categories=",billing,",
                    people=",gabe,",
                    summary="globex secret decision",
                ),
            ],
        )


HEAD = "b" * 40


def judged_decision() -> Decision:
    """acme/payments#7 as the App judged it: AI-written (Claude Code), billing waiting for the security team
    with one stale and one excluded approval, a Semgrep finding and an accepted lint override."""
    verdict = Verdict(
        "ai",
        ("Claude Code",),
        (
            Signal(
                "M3",
                "trailer",
                "strong",
                "commit bbbbbbb",
                "Claude-Session: https://claude.ai/code/session_01",
                "Claude Code",
            ),
            Signal("P1", "pr-text", "medium", "PR body", "🤖 Generated with Claude Code", "Claude Code"),
        ),
    )
    billing = CategoryResult(
        "billing",
        ("billing/charge.py", "billing/refund.py"),
        False,
        approved_by=("bob",),
        missing=("1 more of @acme/security",),
        request_teams=("acme/security",),
        stale=("carol",),
        ignored=("@mallory: is the author",),
        excluded=("@mallory: opened the pull request",),
    )
    auth = CategoryResult("auth", ("auth/session.py",), False, missing=(), vetoed_by=("sam",))
    finding = Finding(
        "billing/charge.py", 12, "python.secrets.hardcoded-key", "A key is written in the code", category="billing"
    )
    gates = (
        GateResult(
            Gate.PROVENANCE, Conclusion.FAILURE, "AI-generated: Claude Code", "**Verdict:** AI-generated (Claude Code)"
        ),
        GateResult(
            Gate.APPROVALS, Conclusion.ACTION_REQUIRED, "Approvals missing", "billing: 1 more of @acme/security"
        ),
        GateResult(
            Gate.SEMGREP, Conclusion.FAILURE, "1 finding", "One finding on a changed line", annotations=(finding,)
        ),
        GateResult(
            Gate.LINT,
            Conclusion.SUCCESS,
            "Overridden by @carol",
            "Lint failed, overridden",
            annotations=(Finding("billing/charge.py", 3, "E501", "Line too long", "warning"),),
            overrides=(OverrideOutcome("carol", True, "carol is in @acme/security"),),
        ),
    )
    return Decision(HEAD, "enforce", verdict, gates, (billing, auth))


def seed_details(db: Database) -> None:
    said = [
        OverrideRecord(
            comment_id=1,
            repository="acme/payments",
            pr_number=7,
            head_sha=HEAD,
            gate="lint",
            reason="generated file, checked by hand",
            login="carol",
            accepted=True,
            verdict="carol is in @acme/security",
            created_at=T0,
        )
    ]
    decision = judged_decision()
    document = details_page(
        decision,
        [g.gate for g in decision.gates],
        author="mallory",
        sources=(
            "policies/default.yml",
            "acme/.github:.github/prompt-to-pr.yml",
            "acme/payments:.github/prompt-to-pr.yml",
        ),
        said=said,
    )
    with db.write() as conn:
        details.save(conn, "acme/payments", 7, HEAD, document)
        secret = details_page(
            Decision("c" * 40, "enforce", Verdict("human"), (gates_of_globex(),)),
            [Gate.LINT],
            author="gabe",
            sources=(),
            said=[],
        )
        details.save(conn, "globex/secret-plans", 3, "c" * 40, secret)


def gates_of_globex() -> GateResult:
    return GateResult(Gate.LINT, Conclusion.SUCCESS, "globex secret lint", "globex secret summary")


def simulator_world(sim: GitHubSim) -> None:
    """alice: acme admin (sees acme); sam: in acme's security team; gabe: globex only; eve: nobody."""
    sim.state.create_installation("acme", installation_id=ACME)
    sim.state.create_installation("globex", installation_id=GLOBEX)
    for full_name in ("acme/payments", "acme/site", "globex/secret-plans"):
        sim.state.create_repo(full_name)
    oauth = oauth_of(sim.state)
    oauth.add_member("acme", "alice")
    oauth.add_member("globex", "gabe")
    sim.state.add_team_member("acme", "security", "sam")


def settings_for(sim: GitHubSim, tmp_path: Path, public_url: str, **overrides: Any) -> Settings:
    oauth = oauth_of(sim.state)
    return sim.settings(
        github_web_url=sim.root_url.rstrip("/"),
        public_url=public_url,
        oauth_client_id=oauth.client_id,
        oauth_client_secret=oauth.client_secret,
        data_dir=tmp_path / "var",
        session_secret="test-session-secret-" + "x" * 20,
        **overrides,
    )


def recording_rerun(db: Database, calls: list[str]) -> DashboardDeps:
    inbox = Inbox(db)
    enqueue: Callable[[str], None] = calls.append
    return DashboardDeps(db, rerun_with(inbox.requeue, enqueue))
