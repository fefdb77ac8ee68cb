"""`/prompt-to-pr override <gate>[@<sha>] <reason>` comments on a pull request.

An override is bound to the head the commenter saw: the commit it names, or else the head the PR had when the
comment was written (from the App's record of the PR's `pull_request` deliveries). When that is not the
current head (a push landed in between) it is refused with a reply, and nothing is evaluated. Every override
said is recorded (who, which gate, which head, why) before it is judged; the engine accepts it only from a
member of the policy's override team who is not the PR's author, with a reason, on the current head, for a
gate the policy lets be overridden. The PR is then evaluated again, so the gate's check shows the override
and its reason (or why it was refused), and the App answers the comment once.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from typing import Any, NamedTuple

from ghapp.core.decisions import Decision, Gate
from ghapp.core.gates.override_head import Binding, HeadSeen, bind
from ghapp.core.gates.summary import cell, code
from ghapp.enforcement.enforcer import Enforcer, repository
from ghapp.enforcement.pipeline import PullRun
from ghapp.github.publish import check_name
from ghapp.runtime.jobs import JobContext
from ghapp.store import overrides
from ghapp.store.deliveries import head_payloads

COMMAND = re.compile(
    r"^[ \t]*/prompt-to-pr[ \t]+override\b[ \t]*(?P<gate>[A-Za-z-]*)"
    r"(?:@(?P<sha>[0-9A-Fa-f]{7,40})\b)?[ \t]*(?P<reason>.*)$",
    re.IGNORECASE | re.MULTILINE,
)
GATES = ", ".join(f"`{g.value}`" for g in Gate)
USAGE = (
    f"Usage: `/prompt-to-pr override <gate> <reason>`, where the gate is one of {GATES}; to name the commit "
    "you looked at, `/prompt-to-pr override <gate>@<sha> <reason>`."
)


class Command(NamedTuple):
    gate: str  # as written, lower case
    reason: str
    sha: str | None = None  # the commit the comment names, if any


def parse(body: str) -> Command | None:
    """The first override command in a comment, or None."""
    match = COMMAND.search(body or "")
    if match is None:
        return None
    return Command(match["gate"].strip().lower(), match["reason"].strip(), match["sha"])


def heads_seen(rows: list[tuple[datetime, str]]) -> list[HeadSeen]:
    """The heads the PR had and since when, from stored `pull_request` payloads: GitHub's own `updated_at`
    (the clock the comment's `created_at` comes from), or when the App received the delivery."""
    heads = []
    for received, text in rows:
        try:
            pull = json.loads(text).get("pull_request") or {}
            sha = str((pull.get("head") or {}).get("sha") or "")
        except (ValueError, AttributeError):
            continue
        if sha:
            heads.append(HeadSeen(sha, str(pull.get("updated_at") or received.isoformat())))
    return heads


def verdict(decision: Decision | None, gate: Gate, login: str) -> tuple[bool, str]:
    """Whether the override by `login` is in force on the evaluated head, and why not (as the engine judged it)."""
    result = decision.gate(gate) if decision is not None else None
    if result is None:
        return False, "the pull request was not evaluated (closed, or a newer commit is being evaluated)"
    outcome = result.override_by(login)
    if outcome is None:
        return False, "the override was not seen on the evaluated head"
    return outcome.accepted, outcome.why


async def on_comment(enforcer: Enforcer, ctx: JobContext) -> None:
    payload: dict[str, Any] = ctx.payload
    issue, comment = payload.get("issue") or {}, payload.get("comment") or {}
    user = comment.get("user") or {}
    if not issue.get("pull_request") or user.get("type") == "Bot":
        return
    command = parse(str(comment.get("body") or ""))
    if command is None:
        return
    owner, repo = repository(payload)
    api = ctx.installation()
    number, login = int(issue["number"]), str(user.get("login") or "")
    try:
        gate = Gate(command.gate)
    except ValueError:
        await api.create_comment(owner, repo, number, f"@{login} {USAGE}")
        return
    pr_json = await api.get_pull(owner, repo, number)
    head = str((pr_json.get("head") or {}).get("sha") or "")
    comment_id = int(comment["id"])
    binding = await _bind(
        ctx, f"{owner}/{repo}", number, head, command, commented_at=str(comment.get("created_at") or "")
    )
    new = await asyncio.to_thread(
        overrides.save_override,
        ctx.inbox.db,
        comment_id=comment_id,
        repository=f"{owner}/{repo}",
        pr_number=number,
        head_sha=binding.head_sha or "",
        gate=gate.value,
        reason=command.reason,
        login=login,
        delivery_id=ctx.delivery.delivery_id,
    )
    if binding.head_sha is None:
        await asyncio.to_thread(overrides.judge_override, ctx.inbox.db, comment_id, False, binding.why)
        if new:
            await api.create_comment(
                owner, repo, number, f"@{login} override not accepted for `{check_name(gate)}`: {binding.why}."
            )
        return
    decision = await PullRun(enforcer, ctx, api, pr_json).run()
    accepted, why = verdict(decision, gate, login)
    await asyncio.to_thread(overrides.judge_override, ctx.inbox.db, comment_id, accepted, why)
    if not new:
        return  # a replayed delivery: the comment was answered the first time
    name = check_name(gate)
    if accepted:
        text = (
            f"@{login} override accepted: `{name}` passes on `{head[:12]}`. Reason recorded: "
            f"{cell(command.reason, 1000)}\n\nA new push needs a new override."
        )  # the commenter's words
    else:
        text = f"@{login} override not accepted for `{name}`: {why}."
    await api.create_comment(owner, repo, number, text)


async def _bind(
    ctx: JobContext, full_name: str, number: int, head: str, command: Command, *, commented_at: str
) -> Binding:
    """The head this override speaks for: the commit it names, or the head when the comment was written."""
    if command.sha:
        return bind(head, named=command.sha, commented_at=commented_at, heads=(), usage=USAGE)
    rows = await asyncio.to_thread(head_payloads, ctx.inbox.db, full_name, number)
    usage = code(f"/prompt-to-pr override {command.gate}@{head[:12]} {command.reason or '<reason>'}", 500)
    return bind(head, named=None, commented_at=commented_at, heads=heads_seen(rows), usage=usage)
