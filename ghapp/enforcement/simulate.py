"""What-if: the decision the App would reach on a pull request's current head with some more approvals, or under
another policy file, without publishing anything (no check run, review request, label or comment).

It gathers the same facts the pipeline does, through an API view that adds the simulated approvals to the
reviews GitHub lists (so team membership and separation of duties are judged for them as for real ones),
reuses the tool reports stored for the head (tools are not run: a gate without one says so), and evaluates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ghapp.clock import utcnow
from ghapp.core.decisions import Decision, Gate
from ghapp.core.evaluate import evaluate, evaluate_policy_error
from ghapp.core.policy.edit import edit_issues
from ghapp.core.policy.load import POLICY_PATH, PolicyIssue
from ghapp.enforcement import records
from ghapp.enforcement.enforcer import Enforcer
from ghapp.enforcement.tool_plan import by_gate, fingerprint, reusable
from ghapp.github.api import InstallationAPI
from ghapp.github.client import GitHubApp
from ghapp.github.errors import GitHubError
from ghapp.store.database import Database
from ghapp.store.details import details_of

JSON = dict[str, Any]
SIMULATED_REVIEW_ID = -1  # negative ids: never a real review's


class WithApprovals(InstallationAPI):
    """The installation's API, read-only in use, whose review list ends with the simulated approvals."""

    def __init__(self, app: GitHubApp, installation_id: int, head_sha: str, approvers: Sequence[str]) -> None:
        super().__init__(app, installation_id)
        self._extra = [
            {
                "id": SIMULATED_REVIEW_ID - i,
                "user": {"login": login, "type": "User"},
                "state": "APPROVED",
                "commit_id": head_sha,
                "submitted_at": utcnow().isoformat(),
                "body": "(simulated)",
            }
            for i, login in enumerate(approvers)
        ]

    async def list_reviews(self, owner: str, repo: str, number: int) -> list[JSON]:
        return [*await super().list_reviews(owner, repo, number), *self._extra]


@dataclass(frozen=True)
class Simulation:
    repository: str
    number: int
    head_sha: str
    approvers: tuple[str, ...]
    policy_file: str | None
    decision: Decision
    current: dict[str, str]  # gate -> the conclusion recorded for this head now (empty: never judged)
    not_run: tuple[str, ...]  # tool gates with no stored report for this head
    issues: tuple[PolicyIssue, ...] = ()  # why the policy cannot be read (of a given text: only its own)

    def to_json(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "pr": self.number,
            "head_sha": self.head_sha,
            "approvals": list(self.approvers),
            "policy_file": self.policy_file,
            "published": False,
            "decision": self.decision.to_json(),
            "current": self.current,
            "not_run": list(self.not_run),
            "issues": [str(issue) for issue in self.issues],
        }


async def installation_of(app: GitHubApp, owner: str, repo: str) -> int:
    """The App's installation on the repository (`GET /repos/{owner}/{repo}/installation`, as the App)."""
    reply = await app.app_request("GET", "/repos/{owner}/{repo}/installation", f"/repos/{owner}/{repo}/installation")
    data = reply.json()
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        raise GitHubError(f"GitHub named no installation of the App on {owner}/{repo}")
    return int(data["id"])


