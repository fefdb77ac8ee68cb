"""`push` events: AI-written commits that reach the default branch (or a branch `direct_push.branches` names)
without a pull request are a policy violation.

The App cannot undo a push. It marks the pushed head with a failing `prompt-to-pr / provenance` check that
names the commits and the evidence, records the push, and (with `direct_push.open_issue`) opens one issue
assigned to the pusher that mentions the policy's owners. Commits that arrived through a merged pull request
(GitHub's commit -> pulls association) are fine. The policy is read as it was before the push.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ghapp.core.decisions import Conclusion, Gate, GateResult, Verdict
from ghapp.core.detection.detect import detect_commit
from ghapp.core.facts import Commit
from ghapp.core.gates.outcome import apply_mode
from ghapp.core.gates.summary import cell, code, finish, plural, table
from ghapp.core.policy.load import Policy
from ghapp.enforcement.enforcer import Enforcer, details_url, repository
from ghapp.github import shapes
from ghapp.github.api import InstallationAPI
from ghapp.github.errors import ValidationFailed
from ghapp.github.publish import RERUN, CheckPublisher, Target
from ghapp.runtime.jobs import JobContext
from ghapp.store.direct_pushes import find_push, record_push, set_push_issue

ZERO_SHA = "0" * 40
PUSH_COMMITS_CAP = 2048  # a push payload lists at most 2,048 commits


async def _commits(api: InstallationAPI, owner: str, repo: str, payload: dict[str, Any]) -> tuple[list[Commit], str]:
    """The pushed commits, re-read through compare when the payload's list is cut short; and a note if even
    compare could not list them all."""
    listed = [shapes.push_commit(c) for c in payload.get("commits") or []]
    before = str(payload.get("before") or ZERO_SHA)
    if len(listed) < PUSH_COMMITS_CAP or before == ZERO_SHA:
        return listed, ""
    body = await api.compare(owner, repo, before, str(payload["after"]))
    commits = [shapes.commit(c) for c in body.get("commits") or []]
    total = int(body.get("total_commits") or len(commits))
    note = f"This push has {total} commits; only {len(commits)} could be read." if total > len(commits) else ""
    return commits or listed, note


async def _via_pull(api: InstallationAPI, owner: str, repo: str, sha: str, branch: str) -> int | None:
    """The merged pull request into `branch` that brought in `sha`, if any."""
    for pull in await api.list_commit_pulls(owner, repo, sha):
        base = (pull.get("base") or {}).get("ref")
        if (pull.get("merged_at") or pull.get("merged")) and base == branch:
            return int(pull["number"])
    return None


def violation(commits: Sequence[tuple[Commit, Verdict]], branch: str, note: str) -> GateResult:
    rows = [
        [
            code(c.sha[:12]),
            cell(", ".join(v.tools) or "—"),
            cell(c.message.splitlines()[0] if c.message else ""),
            cell("; ".join(f"{s.id}: {s.evidence}" for s in v.signals[:3]), 160),
        ]
        for c, v in commits
    ]
    title = f"{plural(len(commits), 'AI-written commit')} pushed to {branch} without a pull request"
    summary = finish(
        [
            f"**{title}.** The prompt-to-PR policy requires AI-written code to arrive as a pull request that passes "
            "lint, type checks and security scans, with the approvals sensitive paths need.",
            table(["Commit", "Tool", "Message", "Evidence"], rows),
            note,
            "**What to do:** open a pull request with these changes (or a revert) so they are checked and reviewed, "
            "and protect the branch with a rule that requires pull requests.",
        ]
    )
    return GateResult(Gate.PROVENANCE, Conclusion.FAILURE, title[:200], summary)


def _mentions(policy: Policy) -> list[str]:
    named = list(policy.direct_push.mention)
    if not named and policy.overrides.team:
        named = [f"@{policy.overrides.team}"]
    return [m if m.startswith("@") else f"@{m}" for m in named]


async def on_push(enforcer: Enforcer, ctx: JobContext) -> None:
    payload = ctx.payload
    ref = str(payload.get("ref") or "")
    if not ref.startswith("refs/heads/") or payload.get("deleted") or not payload.get("after"):
        return
    owner, repo = repository(payload)
    api = ctx.installation()
    commits, note = await _commits(api, owner, repo, payload)
    pusher = str((payload.get("sender") or {}).get("login") or (payload.get("pusher") or {}).get("name") or "")
    push = _Push(
        owner,
        repo,
        ref.removeprefix("refs/heads/"),
        str(payload.get("before") or ZERO_SHA),
        str(payload["after"]),
        str((payload.get("repository") or {}).get("default_branch") or ""),
        pusher,
    )
    await _judge(enforcer, ctx, api, push, commits=commits, note=note)


async def recheck_push(enforcer: Enforcer, ctx: JobContext, after: str) -> None:
    """Judge a recorded direct push again ("Re-run" on its check), by the policy that governed the push; the
    App's signal table may have changed since, and a run that failed half way gets its outcome."""
    owner, repo = repository(ctx.payload)
    row = await asyncio.to_thread(find_push, ctx.inbox.db, f"{owner}/{repo}", after)
    if row is None:
        return
    api = ctx.installation()
    default = str((ctx.payload.get("repository") or {}).get("default_branch") or "")
    body = await api.compare(owner, repo, row.before_sha, after) if row.before_sha != ZERO_SHA else {}
    commits = [shapes.commit(c) for c in body.get("commits") or []]
    push = _Push(owner, repo, row.branch, row.before_sha, after, default, row.pusher)
    if await _judge(enforcer, ctx, api, push, commits=commits, note="") is None:
        target = Target(owner, repo, after, None, details_url(ctx, push.full_name, None, after))
        checks = CheckPublisher(api, ctx.inbox.db, target)
        await checks.complete(
            GateResult(
                Gate.PROVENANCE,
                Conclusion.SUCCESS,
                "No violation when judged again",
                "Judged again, this push is not a violation of the policy.",
            ),
            [],
        )


