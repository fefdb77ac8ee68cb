"""`check_suite` / `check_run` events: "Re-run" from GitHub's UI, and the buttons on the App's check runs.

A re-run evaluates the PR head again with fresh tool runs (the whole suite, or the one tool gate asked for).
The buttons: `rerun`, and `request-reviews`, which asks the missing approvers again. Check events of forks
carry no `pull_requests`; a re-run is routed by commit: every open PR whose head is the run's commit is judged
again (a check on a commit speaks for all of them), found through GitHub's list of the commit's pull requests,
the App's own record of who spoke for the head, and the run's `external_id` (`pr:<number>`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

from ghapp.core.decisions import Gate
from ghapp.core.policy.model import TOOL_GATES
from ghapp.enforcement.enforcer import Enforcer, repository
from ghapp.enforcement.pipeline import PullRun
from ghapp.enforcement.push import recheck_push
from ghapp.github.api import InstallationAPI
from ghapp.github.publish import REQUEST_REVIEWS_ID, RERUN_ID, gate_of
from ghapp.runtime.jobs import JobContext
from ghapp.store import head_words
from ghapp.store.database import Database


def _ours(ctx: JobContext, obj: dict[str, Any]) -> bool:
    app_id = (obj.get("app") or {}).get("id")
    return app_id is None or str(app_id) == str(ctx.settings.app_id)


async def _numbers(api: InstallationAPI, db: Database, owner: str, repo: str, obj: dict[str, Any]) -> list[int]:
    """Every open pull request whose head is the run's commit. A check on a commit speaks for all of them, so a
    re-run judges each again: the PR number stored on the run names only one of them."""
    head = str(obj.get("head_sha") or "")
    if not head:
        return []
    pulls = await api.list_commit_pulls(owner, repo, head)
    found = {int(p["number"]) for p in pulls if p.get("state") == "open" and (p.get("head") or {}).get("sha") == head}
    found |= {int(p["number"]) for p in obj.get("pull_requests") or [] if isinstance(p, dict) and "number" in p}
    found |= await asyncio.to_thread(head_words.pulls_on_head, db, f"{owner}/{repo}", head)
    external = str(obj.get("external_id") or "")
    if external.startswith("pr:") and external[3:].isdigit():  # forks: GitHub's lists may leave their PRs out
        found.add(int(external[3:]))
    return sorted(found)


async def _rerun(
    enforcer: Enforcer,
    ctx: JobContext,
    obj: dict[str, Any],
    *,
    gates: Collection[Gate],
    only: Collection[Gate] | None = None,
    requests: bool = False,
) -> None:
    owner, repo = repository(ctx.payload)
    api = ctx.installation()
    head = str(obj.get("head_sha") or "")
    if str(obj.get("external_id") or "").startswith("push:"):
        await recheck_push(enforcer, ctx, head)
        return
    for number in await _numbers(api, ctx.inbox.db, owner, repo, obj):
        pr_json = await api.get_pull(owner, repo, number)
        if (pr_json.get("head") or {}).get("sha") != head or pr_json.get("state") != "open":
            continue  # a superseded head or a closed PR: left alone
        run = PullRun(enforcer, ctx, api, pr_json)
        if requests:
            await run.run(tools=False, only=(Gate.APPROVALS,), force_requests=True)
        else:
            await run.run(rerun=gates, only=only)


async def on_suite_rerequested(enforcer: Enforcer, ctx: JobContext) -> None:
    suite = ctx.payload.get("check_suite") or {}
    if _ours(ctx, suite):
        await _rerun(enforcer, ctx, suite, gates=TOOL_GATES)


async def on_run_rerequested(enforcer: Enforcer, ctx: JobContext) -> None:
    run = ctx.payload.get("check_run") or {}
    gate = gate_of(str(run.get("name") or ""))
    if gate is None or not _ours(ctx, run):
        return
    await _rerun(enforcer, ctx, run, gates=(gate,) if gate in TOOL_GATES else ())


async def on_requested_action(enforcer: Enforcer, ctx: JobContext) -> None:
    run = ctx.payload.get("check_run") or {}
    gate = gate_of(str(run.get("name") or ""))
    identifier = str((ctx.payload.get("requested_action") or {}).get("identifier") or "")
    if gate is None or not _ours(ctx, run):
        return
    if identifier == REQUEST_REVIEWS_ID:
        await _rerun(enforcer, ctx, run, gates=(), requests=True)
    elif identifier == RERUN_ID:
        await _rerun(enforcer, ctx, run, gates=(gate,) if gate in TOOL_GATES else ())
    else:
        ctx.log.info("unknown check run action", extra={"identifier": identifier})
