"""What a check run of the App says: its name, its summary fitted to GitHub's limit, findings as annotations
(and the key that tells one annotation from another), and its buttons."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ghapp.core.decisions import Conclusion, Finding, Gate, GateResult
from ghapp.core.gates.summary import SUMMARY_LIMIT

JSON = dict[str, Any]
NAME_PREFIX = "prompt-to-pr / "
PER_REQUEST = 50  # GitHub takes at most 50 annotations per create or update
MAX_ANNOTATIONS = 500  # per run; the summary says when more were found
_LEVEL = {"error": "failure", "warning": "warning", "note": "notice"}
RERUN_ID, REQUEST_REVIEWS_ID = "rerun", "request-reviews"  # `requested_action` identifiers GitHub sends back
RERUN = {"label": "Re-run", "description": "Evaluate this commit again", "identifier": RERUN_ID}
REQUEST_REVIEWS = {
    "label": "Request reviews",
    "description": "Ask the missing approvers again",
    "identifier": REQUEST_REVIEWS_ID,
}
_PASSING = (Conclusion.SUCCESS, Conclusion.NEUTRAL, Conclusion.SKIPPED)
_NOTE_FIELDS = ("path", "start_line", "end_line", "annotation_level", "message", "title", "start_column", "end_column")


def check_name(gate: Gate) -> str:
    return NAME_PREFIX + gate.value


def gate_of(name: str) -> Gate | None:
    """The gate a check run of ours is named after, or None for anyone else's run."""
    if not name.startswith(NAME_PREFIX):
        return None
    try:
        return Gate(name.removeprefix(NAME_PREFIX))
    except ValueError:
        return None


def fit_summary(text: str) -> str:
    if len(text) <= SUMMARY_LIMIT:
        return text
    note = f"\n\n_…summary truncated: GitHub shows at most {SUMMARY_LIMIT:,} characters._"
    return text[: SUMMARY_LIMIT - len(note)] + note


def annotation(finding: Finding) -> JSON:
    start = max(finding.line, 1)
    end = max(finding.end_line or start, start)
    note: JSON = {
        "path": finding.path,
        "start_line": start,
        "end_line": end,
        "annotation_level": _LEVEL[finding.severity],
        "message": finding.message[:60_000] or finding.rule,
        "title": finding.rule[:255],
    }
    if start == end and finding.column is not None:  # GitHub takes columns only on one-line annotations
        note["start_column"] = finding.column
        note["end_column"] = max(finding.end_column or finding.column, finding.column)
    return note


def note_key(note: JSON) -> str:
    """What tells one annotation from another (the ledger keeps these, not the annotations)."""
    return hashlib.sha256(json.dumps(note, sort_keys=True).encode()).hexdigest()[:20]


def listed_key(note: JSON) -> str:
    """`note_key` of an annotation as GitHub lists it back (every field present, unset ones null)."""
    return note_key({k: v for k, v in note.items() if k in _NOTE_FIELDS and v is not None})


def default_actions(result: GateResult, *, can_request: bool) -> list[JSON]:
    """Buttons: ask the missing approvers again on a waiting approvals check; re-run on any check that fails."""
    if result.conclusion in _PASSING and result.would_conclude in (None, *_PASSING):
        return []
    actions = [REQUEST_REVIEWS] if result.gate is Gate.APPROVALS and can_request else []
    return [*actions, RERUN]
