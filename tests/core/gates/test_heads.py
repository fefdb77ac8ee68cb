"""Two PRs, one head: the head's run shows the strictest word, a word still running beats any passing one,
ties go to the lowest PR number, and the summary names every PR's word."""

from __future__ import annotations

import pytest

from ghapp.core.decisions import Conclusion, Gate, GateResult
from ghapp.core.gates.heads import PullWord, Status, shown, strictest

C = Conclusion


def word(number: int, conclusion: Conclusion = C.SUCCESS, status: Status = "completed") -> PullWord:
    return PullWord(number, status, GateResult(Gate.LINT, conclusion, f"#{number} says", f"summary of #{number}"))


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ([word(1, C.FAILURE), word(2, C.NEUTRAL)], 1),
        ([word(2, C.NEUTRAL), word(1, C.FAILURE)], 1),
        ([word(1, C.SUCCESS), word(2, C.NEUTRAL)], 2),
        ([word(1, C.SUCCESS), word(2, C.SKIPPED)], 2),
        ([word(1, C.NEUTRAL), word(2, status="in_progress")], 2),  # not judged yet: stricter than any pass
        ([word(1, C.ACTION_REQUIRED), word(2, status="queued")], 1),  # but not than a failing word
        ([word(1, C.CANCELLED), word(2, C.ACTION_REQUIRED)], 1),
        ([word(1, C.CANCELLED), word(2, C.TIMED_OUT)], 2),
        ([word(3, C.FAILURE), word(2, C.FAILURE)], 2),  # ties: the lowest number
        ([word(5, C.SUCCESS)], 5),
    ],
)
def test_the_strictest_word_wins(words: list[PullWord], expected: int) -> None:
    assert strictest(words).pr_number == expected


def test_one_word_is_shown_as_it_is() -> None:
    only = word(4, C.FAILURE)
    assert shown([only]) is only


def test_several_words_are_named_in_the_summary() -> None:
    result = shown([word(2, C.NEUTRAL), word(1, C.FAILURE), word(3, status="in_progress")])
    assert result.pr_number == 1 and result.result.conclusion is C.FAILURE
    summary = result.result.summary
    assert summary.startswith("summary of #1")
    assert "#1's" in summary and "| #1 (shown) | failure |" in summary
    assert "| #2 | neutral |" in summary and "| #3 | in progress |" in summary
