"""Gate results -> check runs named `prompt-to-pr / <gate>`, exactly one per (repository, head, gate).

The `check_runs` table (unique on repository, head, gate) remembers each run's id, the digest of the output
last sent and the annotations already sent: a replay or a duplicate delivery updates the run instead of
creating another, an unchanged result is not sent again, and annotations, which GitHub appends on every
update, are never sent twice. Annotations go 50 per request; summaries are cut to GitHub's 65,535 characters.

A run is created once, with what it has to say: a gate whose conclusion is known is created completed, and a
tool gate's word that it is being worked out is held in the store (`hold`) and shown only when the tools
outlast the grace (`reveal`). Before each create the ledger gets a mark (`mark_create`): only a gate whose
mark is there without a run id (a create whose answer was lost, or a job stopped before recording it) makes
the publisher list the head's runs and adopt its own, so the normal path costs no list call.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ghapp.clock import utcnow
from ghapp.core.decisions import Conclusion, Gate, GateResult
from ghapp.core.gates.heads import Status, shown
from ghapp.github.api import InstallationAPI
from ghapp.github.run_output import (
    JSON,
    MAX_ANNOTATIONS,
    PER_REQUEST,
    REQUEST_REVIEWS,
    REQUEST_REVIEWS_ID,
    RERUN,
    RERUN_ID,
    annotation,
    check_name,
    default_actions,
    fit_summary,
    gate_of,
    listed_key,
    note_key,
)
from ghapp.store import head_words
from ghapp.store.check_runs import CheckRun, find_run, mark_create, save_run, set_annotations
from ghapp.store.database import Database

__all__ = [
    "REQUEST_REVIEWS",
    "REQUEST_REVIEWS_ID",
    "RERUN",
    "RERUN_ID",
    "CheckPublisher",
    "Target",
    "annotation",
    "check_name",
    "default_actions",
    "gate_of",
]
IN_FLIGHT = "~"  # a ledger key sent in a request whose answer has not come back (yet)


def _keys(row: CheckRun | None) -> list[str]:
    return list(json.loads(row.annotations)) if row is not None and row.annotations else []


@dataclass(frozen=True)
class Target:
    """Where check runs go: a head commit of a repository, for a pull request (or a push when pr_number is None)."""

    owner: str
    repo: str
    head_sha: str
    pr_number: int | None = None
    details_url: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def external_id(self) -> str:
        return f"pr:{self.pr_number}" if self.pr_number is not None else f"push:{self.head_sha}"


def _now() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


class CheckPublisher:
    """Publishes the check runs of one target. Database work runs in threads; one publisher per job."""

    def __init__(self, api: InstallationAPI, db: Database, target: Target) -> None:
        self.api = api
        self.db = db
        self.target = target
        self.sent: list[Gate] = []  # gates whose result was sent by `complete`
        self._remote: dict[str, int] | None = None  # our runs GitHub shows on the head, read before a create

    def _row(self, gate: Gate) -> CheckRun | None:
        return find_run(self.db, self.target.full_name, self.target.head_sha, gate.value)

    def _save(
        self,
        gate: Gate,
        run_id: int,
        *,
        status: str,
        conclusion: str | None,
        digest: str | None,
        annotations: str | None = None,
    ) -> None:
        save_run(
            self.db,
            self.target.full_name,
            self.target.head_sha,
            gate.value,
            run_id,
            status=status,
            conclusion=conclusion,
            digest=digest,
            annotations=annotations,
        )

    def _say(self, status: Status, result: GateResult, buttons: list[JSON] | None = None) -> bool:
        """Record this PR's word on `result.gate` of the head; False when it said exactly this before."""
        t = self.target
        number = t.pr_number if t.pr_number is not None else 0
        return head_words.save(
            self.db, t.full_name, t.head_sha, number, status=status, result=result, actions=buttons or []
        )

    def _note(self, gate: Gate, annotations: str) -> None:
        set_annotations(self.db, self.target.full_name, self.target.head_sha, gate.value, annotations)

    def _base(self, gate: Gate) -> JSON:
        body: JSON = {"name": check_name(gate), "external_id": self.target.external_id}
        if self.target.details_url:
            body["details_url"] = self.target.details_url
        return body

    async def _on_github(self, gate: Gate) -> int | None:
        """Our run of `gate` that GitHub already shows on the head though none is recorded: a create whose
        answer was lost, or a job stopped between the create and the record, left it. One list call per
        publisher, made only for a gate whose create was started (marked) and never recorded.

        Only runs this App created count (GitHub's `app_id` filter, checked again on each run): anyone who can
        run a workflow can put a run named `prompt-to-pr / approvals` on a commit, and adopting it would leave
        that run, with its conclusion, standing in for the App's own."""
        t = self.target
        if self._remote is None:
            own = self.api.app.app_id
            runs = await self.api.list_check_runs_for_ref(
                t.owner, t.repo, t.head_sha, app_id=int(own) if own.isdigit() else None
            )
            self._remote = {
                str(r.get("name")): int(r["id"])
                for r in runs
                if str((r.get("app") or {}).get("id")) == own and isinstance(r.get("id"), int)
            }
        return self._remote.get(check_name(gate))

    async def _resolve(self, gate: Gate, row: CheckRun | None) -> tuple[int | None, bool]:
        """(the gate's run id, None when it must be created; whether GitHub may hold annotations of it that the
        ledger does not list). The ledger is marked before every create, so a run GitHub may hold without our
        knowing its id always has a mark: only then is the head's list read."""
        if row is not None and row.check_run_id:
            return int(row.check_run_id), any(k.startswith(IN_FLIGHT) for k in _keys(row))
        if row is not None:  # marked: an earlier create may have reached GitHub
            found = await self._on_github(gate)
            return found, found is not None
        return None, False

    async def _send(self, gate: Gate, run_id: int | None, body: JSON) -> int:
        """Update the gate's run, or create it (marking the ledger first)."""
        t = self.target
        if run_id is None:
            await asyncio.to_thread(mark_create, self.db, t.full_name, t.head_sha, gate.value)
            created = await self.api.create_check_run(
                t.owner, t.repo, {**self._base(gate), "head_sha": t.head_sha, **body}
            )
            return int(created["id"])
        await self.api.update_check_run(t.owner, t.repo, run_id, body)
        return run_id

    async def _on_run(self, run_id: int) -> set[str]:
        """The keys of the annotations GitHub holds on the run: read only after an answer was lost."""
        t = self.target
        notes = await self.api.list_check_run_annotations(t.owner, t.repo, run_id)
        return {listed_key(note) for note in notes}

    async def hold(self, gates: Sequence[Gate], title: str, summary: str) -> list[Gate]:
        """Record this PR's word that `gates` are being worked out, without telling GitHub yet: a required
        check that does not exist blocks a merge exactly like one in progress, and the run is then created
        once, completed, if the work ends within the grace. A gate whose run exists already (a re-run, an
        earlier attempt, another PR with this head) or that another PR spoke on shows the word at once: the
        head must not keep showing a passing result while this PR has not judged it. Returns the gates not
        shown (for `reveal`). For a pull request's target only."""
        t = self.target
        assert t.pr_number is not None
        hidden = []
        for gate in gates:
            wait = GateResult(gate, Conclusion.NEUTRAL, title, fit_summary(summary))
            await asyncio.to_thread(self._say, "in_progress", wait)
            row = await asyncio.to_thread(self._row, gate)
            others = await asyncio.to_thread(head_words.words, self.db, t.full_name, t.head_sha, gate)
            if row is not None or any(w.word.pr_number != t.pr_number for w in others):
                await self.show_strictest(gate)
            else:
                hidden.append(gate)
        return hidden

    async def reveal(self, gates: Sequence[Gate]) -> None:
        """The grace is over: show the held word of each gate (its run is created `in_progress`)."""
        for gate in gates:
            await self.show_strictest(gate)

    async def complete(self, result: GateResult, actions: Sequence[JSON] | None = None) -> bool:
        """Conclude the gate's run with `result`; False when nothing changed (for a PR: its word on the gate is the
        one it said before and the run already shows the strictest word)."""
        notes = [annotation(f) for f in result.annotations]
        summary = result.summary
        if len(notes) > MAX_ANNOTATIONS:
            summary += f"\n\n_{len(notes)} findings; the first {MAX_ANNOTATIONS} are shown as annotations._"
        fitted = replace(result, summary=fit_summary(summary), annotations=result.annotations[:MAX_ANNOTATIONS])
        buttons = list(actions) if actions is not None else default_actions(result, can_request=False)
        if self.target.pr_number is None:
            changed = await self.show("completed", fitted, buttons)
        else:
            changed = await self._speak("completed", fitted, buttons)
        if changed:
            self.sent.append(result.gate)
        return changed

    async def _speak(self, status: Status, result: GateResult, buttons: list[JSON]) -> bool:
        """Record this PR's word on the gate, then show the strictest word of every PR with this head. Another
        worker may record a word between our read and our send: read again after sending, and send again while
        what we showed is no longer the strictest (a few rounds; the last writer always reads after its write)."""
        said = await asyncio.to_thread(self._say, status, result, buttons)
        shown_any = await self.show_strictest(result.gate)
        return said or shown_any

    async def show_strictest(self, gate: Gate) -> bool:
        """Show the strictest word the head's PRs said on `gate` (nothing when none said anything)."""
        t = self.target
        sent = False
        seen: list[str] | None = None
        for _ in range(3):
            stored = await asyncio.to_thread(head_words.words, self.db, t.full_name, t.head_sha, gate)
            if not stored or [w.digest for w in stored] == seen:
                break
            seen = [w.digest for w in stored]
            chosen = shown([w.word for w in stored])
            buttons = next(list(w.actions) for w in stored if w.word.pr_number == chosen.pr_number)
            sent = await self.show(chosen.status, chosen.result, buttons) or sent
        return sent

    async def show(self, status: Status, result: GateResult, buttons: list[JSON]) -> bool:
        """Make the gate's run show `result` (fitted already) with `status`; False when it already does."""
        gate = result.gate
        row = await asyncio.to_thread(self._row, gate)
        notes = [annotation(f) for f in result.annotations]
        conclusion = result.conclusion.value if status == "completed" else None
        digest = hashlib.sha256(
            json.dumps(
                [status, conclusion, result.title, result.summary, [note_key(n) for n in notes], buttons],
                sort_keys=True,
            ).encode()
        ).hexdigest()
        if row is not None and row.digest == digest and row.status == status:
            return False
        run_id, unsure = await self._resolve(gate, row)
        sent_keys = {k for k in _keys(row) if not k.startswith(IN_FLIGHT)}
        output: JSON = {"title": result.title, "summary": result.summary}
        body: JSON = {**self._base(gate), "status": status}
        if status != "completed":
            if status == "in_progress":
                body["started_at"] = _now()
            body["output"] = output
            run_id = await self._send(gate, run_id, body)
            await asyncio.to_thread(self._save, gate, run_id, status=status, conclusion=None, digest=digest)
            return True
        if unsure and run_id is not None:  # a request carrying annotations lost its answer: ask what GitHub has
            sent_keys = await self._on_run(run_id)
        fresh = [n for n in notes if note_key(n) not in sent_keys]
        body.update(
            {
                "conclusion": conclusion,
                "completed_at": _now(),
                "output": {**output, "annotations": fresh[:PER_REQUEST]},
                "actions": buttons,
            }
        )
        for start in range(0, max(len(fresh), 1), PER_REQUEST):  # further updates append the rest
            batch = fresh[start : start + PER_REQUEST]
            if run_id is not None and batch:  # GitHub appends: if this answer is lost, the next try asks first
                flying = json.dumps(sorted(sent_keys | {IN_FLIGHT + note_key(n) for n in batch}))
                await asyncio.to_thread(self._note, gate, flying)
            if start == 0:
                run_id = await self._send(gate, run_id, body)
            else:
                assert run_id is not None
                await self.api.update_check_run(
                    self.target.owner, self.target.repo, run_id, {"output": {**output, "annotations": batch}}
                )
            sent_keys |= {note_key(n) for n in batch}
        assert run_id is not None
        await asyncio.to_thread(
            self._save,
            gate,
            run_id,
            status="completed",
            conclusion=conclusion,
            digest=digest,
            annotations=json.dumps(sorted(sent_keys)),
        )
        return True

    async def existing(self, gates: Sequence[Gate]) -> dict[Gate, CheckRun]:
        """The recorded runs of these gates on the target's head."""
        rows = {gate: await asyncio.to_thread(self._row, gate) for gate in gates}
        return {gate: row for gate, row in rows.items() if row is not None}
