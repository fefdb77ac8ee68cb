"""`pull_request_review` events: submitted, dismissed or edited reviews re-evaluate the approvals gate only.

No scanner runs and no other check changes: the approvals gate is recomputed from fresh reviews and team
memberships on the current head. A plain comment review cannot change any approval and is skipped.
"""

from __future__ import annotations

from ghapp.core.decisions import Gate
from ghapp.enforcement.enforcer import Enforcer
from ghapp.enforcement.pipeline import PullRun
from ghapp.runtime.jobs import JobContext


async def on_review(enforcer: Enforcer, ctx: JobContext) -> None:
    payload = ctx.payload
    review = payload.get("review") or {}
    if ctx.action == "submitted" and str(review.get("state", "")).lower() == "commented":
        return
    run = PullRun(enforcer, ctx, ctx.installation(), payload["pull_request"])
    await run.run(tools=False, only=(Gate.APPROVALS,), ask_reviews=False)
