"""A small world for dashboard tests: two organisations, their installations, deliveries and decisions, and a
GitHub simulator that knows who belongs where."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from ghapp.settings import Settings
from ghapp.store.audit import AUDIT_EVENTS
from ghapp.store.database import Database
from ghapp.store.deliveries import DELIVERIES
from ghapp.store.evaluations import EVALUATIONS
from ghapp.store.inbox import Inbox
from ghapp.store.installations import INSTALLATIONS, REPOSITORIES
from ghapp.web.dashboard import DashboardDeps
from ghapp.web.site import rerun_with
from tests.ghsim import GitHubSim
from tests.ghsim.oauth import oauth_of

ACME, GLOBEX = 501, 502
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def approvals_reason(missing: list[str], users: tuple[str, ...] = (), teams: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"category": "billing", "files": ["billing/charge.py"], "satisfied": False, "approved_by": [],
            "missing": missing, "request_users": list(users), "request_teams": list(teams), "stale": [], "ignored": []}


def seed(db: Database) -> None:
    """acme (installation 501): two repos, a failed and a done delivery, decisions; globex (502): its own."""
    with db.write() as conn:
        conn.execute(insert(INSTALLATIONS), [
            {"id": ACME, "account_login": "acme", "account_type": "Organization", "suspended": False,
             "created_at": T0, "updated_at": T0},
            {"id": GLOBEX, "account_login": "globex", "account_type": "Organization", "suspended": False,
             "created_at": T0, "updated_at": T0},
        ])
        conn.execute(insert(REPOSITORIES), [
            {"id": 1, "installation_id": ACME, "full_name": "acme/payments", "private": True, "removed": False},
            {"id": 2, "installation_id": ACME, "full_name": "acme/site", "private": False, "removed": False},
            {"id": 3, "installation_id": GLOBEX, "full_name": "globex/secret-plans", "private": True, "removed": False},
        ])
        delivery = {"action": "opened", "attempts": 1, "payload": "{}", "lease_until": None, "lease_owner": None,
                    "next_attempt_at": None, "duration_ms": 12.5, "finished_at": T0, "last_error": None}
        conn.execute(insert(DELIVERIES), [
            {**delivery, "delivery_id": "acme-failed-1", "event": "pull_request", "installation_id": ACME,
             "repository": "acme/payments", "pr_number": 7, "received_at": T0, "state": "failed", "attempts": 8,
             "last_error": "GitHubUnavailable: 502 from GitHub"},
            {**delivery, "delivery_id": "acme-done-2", "event": "pull_request_review", "installation_id": ACME,
             "repository": "acme/payments", "pr_number": 7, "received_at": T0 + timedelta(minutes=1), "state": "done"},
            {**delivery, "delivery_id": "acme-pending-3", "event": "push", "installation_id": ACME,
             "repository": "acme/site", "pr_number": None, "received_at": T0 + timedelta(minutes=2),
             "state": "pending", "finished_at": None},
            {**delivery, "delivery_id": "globex-failed-9", "event": "pull_request", "installation_id": GLOBEX,
             "repository": "globex/secret-plans", "pr_number": 3, "received_at": T0, "state": "failed",
             "last_error": "globex private failure"},
        ])
        evaluation = {"delivery_id": None, "head_sha": "a" * 40, "summary": "", "created_at": T0}
        conn.execute(insert(EVALUATIONS), [
            # acme/payments#7: older evaluation waited for @carol; the latest waits for @acme/security only
            {**evaluation, "repository": "acme/payments", "pr_number": 7, "gate": "approvals",
             "conclusion": "action_required", "summary": "Waiting for carol",
             "reasons": json.dumps([approvals_reason(["@carol"], users=("carol",))])},
            {**evaluation, "repository": "acme/payments", "pr_number": 7, "gate": "approvals",
             "conclusion": "action_required", "head_sha": "b" * 40, "created_at": T0 + timedelta(minutes=5),
             "summary": "Approvals missing\n\n1 more of @acme/security",
             "reasons": json.dumps([approvals_reason(["1 more of @acme/security"], teams=("acme/security",))])},
            {**evaluation, "repository": "acme/payments", "pr_number": 7, "gate": "provenance",
             "conclusion": "failure", "created_at": T0 + timedelta(minutes=5), "summary": "AI-generated: Claude Code",
             "reasons": json.dumps([{"id": "M3", "where": "commit bbbbbbb", "evidence": "Claude-Session: https://claude.ai/code/session_01"}])},
            # acme/site#2: approved since: nothing waits
            {**evaluation, "repository": "acme/site", "pr_number": 2, "gate": "approvals",
             "conclusion": "action_required",
             "reasons": json.dumps([approvals_reason(["@dave"], users=("dave",))])},
            {**evaluation, "repository": "acme/site", "pr_number": 2, "gate": "approvals", "conclusion": "success",
             "created_at": T0 + timedelta(minutes=9), "reasons": "[]"},
            {**evaluation, "repository": "globex/secret-plans", "pr_number": 3, "gate": "approvals",
             "conclusion": "action_required", "summary": "globex needs erin",
             "reasons": json.dumps([approvals_reason(["@erin", "@acme/security"], users=("erin",))])},
        ])
    seed_audit(db)


def _event(at: datetime, kind: str, repository: str, pr: int | None, **values: Any) -> dict[str, Any]:
    base = {"created_at": at, "kind": kind, "repository": repository, "pr_number": pr, "head_sha": "b" * 40,
            "gate": "", "outcome": "", "verdict": "", "tools": "", "categories": "", "people": "", "summary": "",
            "detail": "{}"}
    return {**base, **values}


def seed_audit(db: Database) -> None:
    """The audit trail: an AI PR touching billing in acme/payments, an override, a direct push in acme/site, and
    globex's own events (which no acme user may see)."""
    with db.write() as conn:
        conn.execute(insert(AUDIT_EVENTS), [
            _event(T0, "decision", "acme/payments", 7, gate="approvals", outcome="action_required", verdict="ai",
                   tools=",Claude Code,", categories=",billing,", people=",mallory,",
                   summary="Approvals missing: 1 more of @acme/security"),
            _event(T0 + timedelta(minutes=1), "review_request", "acme/payments", 7, gate="approvals",
                   outcome="team", people=",security,", summary="review requested from @security"),
            _event(T0 + timedelta(minutes=2), "override", "acme/payments", 7, gate="lint", outcome="accepted",
                   people=",carol,", summary="=HYPERLINK(\"https://evil.example\") override of lint by @carol",
                   detail=json.dumps({"reason": "generated file"})),
            _event(T0 + timedelta(minutes=3), "approval", "acme/payments", 7, gate="approvals", outcome="satisfied",
                   verdict="ai", tools=",Claude Code,", categories=",billing,", people=",sam,",
                   summary="billing: satisfied (approved by sam)"),
            _event(T0 + timedelta(minutes=4), "direct_push", "acme/site", None, gate="provenance", outcome="pushed",
                   verdict="ai", tools=",Copilot,", people=",mallory,", summary="@mallory pushed 1 AI-written commit"),
            _event(T0 + timedelta(minutes=5), "decision", "globex/secret-plans", 3, gate="approvals",
                   outcome="action_required", verdict="ai", tools=",Claude Code,", categories=",billing,",
                   people=",gabe,", summary="globex secret decision"),
        ])


def simulator_world(sim: GitHubSim) -> None:
    """alice: acme admin (sees acme); sam: in acme's security team; gabe: globex only; eve: nobody."""
    sim.state.create_installation("acme", installation_id=ACME)
    sim.state.create_installation("globex", installation_id=GLOBEX)
    oauth = oauth_of(sim.state)
    oauth.add_member("acme", "alice")
    oauth.add_member("globex", "gabe")
    sim.state.add_team_member("acme", "security", "sam")


def settings_for(sim: GitHubSim, tmp_path: Path, public_url: str, **overrides: Any) -> Settings:
    oauth = oauth_of(sim.state)
    return sim.settings(github_web_url=sim.root_url.rstrip("/"), public_url=public_url,
                        oauth_client_id=oauth.client_id, oauth_client_secret=oauth.client_secret,
                        data_dir=tmp_path / "var", session_secret="test-session-secret-" + "x" * 20, **overrides)


def recording_rerun(db: Database, calls: list[str]) -> DashboardDeps:
    inbox = Inbox(db)
    enqueue: Callable[[str], None] = calls.append
    return DashboardDeps(db, rerun_with(inbox.requeue, enqueue))
