"""`pull_request` events: evaluate the head on opened, synchronize, reopened, edited, ready_for_review,
labeled and unlabeled; on closed, the PR stops speaking for its head (ghapp.enforcement.heads).

Tools run once per head: an edited description or a label change re-evaluates with the stored tool reports.
The App's own label changes come back as labeled/unlabeled events and are not judged again; a label GitHub
created when the App added it is given its colour and description there (ghapp.github.labels).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ghapp.core.decisions import Gate
from ghapp.enforcement import heads
from ghapp.enforcement.enforcer import Enforcer, details_url, repository
from ghapp.enforcement.pipeline import PullRun
from ghapp.github.labels import dress_added
from ghapp.github.publish import Target
from ghapp.github.shapes import is_owned_label
from ghapp.runtime.jobs import JobContext
from ghapp.store.check_runs import COMPLETED, run_statuses

EVALUATE = ("opened", "synchronize", "reopened", "edited", "ready_for_review", "labeled", "unlabeled")


def own_label_change(payload: dict[str, Any]) -> bool:
    """A label the App owns, added or removed by a bot (the App itself keeping it in sync)."""
    label = str((payload.get("label") or {}).get("name") or "")
    sender = payload.get("sender") or {}
    return is_owned_label(label) and (sender.get("type") == "Bot" or str(sender.get("login", "")).endswith("[bot]"))


async def on_pull_request(enforcer: Enforcer, ctx: JobContext) -> None:
    payload = ctx.payload
    if ctx.action in ("labeled", "unlabeled") and own_label_change(payload):
        if ctx.action == "labeled" and isinstance(payload.get("label"), dict):  # GitHub may have just created it
            owner, repo = repository(payload)
            await dress_added(ctx.installation(), owner, repo, payload["label"])
        return
    if ctx.action == "edited" and not set(payload.get("changes") or {}) & {"title", "body", "base"}:
        return  # nothing the policy reads changed
    run = PullRun(enforcer, ctx, ctx.installation(), payload["pull_request"])
    await run.run()


def _waiting(ctx: JobContext, full_name: str, head_sha: str) -> list[Gate]:
    statuses = run_statuses(ctx.inbox.db, full_name, head_sha)
    return [Gate(gate) for gate, status in statuses.items() if status != COMPLETED]


async def on_closed(enforcer: Enforcer, ctx: JobContext) -> None:
    """A closed PR no longer speaks for its head: each of its runs shows what the other open PRs with that head
    say, and a check that never finished and no other PR speaks for is cancelled, so none is left spinning."""
    pr = ctx.payload["pull_request"]
    owner, repo = repository(ctx.payload)
    full_name = f"{owner}/{repo}"
    head_sha = str(pr["head"]["sha"])
    waiting = await asyncio.to_thread(_waiting, ctx, full_name, head_sha)
    target = Target(owner, repo, head_sha, int(pr["number"]), details_url(ctx, full_name, int(pr["number"]), head_sha))
    await heads.close(ctx.installation(), ctx.inbox.db, target, waiting)
