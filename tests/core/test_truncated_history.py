"""A pull request with more commits than GitHub lists (250), or more events than the App reads (3,000): the
unread ones could be an agent's, or an approving owner's. The provenance check of a PR not judged AI-written
and an approvals check with a category matched fail closed; an AI-written PR is judged AI-written as before."""

from __future__ import annotations

from dataclasses import replace

from ghapp.core.decisions import Conclusion, Gate
from ghapp.core.evaluate import evaluate
from ghapp.core.facts import Actor, ChangedFile, Commit, Facts, Person, PullRequest, Review
from tests.core.test_evaluate import FOOTER, HEAD, _policy

BOB = Person("Bob", "bob@example.com", "bob")
LISTED = 250


def _facts(files: tuple[ChangedFile, ...], *, ai: bool, truncated: bool, **more: object) -> Facts:
    pr = PullRequest(7, Actor("bob"), title="Tidy", body="Tidies.\n\n## Prompt\ntidy it\n", head_sha=HEAD)
    message = "Tidy" + (FOOTER if ai else "\n")
    facts = Facts(
        pull_request=pr,
        commits=tuple(Commit(f"{i:040x}", message, BOB, BOB) for i in range(LISTED)),
        commits_truncated=truncated,
        files=files,
        codeowners="* @alice\n",
    )
    return replace(facts, **more)  # type: ignore[arg-type]


def _conclusion(facts: Facts, gate: Gate) -> tuple[Conclusion, str]:
    result = evaluate(_policy(), facts).gate(gate)
    assert result is not None
    return result.conclusion, result.title


DOCS = (ChangedFile("docs/tidy.md", added_lines=frozenset({1})),)
BILLING = (ChangedFile("billing/charge.py", added_lines=frozenset({1})),)
APPROVED = (Review(Actor("alice"), "APPROVED", HEAD),)


def test_a_human_verdict_over_part_of_the_commits_fails_closed() -> None:
    conclusion, title = _conclusion(_facts(DOCS, ai=False, truncated=True), Gate.PROVENANCE)
    assert (conclusion, title) == (Conclusion.FAILURE, "The commit list is incomplete: AI use unknown")
    # all commits listed: the same PR is judged human and passes
    assert _conclusion(_facts(DOCS, ai=False, truncated=False), Gate.PROVENANCE)[0] == Conclusion.SUCCESS


def test_an_ai_verdict_over_part_of_the_commits_is_judged_as_ever() -> None:
    assert _conclusion(_facts(DOCS, ai=True, truncated=True), Gate.PROVENANCE) == _conclusion(
        _facts(DOCS, ai=True, truncated=False), Gate.PROVENANCE
    )


def test_an_owners_approval_does_not_count_when_who_took_part_is_unknown() -> None:
    """alice could have written commit 251 of this billing change: her approval cannot pass the category."""
    conclusion, title = _conclusion(_facts(BILLING, ai=True, truncated=True, reviews=APPROVED), Gate.APPROVALS)
    assert (conclusion, title) == (Conclusion.FAILURE, "The commit list is incomplete: who took part is unknown")
    assert _conclusion(_facts(BILLING, ai=True, truncated=False, reviews=APPROVED), Gate.APPROVALS)[0] == (
        Conclusion.SUCCESS
    )


def test_no_category_matched_needs_no_list_of_who_took_part() -> None:
    assert _conclusion(_facts(DOCS, ai=True, truncated=True), Gate.APPROVALS)[0] == Conclusion.SUCCESS


def test_an_owners_approval_does_not_count_when_the_events_were_read_to_the_cap() -> None:
    """an `assigned` event past the App's read could name the approving owner as the agent's launcher"""
    facts = _facts(BILLING, ai=True, truncated=False, reviews=APPROVED, events_truncated=True)
    conclusion, title = _conclusion(facts, Gate.APPROVALS)
    assert (conclusion, title) == (Conclusion.FAILURE, "The event list is incomplete: who took part is unknown")
    assert _conclusion(_facts(DOCS, ai=True, truncated=False, events_truncated=True), Gate.APPROVALS)[0] == (
        Conclusion.SUCCESS
    )
