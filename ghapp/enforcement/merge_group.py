"""`merge_group` events: a merge queue asks for the required checks on a group's commit before it merges it.

`checks_requested`: every gate is published on `merge_group.head_sha`. The group passes a gate only when each
pull request in it passes that gate at its current head, judged again now (so a dismissed or stale approval
counts as what it is), and, for the tool gates, when the tools pass on the group's own diff against its base
(what the queue is about to merge, which no PR showed on its own). The PRs are those the group's commits name
("Merge pull request #N", "Title (#N)") and the one in its `gh-readonly-queue/<base>/pr-<N>-<sha>` ref; a file
the group changes that none of them changes fails `provenance` and `approvals`: it was never judged.
`destroyed` (merged, invalidated, dequeued) needs no work: the group's commit is gone with its ref.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

from ghapp.core.decisions import Conclusion, Gate, GateResult
from ghapp.core.evaluate import evaluate_policy_error
from ghapp.core.gates.heads import PullWord, strictest
from ghapp.core.gates.outcome import apply_mode
from ghapp.core.gates.summary import code, finish, table
from ghapp.core.gates.tools import tool_gate
from ghapp.core.policy.load import Policy
from ghapp.enforcement.enforcer import Enforcer, details_url, repository
from ghapp.enforcement.pipeline import PullRun
from ghapp.enforcement.tool_plan import busy, idle_report
from ghapp.enforcement.tools import run_tools
from ghapp.github import shapes
from ghapp.github.api import COMPARE_FILES_CAP, InstallationAPI
from ghapp.github.publish import RERUN, CheckPublisher, Target
from ghapp.runtime.jobs import JobContext
from ghapp.store import head_words

JSON = dict[str, Any]
GATES = (Gate.PROVENANCE, Gate.LINT, Gate.TYPES, Gate.SEMGREP, Gate.DEPENDENCY_AUDIT, Gate.APPROVALS)
_NAMED = re.compile(r"^Merge pull request #(\d+)\b|\(#(\d+)\)\s*$")
_QUEUE_REF = re.compile(r"/pr-(\d+)-[0-9a-f]+$")
GROUP = 0  # the "PR number" under which the group's own diff speaks


def members(head_ref: str, commits: Iterable[JSON]) -> list[int]:
    """The pull requests a group holds, as its commits' subjects and its queue ref name them."""
    found: set[int] = set()
    for item in commits:
        subject = str((item.get("commit") or {}).get("message") or "").split("\n", 1)[0]
        match = _NAMED.search(subject)
        if match:
            found.add(int(match.group(1) or match.group(2)))
    ref = _QUEUE_REF.search(head_ref)
    if ref:
        found.add(int(ref.group(1)))
    return sorted(found)


def _failed(gate: Gate, title: str, summary: str) -> GateResult:
    return GateResult(gate, Conclusion.FAILURE, title, summary)


async def on_checks_requested(enforcer: Enforcer, ctx: JobContext) -> None:
    group = ctx.payload.get("merge_group") or {}
    owner, repo = repository(ctx.payload)
    head_sha, base_sha = str(group["head_sha"]), str(group["base_sha"])
    base_ref = str(group.get("base_ref") or "").removeprefix("refs/heads/")
    api = ctx.installation()
    checks = CheckPublisher(
        api, ctx.inbox.db, Target(owner, repo, head_sha, None, details_url(ctx, f"{owner}/{repo}", None, head_sha))
    )
    loaded = await enforcer.policies.load(api, owner, repo, base_ref)
    if loaded.policy is None:
        for result in evaluate_policy_error(loaded.issues, head_sha).gates:
            await checks.complete(result, [RERUN])
        return
    compared = await api.compare(owner, repo, base_sha, head_sha)
    numbers = members(str(group.get("head_ref") or ""), compared.get("commits") or [])
    judged = await _judge_pulls(enforcer, ctx, api, owner=owner, repo=repo, numbers=numbers)
    words, covered, is_ai, problems = judged
    files = tuple(shapes.changed_file(f) for f in compared.get("files") or [])
    unexplained = sorted(p for f in files for p in f.paths if p not in covered)
    own = await _group_tools(
        enforcer,
        ctx,
        api,
        loaded.policy,
        owner=owner,
        repo=repo,
        head_sha=head_sha,
        base_ref=base_ref,
        files=files,
        is_ai=is_ai,
        truncated=len(files) >= COMPARE_FILES_CAP,
    )
    for gate in GATES:
        said = [*words.get(gate, []), *([PullWord(GROUP, "completed", own[gate])] if gate in own else [])]
        await checks.complete(_verdict(gate, said, numbers, problems, unexplained), [RERUN])