async def simulate(
    app: GitHubApp,
    db: Database,
    owner: str,
    repo: str,
    number: int,
    *,
    approvers: Sequence[str] = (),
    policy_text: str | None = None,
    policy_file: str | None = None,
    enforcer: Enforcer | None = None,
    installation_id: int | None = None,
) -> Simulation:
    """Evaluate the PR's head as the App would with `approvers`' approvals added and, when given, `policy_text`
    standing in for the repository's policy file (over the bundled default and the org's). Of a `policy_text`
    that does not make a valid policy, only its own problems are quoted: the files it extends are read with
    the App's access (as for a pull request that edits the policy file). `installation_id`: the App's
    installation on the repository, when the caller knows it (else it is asked of GitHub)."""
    enforcer = enforcer or Enforcer()
    full_name = f"{owner}/{repo}"
    if installation_id is None:
        installation_id = await installation_of(app, owner, repo)
    plain = app.installation(installation_id)
    pr_json = await plain.get_pull(owner, repo, number)
    head_sha = str((pr_json.get("head") or {}).get("sha") or "")
    api = WithApprovals(app, installation_id, head_sha, approvers)
    base_ref = str((pr_json.get("base") or {}).get("ref") or "")
    loaded = (
        await enforcer.policies.load(api, owner, repo, base_ref, repo_text=policy_text)
        if policy_text is not None
        else await enforcer.policies.load(api, owner, repo, base_ref)
    )
    found = await asyncio.to_thread(details_of, db, full_name, number, head_sha)
    current = {gate: str(g.get("conclusion")) for gate, g in (found[2].get("gates", {}) if found else {}).items()}
    if loaded.policy is None:
        issues = edit_issues(policy_text, POLICY_PATH, loaded.issues) if policy_text is not None else loaded.issues
        decision = evaluate_policy_error(issues, head_sha)
        return Simulation(
            full_name, number, head_sha, tuple(approvers), policy_file, decision, current, (), tuple(issues)
        )
    policy = loaded.policy
    runners = by_gate(enforcer.runners)
    prints = {gate: fingerprint(policy, group) for gate, group in runners.items()}
    stored = await asyncio.to_thread(records.load_reports, db, full_name, head_sha, prints)
    said = await asyncio.to_thread(records.load_overrides, db, full_name, number)
    history = await asyncio.to_thread(records.pull_history, db, full_name, number)
    facts = await enforcer.gatherer.gather(
        api,
        owner,
        repo,
        pr_json,
        policy,
        overrides=said,
        pushers=history.pushers,
        retargeted_at=history.retargeted_at,
    )
    kept = {g: k for g, reports in stored.items() if (k := reusable(runners[g], reports, facts.files)) is not None}
    facts = replace(facts, tool_reports=tuple(r for reports in kept.values() for r in reports))
    decision = await asyncio.to_thread(evaluate, policy, facts)
    tool_gates = {Gate.LINT, Gate.TYPES, Gate.SEMGREP, Gate.DEPENDENCY_AUDIT}
    not_run = tuple(
        sorted(g.value for g in tool_gates & runners.keys() if g not in kept and decision.gate(g) is not None)
    )
    return Simulation(full_name, number, head_sha, tuple(approvers), policy_file, decision, current, not_run)


def render(sim: Simulation) -> str:
    """The simulation as plain text for a terminal."""
    with_what = []
    if sim.approvers:
        with_what.append("approvals from " + ", ".join(f"@{a}" for a in sim.approvers))
    if sim.policy_file:
        with_what.append(f"the policy in {sim.policy_file}")
    lines = [
        f"{sim.repository}#{sim.number} at {sim.head_sha[:7]}"
        + (f", with {' and '.join(with_what)}" if with_what else ", as it stands")
        + " (simulated: nothing was published)",
        f"verdict: {sim.decision.verdict.verdict}"
        + (f" ({', '.join(sim.decision.verdict.tools)})" if sim.decision.verdict.tools else ""),
        "",
    ]
    for result in sim.decision.gates:
        now = sim.current.get(result.gate.value)
        change = f"  (now {now})" if now and now != result.conclusion.value else ""
        lines.append(f"  {result.gate.value:<17} {result.conclusion.value:<16} {result.title}{change}")
    for category in sim.decision.approvals:
        state = "approved" if category.satisfied else "vetoed" if category.vetoed_by else "waiting"
        parts = [f"{category.category}: {state}"]
        if category.approved_by:
            parts.append("approved by " + ", ".join(f"@{a}" for a in category.approved_by))
        if category.missing:
            parts.append("still required: " + ", ".join(category.missing))
        if category.ignored:
            parts.append("not counted: " + "; ".join(category.ignored))
        lines.append("  category " + "; ".join(parts))
    if sim.not_run:
        lines.append(f"\nnot run for this head (no stored report): {', '.join(sim.not_run)}")
    lines.append("\nwould pass" if sim.decision.passed else "\nwould block")
    return "\n".join(lines)
