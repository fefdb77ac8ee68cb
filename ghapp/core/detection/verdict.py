"""From evidence to a verdict: one piece of evidence (`Hit`) made from a rule of the signal table, and the
decision over all of them.

Any strong signal, or medium signals from two different families, is "ai"; medium signals from one family
only are "suspected"; weak signals never decide. A ticked "no AI" checkbox makes it "attested_human", or
"contradictory" when strong signals fire anyway."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ghapp.core.decisions import Confidence, Signal, Verdict, VerdictKind
from ghapp.core.detection.signals import FAMILIES, Rule

_EVIDENCE_MAX = 120


@dataclass(frozen=True)
class Hit:
    rank: tuple[int, int]  # (family strength, 0 for a login / 1 for an address) orders the tools
    signal: Signal


def decide(hits: Iterable[Hit]) -> Verdict:
    """The verdict over every piece of evidence found, with the tools it names, strongest first."""
    ordered = sorted(dict.fromkeys(hits), key=lambda hit: hit.rank)
    evidence = [hit for hit in ordered if hit.signal.family != "attestation"]
    strong = [hit for hit in evidence if hit.signal.confidence == "strong"]
    medium = [hit for hit in evidence if hit.signal.confidence == "medium"]
    families = {hit.signal.family for hit in medium}
    attested = len(evidence) < len(ordered)
    kind: VerdictKind
    if strong:
        kind = "contradictory" if attested else "ai"
    elif attested:
        kind = "attested_human"
    else:
        kind = "ai" if len(families) >= 2 else "suspected" if families else "human"
    counted = sorted(strong + medium, key=lambda hit: hit.rank) if kind != "attested_human" else []
    tools = tuple(dict.fromkeys(hit.signal.tool for hit in counted if hit.signal.tool))
    return Verdict(verdict=kind, tools=tools, signals=tuple(hit.signal for hit in ordered))


def hit_of(
    rule: Rule,
    where: str,
    evidence: str,
    *,
    confidence: Confidence | None = None,
    tool: str | None = None,
    family: str | None = None,
    sub: int = 0,
) -> Hit:
    """Evidence that `rule` fired at `where` on `evidence` (clipped), as strong as the rule says unless told."""
    family = family or rule.family
    signal = Signal(
        id=rule.id,
        family=family,
        confidence=confidence or rule.confidence,
        where=where,
        evidence=clip_evidence(evidence),
        tool=tool or rule.tool,
    )
    return Hit((FAMILIES.index(family), sub), signal)


def clip_evidence(text: str) -> str:
    """`text` on one line, cut to what a check run shows of a piece of evidence."""
    text = " ".join(text.split())
    return text if len(text) <= _EVIDENCE_MAX else text[: _EVIDENCE_MAX - 1] + "…"
