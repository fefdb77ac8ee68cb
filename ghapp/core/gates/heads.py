"""One commit, several pull requests: what the head's check run for a gate shows.

A check run belongs to a commit, not to a pull request, and GitHub's required checks look at the commit. When
two open pull requests share a head (one into `main`, one into a branch with a laxer policy), each PR's word
on a gate is kept apart and the run shows the strictest of them, so a PR into one branch can never satisfy the
checks a PR into another branch must pass. A word still being worked out (queued, in progress) is stricter
than any passing one: the head does not pass a gate while one of its PRs has not been judged on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from ghapp.core.decisions import Conclusion, GateResult
from ghapp.core.gates.summary import finish, table

Status = Literal["queued", "in_progress", "completed"]

# failing conclusions first, then "not judged yet", then the passing ones (neutral says enforce mode would
# have concluded otherwise; skipped says the gate was not judged at all; success says it passed)
_RANK = {
    Conclusion.FAILURE: 0,
    Conclusion.TIMED_OUT: 1,
    Conclusion.CANCELLED: 2,
    Conclusion.ACTION_REQUIRED: 3,
    Conclusion.NEUTRAL: 5,
    Conclusion.SKIPPED: 6,
    Conclusion.SUCCESS: 7,
}
_PENDING = 4


@dataclass(frozen=True)
class PullWord:
    """One open pull request's word on one gate of its head. While `status` is not completed, `result` holds
    the title and summary of the wait and its conclusion means nothing."""

    pr_number: int
    status: Status
    result: GateResult

    @property
    def rank(self) -> int:
        """Lower is stricter."""
        return _PENDING if self.status != "completed" else _RANK[self.result.conclusion]

    @property
    def said(self) -> str:
        return self.result.conclusion.value if self.status == "completed" else self.status.replace("_", " ")


def strictest(words: Sequence[PullWord]) -> PullWord:
    """The strictest word; between equally strict ones, the lowest PR number (every worker picks the same)."""
    return min(words, key=lambda word: (word.rank, word.pr_number))


def shown(words: Sequence[PullWord]) -> PullWord:
    """The word the head's run shows: the strictest, saying which PR it is and what the others said."""
    chosen = strictest(words)
    if len(words) < 2:
        return chosen
    rows = [
        [f"#{w.pr_number}" + (" (shown)" if w is chosen else ""), w.said]
        for w in sorted(words, key=lambda w: w.pr_number)
    ]
    note = (
        f"This commit is the head of {len(words)} open pull requests, and a check on a commit speaks for all "
        f"of them, so it shows the strictest result: #{chosen.pr_number}'s.\n\n"
        + table(["pull request", "result"], rows)
    )
    return replace(chosen, result=replace(chosen.result, summary=finish([chosen.result.summary, note])))
