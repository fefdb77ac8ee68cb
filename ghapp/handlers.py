"""What the App does for each webhook event: one async function per (event, action), and the explicit table
`build_handlers()` at the bottom returns; the composition root (ghapp.app) builds it and hands it to the worker.

Adding handlers (pull requests, reviews, check runs, ...): write `async def on_x(ctx: JobContext) -> None`
in the module that owns the behaviour, import it here and add its rows to `build_handlers`, keyed by
`(event, action)` or by the bare event name for every action. A delivery whose event has no row is
recorded as "ignored" and never queued. A handler returns normally (done), raises `Retry(after_s)` to
run again later without counting a failure, or raises anything else (counted; retried with backoff,
then failed, visible and re-runnable). `ctx.final_attempt` tells it when to publish a failure outcome.
Low-value events that may be shed under backpressure are listed in LOW_VALUE.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from ghapp.enforcement import Enforcer, handler_table
from ghapp.runtime.jobs import Handler, HandlerTable, JobContext
from ghapp.store.database import Database
from ghapp.store.installations import (
    InstallationInfo,
    RepositoryInfo,
    forget_installation,
    save_installation,
)


def _installation(installation: dict[str, Any], *, suspended: bool) -> InstallationInfo:
    account = installation.get("account") or {}
    return InstallationInfo(int(installation["id"]), account.get("login") or "", account.get("type") or "", suspended)


def _repositories(repositories: list[dict[str, Any]] | None) -> list[RepositoryInfo]:
    return [RepositoryInfo(repo["id"], repo["full_name"], bool(repo.get("private"))) for repo in repositories or []]


def apply_installation(db: Database, action: str | None, payload: dict[str, Any]) -> None:
    """Keep the installations and repositories tables in step with an `installation` event."""
    installation = payload["installation"]
    if action == "deleted":
        forget_installation(db, installation["id"])
        return
    # `suspend` arrives with suspended_at set; `unsuspend` with it cleared. Trust the action first.
    suspended = action == "suspend" or (action != "unsuspend" and bool(installation.get("suspended_at")))
    save_installation(
        db, _installation(installation, suspended=suspended), added=_repositories(payload.get("repositories"))
    )


def apply_installation_repositories(db: Database, payload: dict[str, Any]) -> None:
    """Repositories added to or removed from an installation's selection."""
    installation = payload["installation"]
    save_installation(
        db,
        _installation(installation, suspended=bool(installation.get("suspended_at"))),
        added=_repositories(payload.get("repositories_added")),
        removed=_repositories(payload.get("repositories_removed")),
    )


async def on_installation(ctx: JobContext) -> None:
    await asyncio.to_thread(apply_installation, ctx.inbox.db, ctx.action, ctx.payload)
    installation_id = (ctx.payload.get("installation") or {}).get("id")
    if ctx.action == "new_permissions_accepted" and ctx.github_app is not None and isinstance(installation_id, int):
        # a token lists what the installation granted when it was made (the optional `security_events` among
        # them): drop it, so the next call takes one with the permissions just accepted
        ctx.github_app.tokens.invalidate(installation_id)


async def on_installation_repositories(ctx: JobContext) -> None:
    await asyncio.to_thread(apply_installation_repositories, ctx.inbox.db, ctx.payload)


async def on_ping(ctx: JobContext) -> None:
    """GitHub's hello when the webhook is created: nothing to do but say so."""
    hook = ctx.payload.get("hook") or {}
    ctx.log.info("ping from GitHub", extra={"hook_id": hook.get("id"), "zen": ctx.payload.get("zen")})


# Shed first when the queue is over its depth limit: nothing a gate decides depends on them, or a later
# event (synchronize, review) recomputes the same result.
LOW_VALUE: frozenset[tuple[str, str]] = frozenset(
    {
        ("pull_request", "labeled"),
        ("pull_request", "unlabeled"),
        ("pull_request", "edited"),
        ("pull_request", "assigned"),
        ("pull_request", "unassigned"),
        ("check_suite", "completed"),
        ("check_run", "completed"),
        ("check_run", "created"),
        ("pull_request_review", "edited"),  # an edited review body changes no approval
    }
)


def low_value(event: str, action: str | None, payload: Mapping[str, Any]) -> bool:
    """True for deliveries that may be dropped under backpressure (pushes to a branch other than the default)."""
    if event == "push":
        repository = payload.get("repository")
        default = repository.get("default_branch") if isinstance(repository, dict) else None
        return payload.get("ref") != f"refs/heads/{default}"
    return (event, action or "") in LOW_VALUE


def build_handlers(enforcer: Enforcer | None = None) -> HandlerTable:
    """The App's handler table, built afresh (with its own enforcer: runners and caches). Pass an `Enforcer`
    with other runners to run the same table with fakes."""
    table: dict[tuple[str, str] | str, Handler] = {
        ("installation", "created"): on_installation,
        ("installation", "deleted"): on_installation,
        ("installation", "suspend"): on_installation,
        ("installation", "unsuspend"): on_installation,
        ("installation", "new_permissions_accepted"): on_installation,
        ("installation_repositories", "added"): on_installation_repositories,
        ("installation_repositories", "removed"): on_installation_repositories,
        "ping": on_ping,
    }
    # pull requests, reviews, re-runs and check buttons, override comments, direct pushes
    table.update(handler_table(enforcer))
    return table
