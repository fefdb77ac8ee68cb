"""The job-layer guard around every enforcement handler: GitHub asking us to wait becomes `Retry(after_s)`, and
on the final attempt a failure still publishes an outcome, so a pull request never waits on a check that will
never come."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ghapp.core.decisions import Conclusion, Gate, GateResult
from ghapp.enforcement.enforcer import Enforcer, details_url
from ghapp.github.errors import Reschedulable
from ghapp.github.publish import RERUN, CheckPublisher, Target
from ghapp.runtime.jobs import Handler, JobContext, Retry
from ghapp.store import head_words
from ghapp.store.check_runs import COMPLETED, run_statuses

STANDARD = (Gate.PROVENANCE, Gate.LINT, Gate.TYPES, Gate.SEMGREP, Gate.DEPENDENCY_AUDIT, Gate.APPROVALS)
log = logging.getLogger(__name__)
EnforcementHandler = Callable[[Enforcer, JobContext], Awaitable[None]]


def guarded(enforcer: Enforcer, handler: EnforcementHandler, *, focus: tuple[Gate, ...] = STANDARD) -> Handler:
    """A job handler running `handler`. `focus`: the gates this kind of event decides (its error outcome
    covers them, plus any check of the head left unfinished)."""

    async def run(ctx: JobContext) -> None:
        try:
            await handler(enforcer, ctx)
        except Retry:
            raise
        except Reschedulable as exc:
            raise Retry(exc.retry_after_s, str(exc)) from exc
        except Exception as exc:
            if ctx.final_attempt:
                try:
                    await publish_error(ctx, exc, focus)
                except Exception:
                    log.warning("could not publish the error outcome", exc_info=True)
            raise

    run.__name__ = getattr(handler, "__name__", "enforcement")
    return run


def _target(ctx: JobContext) -> Target | None:
    payload: dict[str, Any] = ctx.payload
    full_name = str((payload.get("repository") or {}).get("full_name") or "")
    owner, _, repo = full_name.partition("/")
    pr = payload.get("pull_request") or {}
    run = payload.get(ctx.event) if ctx.event in ("check_run", "check_suite") else None
    if pr.get("head"):
        sha, pr_number = str(pr["head"].get("sha")), int(pr["number"])
        return Target(owner, repo, sha, pr_number, details_url(ctx, full_name, pr_number, sha))
    if isinstance(run, dict) and run.get("head_sha"):
        external = str(run.get("external_id") or "")
        number = int(external[3:]) if external.startswith("pr:") and external[3:].isdigit() else None
        sha = str(run["head_sha"])
        return Target(owner, repo, sha, number, details_url(ctx, full_name, number, sha))
    if ctx.event == "push" and payload.get("after"):
        sha = str(payload["after"])
        return Target(owner, repo, sha, None, details_url(ctx, full_name, None, sha))
    group = payload.get("merge_group") if ctx.event == "merge_group" else None
    if isinstance(group, dict) and group.get("head_sha"):
        sha = str(group["head_sha"])
        return Target(owner, repo, sha, None, details_url(ctx, full_name, None, sha))
    return None


def _unfinished(ctx: JobContext, target: Target) -> tuple[set[Gate], bool]:
    """(gates whose runs on the head are not completed, or whose run this PR's word held back while its tools
    ran within the grace; whether the head has any run of ours at all)."""
    statuses = run_statuses(ctx.inbox.db, target.full_name, target.head_sha)
    unfinished = {Gate(gate) for gate, status in statuses.items() if status != COMPLETED}
    if target.pr_number is not None:
        unfinished |= head_words.pending(ctx.inbox.db, target.full_name, target.head_sha, target.pr_number)
    return unfinished, bool(statuses)


async def publish_error(ctx: JobContext, exc: Exception, focus: tuple[Gate, ...]) -> None:
    target = _target(ctx)
    if target is None:
        return
    unfinished, any_runs = await asyncio.to_thread(_unfinished, ctx, target)
    chosen = focus if any_runs or target.pr_number is None or not focus else STANDARD
    gates = unfinished | set(chosen)
    checks = CheckPublisher(ctx.installation(), ctx.inbox.db, target)
    why = f"{type(exc).__name__}: {exc}"[:500]
    for gate in sorted(gates):
        await checks.complete(
            GateResult(
                gate,
                Conclusion.FAILURE,
                "The App could not evaluate this commit",
                f"prompt-to-pr failed while evaluating this commit and gave up after several attempts:\n\n"
                f"```\n{why}\n```\n\nNothing was judged, so this check does not pass. Use **Re-run** once the "
                "cause is fixed, or push a new commit.",
            ),
            [RERUN],
        )