async def _judge_pulls(
    enforcer: Enforcer, ctx: JobContext, api: InstallationAPI, *, owner: str, repo: str, numbers: list[int]
) -> tuple[dict[Gate, list[PullWord]], set[str], bool, list[str]]:
    """Each PR judged again at its current head: (its words per gate, the paths its diff changes, whether any is
    AI-written, what kept a PR from being judged)."""
    words: dict[Gate, list[PullWord]] = {}
    covered: set[str] = set()
    is_ai = False
    problems: list[str] = []
    for number in numbers:
        pr_json = await api.get_pull(owner, repo, number)
        if pr_json.get("state") != "open":
            problems.append(f"#{number} is not open")
            continue
        decision = await PullRun(enforcer, ctx, api, pr_json).run(ask_reviews=False)
        if decision is None:
            problems.append(f"#{number} could not be judged now")
            continue
        is_ai = is_ai or decision.verdict.is_ai
        head = await enforcer.gatherer.head(api, owner, repo, pr_json)
        covered.update(p for f in head.files for p in f.paths)
        sha = str((pr_json.get("head") or {}).get("sha") or "")
        for gate in GATES:
            stored = await asyncio.to_thread(head_words.words, ctx.inbox.db, f"{owner}/{repo}", sha, gate)
            if stored:
                word = strictest([w.word for w in stored])
                words.setdefault(gate, []).append(PullWord(number, word.status, word.result))
            else:
                problems.append(f"#{number} shows no `{gate.value}` result")
    return words, covered, is_ai, problems


async def _group_tools(
    enforcer: Enforcer,
    ctx: JobContext,
    api: InstallationAPI,
    policy: Policy,
    *,
    owner: str,
    repo: str,
    head_sha: str,
    base_ref: str,
    files: tuple[Any, ...],
    is_ai: bool,
    truncated: bool,
) -> dict[Gate, GateResult]:
    """The tool gates on the group's own diff against its base (every tool the policy applies to its PRs). GitHub
    lists at most 300 files of a comparison: a longer diff cannot be judged whole, and its tool gates fail."""
    wanted = {s.gate for s in policy.gates if s.applies(is_ai, base_ref)}
    runners = [r for r in enforcer.runners if r.gate in wanted]
    work = [] if truncated else busy(runners, files)
    reports = (
        *await run_tools(
            api,
            ctx.settings,
            owner=owner,
            repo=repo,
            head_sha=head_sha,
            base_ref=base_ref,
            policy=policy,
            runners=work,
            files=files,
        ),
        *(idle_report(r) for r in runners if r not in work),
    )
    return {
        s.gate: apply_mode(
            tool_gate(
                s,
                [r for r in reports if r.gate is s.gate],
                files,
                is_ai=is_ai,
                files_truncated=truncated,
                base=base_ref,
            ),
            policy.gate_mode(s.gate),
        )
        for s in policy.gates
    }


def _verdict(
    gate: Gate, said: list[PullWord], numbers: list[int], problems: list[str], unexplained: list[str]
) -> GateResult:
    if not numbers:
        return _failed(
            gate,
            "No pull request found in this merge group",
            "The App could not tell which pull requests this merge group holds, so nothing in it was "
            "judged and this check does not pass.",
        )
    if unexplained and gate in (Gate.PROVENANCE, Gate.APPROVALS):
        shown = "\n".join(f"- {code(p)}" for p in unexplained[:50])
        return _failed(
            gate,
            "The group changes files none of its pull requests changes",
            f"These files are in the merge group's diff but in no pull request of it, so nobody judged "
            f"them:\n\n{shown}",
        )
    if problems:
        return _failed(gate, "A pull request of the group could not be judged", "\n".join(f"- {p}" for p in problems))
    if not said:
        return _failed(gate, "Nothing judged this gate", "No pull request of the group shows a result for it.")
    chosen = strictest(said)
    conclusion = chosen.result.conclusion if chosen.status == "completed" else Conclusion.FAILURE
    rows = [["the group's diff" if w.pr_number == GROUP else f"#{w.pr_number}", w.said] for w in said]
    note = (
        "A merge group passes a gate only when each of its pull requests passes it at its current head, and "
        "the tools pass on the group's own diff.\n\n" + table(["judged", "result"], rows)
    )
    who = "the group's diff" if chosen.pr_number == GROUP else f"#{chosen.pr_number}"
    return GateResult(
        gate,
        conclusion,
        f"Merge group: {chosen.result.title} ({who})"[:200],
        finish([chosen.result.summary, note]),
        chosen.result.annotations,
        chosen.result.would_conclude,
    )


async def on_destroyed(enforcer: Enforcer, ctx: JobContext) -> None:
    """Nothing to undo: the group's ref and commit are gone, and its check runs with them."""
    group = ctx.payload.get("merge_group") or {}
    ctx.log.info(
        "merge group destroyed", extra={"head_sha": group.get("head_sha"), "reason": ctx.payload.get("reason")}
    )
