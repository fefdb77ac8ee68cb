"""Which head an override comment speaks for: the commit the commenter saw, never whatever was pushed after.

A worker reads a comment some time after it was written; a push in between must not receive the override.
The comment names its commit (`/prompt-to-pr override lint@1a2b3c4 <reason>`), or else it speaks for the
head the pull request had when the comment was written: the newest head GitHub reported before the comment's
`created_at`. GitHub's timestamps have whole seconds, so a head from the comment's own second counts as not
seen. An override binds only when that commit is the current head; otherwise it is refused with why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

MIN_SHA = 7  # the shortest abbreviation GitHub shows


@dataclass(frozen=True)
class HeadSeen:
    """A head the pull request had from `at` (an ISO 8601 time of GitHub's clock) on."""

    sha: str
    at: str


@dataclass(frozen=True)
class Binding:
    """The head an override binds to, or None with `why` it cannot bind."""

    head_sha: str | None
    why: str = ""


def _time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def head_when(heads: Sequence[HeadSeen], moment: str) -> str | None:
    """The newest head known from before `moment`, or None when none is (or a time cannot be read)."""
    cutoff = _time(moment)
    if cutoff is None:
        return None
    seen: tuple[datetime, str] | None = None
    for head in heads:
        at = _time(head.at)
        if at is not None and at < cutoff and (seen is None or at >= seen[0]):
            seen = (at, head.sha)
    return seen[1] if seen is not None else None


def bind(current: str, *, named: str | None, commented_at: str, heads: Sequence[HeadSeen], usage: str) -> Binding:
    """Bind an override to `current` only if the comment names it or was written while it was the head.

    `usage` shows how to name the commit explicitly (it ends the refusal when the head is unknown).
    """
    if named:
        sha = named.lower()
        if len(sha) >= MIN_SHA and current.lower().startswith(sha):
            return Binding(current)
        return Binding(None, f"the comment names `{named[:12]}`, but the head is `{current[:12]}`")
    seen = head_when(heads, commented_at)
    if seen is None:
        return Binding(None, f"the App has no record of the head this comment was written on; name the commit: {usage}")
    if seen != current:
        return Binding(
            None,
            f"the comment was written on `{seen[:12]}`, but `{current[:12]}` was pushed since: "
            "look at the new commit and override again",
        )
    return Binding(current)
