"""Detection reads a bounded head and tail of each text field."""

from __future__ import annotations

from ghapp.core.detection.bounds import FIELD_LIMIT, bounded_commit, bounded_pull_request, clip
from ghapp.core.facts import Actor, Commit, PullRequest


def test_a_field_that_fits_is_read_whole_and_a_longer_one_as_head_and_tail() -> None:
    assert clip("short", 10) == "short"
    assert clip("a" * 10, 10) == "a" * 10
    assert clip("0123456789ABCDEF", 8) == "012345\n\nEF"
    long = "T" * 100 + "x" * FIELD_LIMIT * 2 + "\nSigned-off-by: A <a@b>"
    clipped = clip(long)
    assert clipped.startswith("T" * 100) and clipped.endswith("Signed-off-by: A <a@b>")
    assert len(clipped) == FIELD_LIMIT + 2


def test_commits_and_pull_requests_are_bounded_only_when_needed() -> None:
    small = Commit(sha="a", message="fine")
    assert bounded_commit(small) is small
    assert len(bounded_commit(Commit(sha="a", message="m" * (FIELD_LIMIT + 1))).message) == FIELD_LIMIT + 2
    pr = PullRequest(number=1, author=Actor("dev"), title="t", body="b")
    assert bounded_pull_request(pr) is pr
    big = bounded_pull_request(PullRequest(number=1, author=Actor("dev"), title="t", body="b" * FIELD_LIMIT * 3))
    assert (big.title, len(big.body)) == ("t", FIELD_LIMIT + 2)
