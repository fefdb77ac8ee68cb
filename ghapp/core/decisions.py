"""What the engine concludes: findings, tool reports, gate results and the Decision, all frozen and JSON-ready."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

Severity = Literal["error", "warning", "note"]
Confidence = Literal["strong", "medium", "weak"]
# "unknown": not judged, because the policy (and so the signal table) could not be read
VerdictKind = Literal["ai", "suspected", "human", "attested_human", "contradictory", "unknown"]


class Gate(StrEnum):
    """The check runs the App owns; the value is the part after `prompt-to-pr / `."""

    PROVENANCE = "provenance"
    LINT = "lint"
    TYPES = "types"
    SEMGREP = "semgrep"
    DEPENDENCY_AUDIT = "dependency-audit"
    APPROVALS = "approvals"
    POLICY = "policy"


class Conclusion(StrEnum):
    """GitHub's check-run conclusions that the App uses."""

    SUCCESS = "success"
    FAILURE = "failure"
    NEUTRAL = "neutral"
    ACTION_REQUIRED = "action_required"
    SKIPPED = "skipped"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Finding:
    """One problem a tool found, at a place in the head commit. Lines are 1-based; columns 1-based or None."""

    path: str
    line: int
    rule: str
    message: str
    severity: Severity = "error"
    end_line: int | None = None
    column: int | None = None
    end_column: int | None = None
    category: str | None = None  # a sensitive category (secrets, billing, auth) a rule marks the file with


@dataclass(frozen=True)
class Edit:
    """Replace the text from (`line`, `column`) up to, not including, (`end_line`, `end_column`) with `content`.
    Lines and columns are 1-based; columns count characters (code points), as ruff reports them."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class Fix:
    """A fix a tool offers for one of its findings (ruff's `fix`): edits to the file at `path`. `applicability`
    is the tool's word on it (`safe`, `unsafe`, `display-only`); only safe ones are ever suggested."""

    path: str
    line: int
    rule: str
    message: str
    applicability: str
    edits: tuple[Edit, ...]

    @staticmethod
    def from_json(data: dict[str, Any]) -> Fix:
        """A fix as `dataclasses.asdict` wrote it (a stored report)."""
        edits = tuple(Edit(**edit) for edit in data["edits"])
        return Fix(**{**data, "edits": edits})


@dataclass(frozen=True)
class ToolReport:
    """What one runner produced on the head: findings, plus why it could not judge something.

    `status` is "ok" when the tool ran and its output was understood; "error" and "timeout" mean the gate
    cannot pass (fail closed). `unaudited` names inputs the tool skipped (a package pip-audit could not
    check): each is a reason the gate cannot pass either.
    """

    gate: Gate
    tool: str
    version: str = ""
    status: Literal["ok", "error", "timeout"] = "ok"
    findings: tuple[Finding, ...] = ()
    error: str = ""
    unaudited: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    duration_s: float = 0.0
    considered: tuple[str, ...] = ()  # every changed path the run looked at, whether the tool read it or not
    fixes: tuple[Fix, ...] = ()  # the fixes the tool offers for its findings (ruff), whatever their lines

    def covers(self, needed: Iterable[str]) -> bool:
        """Whether this report speaks for each of `needed` (the paths the current diff gives its tool): a report
        stored for the head, made for another diff (a retargeted PR, another PR with this head), may not."""
        return set(needed) <= set(self.considered)

    def joined(self, more: ToolReport) -> ToolReport:
        """This report with `more`: a run of the same tool on the files this one did not look at."""
        return ToolReport(
            gate=self.gate,
            tool=self.tool,
            version=more.version or self.version,
            status=more.status if more.status != "ok" else self.status,
            findings=(*self.findings, *more.findings),
            error=more.error or self.error,
            unaudited=(*self.unaudited, *more.unaudited),
            files=tuple(dict.fromkeys((*self.files, *more.files))),
            rules=more.rules or self.rules,
            duration_s=round(self.duration_s + more.duration_s, 3),
            considered=tuple(sorted({*self.considered, *more.considered})),
            fixes=(*self.fixes, *more.fixes),
        )


@dataclass(frozen=True)
class Signal:
    """One piece of evidence that a commit or the PR was written with an AI tool (or attested human)."""

    id: str
    family: str
    confidence: Confidence
    where: str
    evidence: str
    tool: str | None = None


@dataclass(frozen=True)
class Verdict:
    """AI detection's answer for a PR or a commit."""

    verdict: VerdictKind
    tools: tuple[str, ...] = ()
    signals: tuple[Signal, ...] = ()

    @property
    def is_ai(self) -> bool:
        return self.verdict in ("ai", "suspected", "contradictory")


@dataclass(frozen=True)
class CategoryResult:
    """One sensitive category's approval state on the current head."""

    category: str
    files: tuple[str, ...]
    satisfied: bool
    approved_by: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # human-readable: "1 more of @org/billing", "@alice"
    request_users: tuple[str, ...] = ()  # whom to ask for a review
    request_teams: tuple[str, ...] = ()  # teams to ask, as "org/team"
    stale: tuple[str, ...] = ()  # approvers whose approval no longer counts because files changed since
    ignored: tuple[str, ...] = ()  # eligible approvals that do not count, with why: "@bob: is the author"
    vetoed_by: tuple[str, ...] = ()  # eligible approvers whose change request blocks the category
    excluded: tuple[str, ...] = ()  # who took part in the change and so cannot approve, with why


@dataclass(frozen=True)
class OverrideOutcome:
    """How the engine judged one `/prompt-to-pr override` on a gate: in force, or not and why."""

    login: str
    accepted: bool
    why: str


@dataclass(frozen=True)
class GateResult:
    """One check run's content: conclusion, a one-line title, a Markdown summary, annotations."""

    gate: Gate
    conclusion: Conclusion
    title: str
    summary: str
    annotations: tuple[Finding, ...] = ()
    would_conclude: Conclusion | None = None  # in report mode, what enforce mode would have concluded
    overrides: tuple[OverrideOutcome, ...] = ()  # every override said for this gate, judged

    def override_by(self, login: str) -> OverrideOutcome | None:
        """The latest judged override by `login` (case-insensitive), if any."""
        mine = [o for o in self.overrides if o.login.lower() == login.lower()]
        return mine[-1] if mine else None


@dataclass(frozen=True)
class Decision:
    """The engine's answer for one head: every gate's result, the AI verdict, the approval state."""

    head_sha: str
    mode: Literal["enforce", "report"]
    verdict: Verdict
    gates: tuple[GateResult, ...]
    approvals: tuple[CategoryResult, ...] = ()

    def gate(self, gate: Gate) -> GateResult | None:
        return next((g for g in self.gates if g.gate is gate), None)

    @property
    def passed(self) -> bool:
        ok = (Conclusion.SUCCESS, Conclusion.NEUTRAL, Conclusion.SKIPPED)
        return all(g.conclusion in ok for g in self.gates)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for `json.dumps`: enums become their values."""
        plain: dict[str, Any] = _plain(dataclasses.asdict(self))
        return plain


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    if isinstance(value, StrEnum):
        return value.value
    return value
