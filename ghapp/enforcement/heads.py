"""Keeping a head's check runs true when a pull request stops speaking for it: the PR was closed, or it moved
to another head. Each run then shows the strictest word of the PRs still on that head; a head no open PR
speaks for any more is left as it is, except that checks still waiting on a closed PR, or left in progress by
a job that saw its PR move on, are cancelled."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from ghapp.core.decisions import Conclusion, Gate, GateResult
from ghapp.github.api import InstallationAPI
from ghapp.github.publish import CheckPublisher, Target
from ghapp.store import head_words
from ghapp.store.check_runs import COMPLETED, run_statuses
from ghapp.store.database import Database

CANCELLED = GateResult(
    Gate.PROVENANCE,
    Conclusion.CANCELLED,
    "Cancelled: the pull request was closed",
    "The pull request was closed before this check finished. Reopen it to run the check again.",
)
SUPERSEDED = GateResult(
    Gate.PROVENANCE,
    Conclusion.CANCELLED,
    "Cancelled: the pull request moved to a newer commit",
    "A newer commit was pushed to the pull request before this check finished; the newer commit is checked.",
)


async def leave(api: InstallationAPI, db: Database, target: Target, *, keep_head: str | None) -> set[str]:
    """`target.pr_number` no longer speaks for heads other than `keep_head` (any head when None). Returns the
    heads it left that no open PR speaks for any more."""
    assert target.pr_number is not None
    gone = await asyncio.to_thread(head_words.forget, db, target.full_name, target.pr_number, keep_head=keep_head)
    by_head: dict[str, set[Gate]] = defaultdict(set)
    for head, gate in gone:
        by_head[head].add(gate)
    orphaned = set()
    for head, gates in sorted(by_head.items()):
        others = await asyncio.to_thread(head_words.pulls_on_head, db, target.full_name, head)
        if not others:
            orphaned.add(head)
            continue
        checks = CheckPublisher(api, db, Target(target.owner, target.repo, head, min(others)))
        for gate in sorted(gates):
            await checks.show_strictest(gate)
    return orphaned


async def close(api: InstallationAPI, db: Database, target: Target, waiting: list[Gate]) -> None:
    """The PR was closed: its words go, and each of `waiting` (runs of the head not completed) shows what the
    other PRs with this head say, or is cancelled when no other PR speaks for it. A gate whose run was never
    created (its word was held within the grace) is left without one."""
    await leave(api, db, target, keep_head=None)
    await _settle(api, db, target, waiting, CANCELLED)


async def abandon(api: InstallationAPI, db: Database, target: Target, gates: list[Gate]) -> None:
    """The PR moved to a newer head while `gates` were being worked out on this one: its words on them go, and
    each run it left in progress shows what the other PRs with this head say, or is cancelled."""
    assert target.pr_number is not None
    await asyncio.to_thread(head_words.drop, db, target.full_name, target.head_sha, target.pr_number, gates)
    await _settle(api, db, target, gates, SUPERSEDED)


async def _settle(api: InstallationAPI, db: Database, target: Target, gates: list[Gate], why: GateResult) -> None:
    checks = CheckPublisher(api, db, target)
    statuses = await asyncio.to_thread(run_statuses, db, target.full_name, target.head_sha)
    for gate in gates:
        if await checks.show_strictest(gate):
            continue
        stored = await asyncio.to_thread(head_words.words, db, target.full_name, target.head_sha, gate)
        if not stored and statuses.get(gate.value, COMPLETED) != COMPLETED:
            await checks.show("completed", GateResult(gate, why.conclusion, why.title, why.summary), [])
