"""Evaluate one pull request's head and publish the outcome: the one path every PR event goes through.

Policy from the base branch (invalid: the `policy` gate fails with file:line:col and nothing else is judged)
-> facts -> a first decision published at once (provenance, approvals, skipped gates, tool gates whose
stored report still holds) -> review requests and labels -> the tool gates that must run, on the changed
files: their runs created once, completed, when the tools finish within `GHAPP_CHECKS_GRACE_S`, else shown
in progress meanwhile -> the evaluations recorded. A PR closed or moved to a newer head meanwhile stops the
work, and no run it left in progress stays so (cancelled).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from ghapp.core.decisions import CategoryResult, Conclusion, Decision, Gate, GateResult, ToolReport
from ghapp.core.evaluate import evaluate, evaluate_policy_error, gates_to_run
from ghapp.core.facts import Facts
from ghapp.core.policy.edit import edit_issues
from ghapp.core.policy.load import POLICY_PATH, Policy, PolicyIssue
from ghapp.enforcement import heads, records
from ghapp.enforcement.enforcer import Enforcer, details_url, repository
from ghapp.enforcement.notes import edit_note, run_notes
from ghapp.enforcement.scanning import PullHead, share
from ghapp.enforcement.tool_plan import busy, by_gate, completions, failed, fingerprint, idle_report, reusable
from ghapp.enforcement.tools import run_tools
from ghapp.github import shapes
from ghapp.github.api import InstallationAPI
from ghapp.github.dismissals import dismiss_stale
from ghapp.github.facts import Head
from ghapp.github.publish import CheckPublisher, Target, default_actions
from ghapp.github.pull_reads import PullReads
from ghapp.github.review_requests import ReviewRequester
from ghapp.observability.reports import observe_reports
from ghapp.runners import Runner
from ghapp.runtime.jobs import JobContext
from ghapp.store.deliveries import head_payloads

JSON = dict[str, Any]


class PullRun:
    """One evaluation of one PR head, for one delivery."""

    def __init__(self, enforcer: Enforcer, ctx: JobContext, api: InstallationAPI, pr_json: JSON) -> None:
        self.enforcer, self.ctx, self.api, self.pr_json = enforcer, ctx, api, pr_json
        self.pr = shapes.pull_request(pr_json)
        base_repo = (pr_json.get("base") or {}).get("repo") or ctx.payload.get("repository") or {}
        self.owner, self.repo = repository({"repository": base_repo})
        self.full_name = f"{self.owner}/{self.repo}"
        self.target = Target(
            self.owner,
            self.repo,
            self.pr.head_sha,
            self.pr.number,
            details_url(ctx, self.full_name, self.pr.number, self.pr.head_sha),
        )
        self.sources: tuple[str, ...] = ()  # the policy layers the decision was made under
        # policy files, commits, reviews and events: one GraphQL query shared by the policy and the facts
        self.reads = PullReads(api, self.owner, self.repo, self.pr.number, self.pr.base_ref)
        self.checks = CheckPublisher(api, ctx.inbox.db, self.target)

    async def moot(self) -> str | None:
        """ "closed" or "newer" when a later delivery made this work pointless."""
        claim = self.ctx.delivery
        return await asyncio.to_thread(
            records.superseded, self.ctx.inbox.db, self.full_name, self.pr.number, claim.delivery_id, claim.received_at
        )

    async def run(
        self,
        *,
        tools: bool = True,
        rerun: Collection[Gate] = (),
        only: Collection[Gate] | None = None,
        ask_reviews: bool = True,
        force_requests: bool = False,
    ) -> Decision | None:
        """Evaluate and publish. `tools`: run the tool gates that have no stored report for this head;
        `rerun`: run these even if they have; `only`: publish only these gates (reviews: approvals)."""
        if self.pr_json.get("state") == "closed" or await self.moot():
            return None
        if await self._retargeted():
            return None
        await heads.leave(self.api, self.ctx.inbox.db, self.target, keep_head=self.pr.head_sha)
        loaded = await self.enforcer.policies.load(self.api, self.owner, self.repo, self.pr.base_ref, reads=self.reads)
        self.sources = loaded.sources
        head = await self.enforcer.gatherer.head(self.api, self.owner, self.repo, self.pr_json, reads=self.reads)
        edit = await self._edit_issues(head)
        if loaded.policy is None:
            decision = edit_note(evaluate_policy_error(loaded.issues, self.pr.head_sha), edit)
            await self._publish(decision, only)
            return await self._record(decision)
        return await self._judge(
            loaded.policy,
            edit,
            tools=tools,
            rerun=rerun,
            only=only,
            ask_reviews=ask_reviews,
            force_requests=force_requests,
        )

    async def _judge(
        self,
        policy: Policy,
        edit: tuple[PolicyIssue, ...] | None,
        *,
        tools: bool,
        rerun: Collection[Gate],
        only: Collection[Gate] | None,
        ask_reviews: bool,
        force_requests: bool,
    ) -> Decision | None:
        db = self.ctx.inbox.db
        runners = by_gate(self.enforcer.runners)
        prints = {gate: fingerprint(policy, group) for gate, group in runners.items()}
        loaded = await asyncio.to_thread(
            records.load_reports,
            db,
            self.full_name,
            self.pr.head_sha,
            {g: p for g, p in prints.items() if g not in rerun},
        )
        overrides = await asyncio.to_thread(records.load_overrides, db, self.full_name, self.pr.number)
        history = await asyncio.to_thread(records.pull_history, db, self.full_name, self.pr.number)
        facts = await self.enforcer.gatherer.gather(
            self.api,
            self.owner,
            self.repo,
            self.pr_json,
            policy,
            overrides=overrides,
            pushers=history.pushers,
            retargeted_at=history.retargeted_at,
            reads=self.reads,
        )
        # reports stored for this head may have been made for another diff (a retargeted PR, another PR with
        # this head): a gate's reports count only if they looked at every file this diff gives its tools
        stored = {
            g: kept for g, reports in loaded.items() if (kept := reusable(runners[g], reports, facts.files)) is not None
        }
        # the other gates run again; a tool with a clean stored report runs only on what it did not look at
        partial = {
            name: pair
            for g, reports in loaded.items()
            if g not in stored and g in runners
            for name, pair in completions(runners[g], reports, facts.files).items()
        }
        facts = replace(facts, tool_reports=tuple(r for reports in stored.values() for r in reports))
        first = await self._decide(policy, facts, edit)
        wanted = {s.gate for s in gates_to_run(policy, first.verdict, self.pr.base_ref)}
        missing = [r for g in sorted(wanted & runners.keys()) if g not in stored for r in runners[g]]
        missing = missing if tools else []
        work = [] if facts.files_truncated else busy(missing, facts.files)
        done = (
            list(
                failed(
                    missing,
                    "not run: GitHub listed only part of the PR's files (over 3,000), so it "
                    "cannot be checked completely; split the PR",
                )
            )
            if facts.files_truncated
            else []
        )
        done += [idle_report(r) for r in missing if r not in work and not facts.files_truncated]
        facts = replace(facts, tool_reports=(*facts.tool_reports, *done))
        decision = await self._decide(policy, facts, edit)
        pending = {r.gate for r in work}
        await self._publish(decision, only, skip=pending)
        hidden: list[Gate] = []
        if work and (only is None or pending & set(only)):
            names = ", ".join(r.name for r in work)
            hidden = await self.checks.hold(sorted(pending), f"Running {names}", "Analysing the changed files.")
        if policy.dismiss_stale and (only is None or Gate.APPROVALS in only):
            dismissed = await dismiss_stale(
                self.api,
                self.owner,
                self.repo,
                self.pr.number,
                head_sha=self.pr.head_sha,
                categories=decision.approvals,
                changed_since=facts.changed_since,
            )
            await asyncio.to_thread(
                records.record_dismissals, db, self.full_name, self.pr.number, self.pr.head_sha, dismissed
            )
        if ask_reviews and not self.pr.draft and (only is None or Gate.APPROVALS in only):
            requester = ReviewRequester(self.api, db, self.owner, self.repo)
            retried = self.ctx.delivery.retried  # a request of an earlier try may have gone unrecorded
            await requester.request(self.pr_json, decision.approvals, force=force_requests, retried=retried)
        if only is None:
            current = [str(label.get("name", "")) for label in self.pr_json.get("labels") or []]
            hand = facts.pull_request.hand_labels if facts.pull_request is not None else ()
            await self.enforcer.labels.sync(
                self.api,
                self.owner,
                self.repo,
                self.pr.number,
                current=current,
                verdict=decision.verdict,
                settings=policy.labels,
                keep=[label.name for label in hand],
            )
        if work and (only is None or pending & set(only)):
            finished = await self._tools(policy, facts, work, prints, partial, hidden=hidden)
            if finished is None:
                return await self._record(decision)
            decision = await self._decide(policy, replace(facts, tool_reports=(*facts.tool_reports, *finished)), edit)
            await self._publish(decision, only)
            head = PullHead(self.owner, self.repo, self.pr.number, self.pr.head_sha, facts.files)
            await share(self.ctx, self.api, head, policy, decision, reports=(*facts.tool_reports, *finished))
        return await self._record(decision)

    async def _tools(
        self,
        policy: Policy,
        facts: Facts,
        work: list[Runner],
        prints: dict[Gate, str],
        partial: Mapping[str, tuple[ToolReport, list[str]]],
        *,
        hidden: list[Gate],
    ) -> tuple[ToolReport, ...] | None:
        """Run the tools (one in `partial` only on the files its stored report did not look at, joined to that
        report); None when the PR was closed or got a newer head meanwhile. The `hidden` gates' runs are created
        `in_progress` only if the tools outlast `checks_grace_s`; otherwise they are created once, completed."""
        gates = [r.gate for r in work]
        if await self._stopped(gates):
            return None
        tools = run_tools(
            self.api,
            self.ctx.settings,
            owner=self.owner,
            repo=self.repo,
            head_sha=self.pr.head_sha,
            base_ref=self.pr.base_ref,
            policy=policy,
            runners=work,
            files=facts.files,
            only={n: gap for n, (_, gap) in partial.items()},
        )
        running: asyncio.Task[tuple[ToolReport, ...]] = asyncio.create_task(tools)
        try:
            done, _ = await asyncio.wait({running}, timeout=max(self.ctx.settings.checks_grace_s, 0.0))
            if not done and hidden:
                await self.checks.reveal(hidden)
            reports = await running
        finally:
            if not running.done():  # a failure while showing the runs: the tools are not left running unseen
                running.cancel()
        observe_reports(reports, self.ctx.metrics, self.ctx.tracing)
        reports = tuple(partial[r.tool][0].joined(r) if r.tool in partial else r for r in reports)
        await asyncio.to_thread(
            records.save_reports, self.ctx.inbox.db, self.full_name, self.pr.head_sha, reports, prints
        )
        if await self._stopped(gates):
            return None
        return reports

    async def _stopped(self, gates: list[Gate]) -> bool:
        """Whether a later delivery made the work pointless. Closed: the PR's words go and its unfinished runs
        are cancelled; moved to a newer head: the runs this job left in progress on this head are cancelled (a
        run never created, its word held within the grace, stays uncreated)."""
        why = await self.moot()
        if why == "closed":
            await heads.close(self.api, self.ctx.inbox.db, self.target, gates)
        elif why == "newer" and await self._moved():
            await heads.abandon(self.api, self.ctx.inbox.db, self.target, gates)
        return why is not None

    async def _retargeted(self) -> bool:
        """Whether the PR is into another branch now than this delivery's copy says. GitHub does not promise the
        order of deliveries, and a retried one comes late: judged from its copy, the head would be judged by
        the old base's policy after the `edited` delivery of the retarget judged it by the new one. That
        delivery (done or to come) judges the PR as it is; this one does nothing."""
        now = await self.reads.current_base()
        if now and now != self.pr.base_ref:
            self.ctx.log.info(
                "pull request moved to another base since this delivery: not judged from its copy",
                extra={"base_in_delivery": self.pr.base_ref, "base_now": now},
            )
            return True
        return False

    async def _moved(self) -> bool:
        """Whether the PR's latest head, as the App heard it, is another commit than this one (a `reopened`
        delivery may name this very head: its job judges these runs itself)."""
        rows = await asyncio.to_thread(head_payloads, self.ctx.inbox.db, self.full_name, self.pr.number)
        latest = json.loads(rows[-1][1]) if rows else {}
        head = ((latest.get("pull_request") or {}).get("head") or {}).get("sha") if isinstance(latest, dict) else None
        return bool(head) and head != self.pr.head_sha

    async def _decide(self, policy: Policy, facts: Facts, edit: tuple[PolicyIssue, ...] | None) -> Decision:
        # CPU-bound (detection, thousands of files and findings): in a thread, so the event loop, and every
        # other delivery this worker is handling, goes on meanwhile
        decision = await asyncio.to_thread(evaluate, policy, facts, policy_edit=edit)
        commits = int(self.pr_json.get("commits") or 0) if facts.commits_truncated else None
        return run_notes(decision, commits_cut_at=commits, draft=self.pr.draft)

    async def _edit_issues(self, head: Head) -> tuple[PolicyIssue, ...] | None:
        """The issues of the policy file as this PR edits it (empty: valid), or None when it does not."""
        touched = [f for f in head.files if POLICY_PATH in f.paths]
        if not touched:
            return None
        kept = next((f for f in touched if f.path == POLICY_PATH and f.status != "removed"), None)
        text = None
        if kept is not None:
            found = await self.api.get_content(self.owner, self.repo, POLICY_PATH, self.pr.head_sha)
            text = found[0] if found is not None else None
        loaded = await self.enforcer.policies.load(
            self.api, self.owner, self.repo, None, repo_text=text, repo_removed=text is None, reads=self.reads
        )
        return edit_issues(text, POLICY_PATH, loaded.issues)  # nothing of the files it extends is quoted

    async def _publish(self, decision: Decision, only: Collection[Gate] | None, skip: Collection[Gate] = ()) -> None:
        can_request = any(_asks(c) for c in decision.approvals)
        for result in decision.gates:
            if result.gate in skip or (only is not None and result.gate not in only):
                continue
            await self.checks.complete(result, default_actions(result, can_request=can_request))
        if only is None and decision.gate(Gate.POLICY) is None and await self.checks.existing([Gate.POLICY]):
            # the policy was broken when this head was judged before: its failing check must not linger
            await self.checks.complete(
                GateResult(
                    Gate.POLICY,
                    Conclusion.SUCCESS,
                    "The policy is valid",
                    "The policy this pull request is judged by can be read.",
                ),
                [],
            )

    async def _record(self, decision: Decision) -> Decision:
        await asyncio.to_thread(
            records.record_evaluations,
            self.ctx.inbox.db,
            delivery_id=self.ctx.delivery.delivery_id,
            repository=self.full_name,
            pr_number=self.pr.number,
            decision=decision,
            gates=self.checks.sent,
            author=self.pr.author.login,
            sources=self.sources,
        )
        return decision


def _asks(category: CategoryResult) -> bool:
    return not category.satisfied and bool(category.request_users or category.request_teams)
