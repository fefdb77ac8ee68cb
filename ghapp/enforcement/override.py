"""`/prompt-to-pr override <gate> <reason>` comments on a pull request.

Every override said is recorded (who, which gate, which head, why) before it is judged; the engine accepts it
only from a member of the policy's override team who is not the PR's author, with a reason, on the current
head, for a gate the policy lets be overridden. The PR is then evaluated again, so the gate's check shows the
override and its reason (or why it was refused), and the App answers the comment once.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from ghapp.core.decisions import Decision, Gate
from ghapp.enforcement.enforcer import Enforcer, repository
from ghapp.enforcement.pipeline import PullRun
from ghapp.github.publish import check_name
from ghapp.runtime.jobs import JobContext
from ghapp.store import overrides

COMMAND = re.compile(r"^[ \t]*/prompt-to-pr[ \t]+override\b[ \t]*(?P<gate>[A-Za-z-]*)[ \t]*(?P<reason>.*)$",
                     re.IGNORECASE | re.MULTILINE)
GATES = ", ".join(f"`{g.value}`" for g in Gate)
USAGE = f"Usage: `/prompt-to-pr override <gate> <reason>`, where the gate is one of {GATES}."


def parse(body: str) -> tuple[str, str] | None:
    """(gate as written, reason) of the first override command in a comment, or None."""
    match = COMMAND.search(body or "")
    if match is None:
        return None
    return match["gate"].strip().lower(), match["reason"].strip()


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
        gate = Gate(command[0])
    except ValueError:
        await api.create_comment(owner, repo, number, f"@{login} {USAGE}")
        return
    pr_json = await api.get_pull(owner, repo, number)
    head = str((pr_json.get("head") or {}).get("sha") or "")
    comment_id = int(comment["id"])
    new = await asyncio.to_thread(
        overrides.save_override, ctx.inbox.db, comment_id=comment_id, repository=f"{owner}/{repo}", pr_number=number,
        head_sha=head, gate=gate.value, reason=command[1], login=login, delivery_id=ctx.delivery.delivery_id)
    decision = await PullRun(enforcer, ctx, api, pr_json).run()
    accepted, why = verdict(decision, gate, login)
    await asyncio.to_thread(overrides.judge_override, ctx.inbox.db, comment_id, accepted, why)
    if not new:
        return  # a replayed delivery: the comment was answered the first time
    name = check_name(gate)
    if accepted:
        text = (f"@{login} override accepted: `{name}` passes on `{head[:12]}`. Reason recorded: "
                f"{command[1]}\n\nA new push needs a new override.")
    else:
        text = f"@{login} override not accepted for `{name}`: {why}."
    await api.create_comment(owner, repo, number, text)
