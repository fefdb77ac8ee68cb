"""The corpus of real public pull requests (tests/fixtures/ai-prs) as detection facts, and the measurement of
detection on it: recall, false positives and tool attribution, per family.

`python -m tests.core.detection.corpus` prints the measured tables that docs/ai-detection.md quotes.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ghapp.core.decisions import Verdict
from ghapp.core.detection.detect import detect, detect_commit, parse_signal_table
from ghapp.core.detection.signals import SignalTable
from ghapp.core.facts import Actor, Commit, Person, PullRequest
from ghapp.resources import ai_signals_text
from tests.paths import FIXTURES

CORPUS = FIXTURES / "ai-prs"
FLAGGED = ("ai", "suspected", "contradictory")  # the verdicts the default policy treats as AI-written


@dataclass(frozen=True)
class Record:
    """One labelled pull request of the corpus."""

    source: str
    label: str  # ai, human, attested_human
    tool: str | None
    family: str
    evidence: str
    via: str
    pull_request: PullRequest
    commits: tuple[Commit, ...]
    merge_commit: Commit | None


@cache
def table() -> SignalTable:
    return parse_signal_table(ai_signals_text())


@cache
def records() -> tuple[Record, ...]:
    found: list[Record] = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        found += [_record(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return tuple(found)


def record(source: str) -> Record:
    return next(r for r in records() if r.source == source)


def verdict(item: Record, signals: SignalTable | None = None) -> Verdict:
    return detect(signals or table(), item.pull_request, item.commits)


def _record(data: Mapping[str, Any]) -> Record:
    pr = data["pull_request"]
    author = pr.get("author") or {}
    merge = data.get("merge_commit")
    return Record(
        source=data["source"],
        label=data["label"],
        tool=data["tool"],
        family=data["family"],
        evidence=data["evidence"],
        via=data["via"],
        pull_request=PullRequest(
            number=pr["number"],
            author=Actor(author.get("login", ""), author.get("type", "User")),
            title=pr.get("title", ""),
            body=pr.get("body", ""),
            head_ref=pr.get("head_ref", ""),
            labels=tuple(pr.get("labels", ())),
        ),
        commits=tuple(_commit(c) for c in data.get("commits", ())),
        merge_commit=_commit(merge) if merge else None,
    )


def _commit(data: Mapping[str, Any]) -> Commit:
    author = _person(data.get("author"))
    return Commit(
        sha=data["sha"],
        message=data["message"],
        author=author,
        committer=_person(data["committer"]) if "committer" in data else author,
    )


def _person(data: Mapping[str, str] | None) -> Person:
    data = data or {}
    return Person(name=data.get("name", ""), email=data.get("email", ""), login=data.get("login"))


# ---- measuring -----------------------------------------------------------------------------------------


@dataclass
class Row:
    """Counts for one family (or one total)."""

    records: int = 0
    flagged: int = 0  # judged ai, suspected or contradictory
    strict: int = 0  # judged ai (or contradictory)
    right_tool: int = 0  # first tool named is the expected one (None when the source names no tool)
    attested: int = 0  # judged attested_human
    misses: list[str] = field(default_factory=list)


@dataclass
class Measurement:
    ai: dict[str, Row]
    human: dict[str, Row]
    merges: Row  # agent branches seen only in a merge commit: the merge commit alone, as a push shows it

    def total(self, rows: Mapping[str, Row]) -> Row:
        total = Row()
        for row in rows.values():
            total.records += row.records
            total.flagged += row.flagged
            total.strict += row.strict
            total.right_tool += row.right_tool
            total.attested += row.attested
        return total


def measure(signals: SignalTable | None = None) -> Measurement:
    ai: dict[str, Row] = defaultdict(Row)
    human: dict[str, Row] = defaultdict(Row)
    merges = Row()
    for item in records():
        found = verdict(item, signals)
        row = (ai if item.label == "ai" else human)[item.family if item.label != "attested_human" else "attestation"]
        row.records += 1
        row.flagged += found.verdict in FLAGGED
        row.strict += found.verdict in ("ai", "contradictory")
        row.attested += found.verdict == "attested_human"
        if item.label == "ai":
            first = found.tools[0] if found.tools else None
            row.right_tool += found.verdict in FLAGGED and first == item.tool
            if found.verdict != "ai" or first != item.tool:
                row.misses.append(f"{item.source}: {found.verdict} {list(found.tools)}")
        elif found.verdict in FLAGGED or (item.label == "attested_human") != (found.verdict == "attested_human"):
            row.misses.append(f"{item.source}: {found.verdict} {[s.id for s in found.signals]}")
        if item.label == "ai" and item.merge_commit is not None and item.family == "merge-branch":
            alone = detect_commit(signals or table(), item.merge_commit)
            merges.records += 1
            merges.flagged += alone.verdict in FLAGGED
            merges.strict += alone.verdict == "ai"
            merges.right_tool += alone.verdict in FLAGGED and alone.tools[:1] == (item.tool,)
    return Measurement(dict(ai), dict(human), merges)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}% ({part}/{whole})" if whole else "—"


def report(m: Measurement) -> Iterator[str]:
    """Markdown tables: per AI family, then per kind of human PR."""
    yield "| AI family | PRs | detected (ai or suspected) | judged `ai` | right tool |"
    yield "|---|---|---|---|---|"
    for name, row in [*sorted(m.ai.items()), ("**all AI PRs**", m.total(m.ai))]:
        yield (
            f"| {name} | {row.records} | {_pct(row.flagged, row.records)} | {_pct(row.strict, row.records)} "
            f"| {_pct(row.right_tool, row.records)} |"
        )
    yield (
        f"| merge commit alone (push) | {m.merges.records} | {_pct(m.merges.flagged, m.merges.records)} "
        f"| {_pct(m.merges.strict, m.merges.records)} | {_pct(m.merges.right_tool, m.merges.records)} |"
    )
    yield ""
    yield "| human PRs | PRs | judged `ai` | judged suspected | judged attested_human |"
    yield "|---|---|---|---|---|"
    for name, row in [*sorted(m.human.items()), ("**all human PRs**", m.total(m.human))]:
        yield (f"| {name} | {row.records} | {row.strict} | {row.flagged - row.strict} | {row.attested} |")


def misses(m: Measurement) -> Iterator[str]:
    for name, row in sorted({**m.ai, **{f"human:{k}": v for k, v in m.human.items()}}.items()):
        for miss in row.misses:
            yield f"{name}: {miss}"


if __name__ == "__main__":  # pragma: no cover
    measured = measure()
    print("\n".join(report(measured)))
    print(f"\n{len(records())} pull requests; by label: {dict(Counter(r.label for r in records()))}\n")
    print("\n".join(misses(measured)))
