"""How much of each text a pull request carries detection reads: a bounded head and tail of every field.

Detection's cost grows with the text (sentences, markers, trailers), and a commit message or a description
can be megabytes long: a 2 MB message took seconds of one worker's time. A field longer than `FIELD_LIMIT`
characters is read as its first three quarters and its last quarter of that many, so the title and opening
lines, and the trailers and sign-offs at the end, are all still read.
"""

from __future__ import annotations

from dataclasses import replace

from ghapp.core.facts import Commit, PullRequest

FIELD_LIMIT = 32 * 1024
_GAP = "\n\n"  # the part left out becomes a paragraph break: what precedes it cannot join the trailer block


def clip(text: str, limit: int = FIELD_LIMIT) -> str:
    """`text` when it fits in `limit` characters, else its head and tail joined by a paragraph break."""
    if len(text) <= limit:
        return text
    head = limit * 3 // 4
    return text[:head] + _GAP + text[len(text) - (limit - head) :]


def bounded_commit(commit: Commit) -> Commit:
    return commit if len(commit.message) <= FIELD_LIMIT else replace(commit, message=clip(commit.message))


def bounded_pull_request(pr: PullRequest) -> PullRequest:
    if len(pr.title) <= FIELD_LIMIT and len(pr.body) <= FIELD_LIMIT:
        return pr
    return replace(pr, title=clip(pr.title), body=clip(pr.body))