@dataclass(frozen=True)
class _Push:
    owner: str
    repo: str
    branch: str
    before: str
    after: str
    default_branch: str
    pusher: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


async def _judge(
    enforcer: Enforcer, ctx: JobContext, api: InstallationAPI, push: _Push, *, commits: list[Commit], note: str
) -> GateResult | None:
    """Flag the push if it carries AI-written commits that no merged pull request brought in."""
    at = push.before if push.before != ZERO_SHA else push.default_branch or None
    loaded = await enforcer.policies.load(api, push.owner, push.repo, at)
    policy = loaded.policy
    if policy is None:
        ctx.log.warning("push not judged: the policy is invalid", extra={"issues": [str(i) for i in loaded.issues]})
        return None
    if not policy.direct_push.watches(push.branch, push.default_branch):
        return None
    signals = policy.signals if policy.signals is not None else enforcer.policies.signals
    verdicts = await asyncio.to_thread(lambda: [detect_commit(signals, c) for c in commits])  # CPU: off the loop
    flagged = [(c, v) for c, v in zip(commits, verdicts, strict=True) if policy.ai.is_ai(v)]
    if not flagged or await _via_pull(api, push.owner, push.repo, push.after, push.branch) is not None:
        return None
    lone = [
        (c, v)
        for c, v in flagged
        if c.sha == push.after or await _via_pull(api, push.owner, push.repo, c.sha, push.branch) is None
    ]
    if not lone:
        return None
    result = apply_mode(violation(lone, push.branch, note), policy.gate_mode(Gate.PROVENANCE))
    evidence = [{"sha": c.sha, "tools": list(v.tools), "signals": [s.id for s in v.signals]} for c, v in lone]
    await asyncio.to_thread(
        record_push,
        ctx.inbox.db,
        repository=push.full_name,
        branch=push.branch,
        before_sha=push.before,
        after_sha=push.after,
        pusher=push.pusher,
        commits=json.dumps(evidence),
    )
    checks = CheckPublisher(
        api,
        ctx.inbox.db,
        Target(push.owner, push.repo, push.after, None, details_url(ctx, push.full_name, None, push.after)),
    )
    await checks.complete(result, [RERUN] if result.conclusion is Conclusion.FAILURE else [])
    row = await asyncio.to_thread(find_push, ctx.inbox.db, push.full_name, push.after)
    if policy.direct_push.open_issue and row is not None and row.issue_number is None:
        number = await _open_issue(
            api, push.owner, push.repo, result, pusher=push.pusher, mentions=_mentions(policy), after=push.after
        )
        await asyncio.to_thread(set_push_issue, ctx.inbox.db, push.full_name, push.after, number)
    return result


async def _open_issue(
    api: InstallationAPI, owner: str, repo: str, result: GateResult, *, pusher: str, mentions: list[str], after: str
) -> int:
    who = f"@{pusher} pushed" if pusher else "Someone pushed"
    cc = f"\n\ncc {' '.join(mentions)}" if mentions else ""
    body = f"{who} `{after[:12]}`.\n\n{result.summary}{cc}"
    title = f"prompt-to-pr: {result.title}"[:256]
    try:
        issue = await api.create_issue(owner, repo, title, body, assignees=[pusher] if pusher else [])
    except ValidationFailed:  # the pusher cannot be assigned (not a collaborator): open it unassigned
        issue = await api.create_issue(owner, repo, title, body)
    return int(issue["number"])
