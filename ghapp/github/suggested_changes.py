"""Post a head's suggested changes as one pull request review (`event: COMMENT`), at most once per head.

The App reads the head's text of each file with a fix (the blob must be the one the tools read), lets the core
decide what may be suggested (ghapp.core.suggestions), and posts nothing when a review of its own with the
marker already exists for this head (a retried job, a second delivery for the same head).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ghapp.core.decisions import Fix
from ghapp.core.facts import ChangedFile
from ghapp.core.suggestions import MARKER, Suggestion, review_body, suggest
from ghapp.github.api import InstallationAPI
from ghapp.github.errors import GitHubError

MAX_FILES = 50  # files whose text is read for suggestions, per head

Outcome = Literal["posted", "none", "already", "failed"]


@dataclass(frozen=True)
class Posted:
    outcome: Outcome
    comments: int = 0
    detail: str = ""


def _ours(review: dict[str, Any], head_sha: str) -> bool:
    user = review.get("user") or {}
    bot = user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")
    return bot and review.get("commit_id") == head_sha and MARKER in str(review.get("body") or "")


def comment(suggestion: Suggestion) -> dict[str, Any]:
    """One entry of the review's `comments`: the lines it replaces, on the head's side of the diff."""
    entry: dict[str, Any] = {"path": suggestion.path, "line": suggestion.line, "side": "RIGHT"}
    if suggestion.start_line < suggestion.line:
        entry |= {"start_line": suggestion.start_line, "start_side": "RIGHT"}
    return entry | {"body": suggestion.body}


async def _texts(
    api: InstallationAPI, where: tuple[str, str, str], files: Sequence[ChangedFile], paths: Collection[str]
) -> dict[str, str]:
    """The head's text of each of `paths` whose blob is the one the PR's file list names (what the tools read)."""
    owner, repo, head_sha = where
    texts: dict[str, str] = {}
    for changed in [f for f in files if f.path in paths and f.status != "removed"][:MAX_FILES]:
        try:
            found = await api.get_content(owner, repo, changed.path, head_sha)
        except GitHubError:
            continue  # not UTF-8, or unreadable: no suggestion for it
        if found is not None and (not changed.sha or found[1] == changed.sha):
            texts[changed.path] = found[0]
    return texts


async def post_suggestions(
    api: InstallationAPI,
    owner: str,
    repo: str,
    number: int,
    *,
    head_sha: str,
    fixes: Sequence[Fix],
    files: Sequence[ChangedFile],
    ignore: Collection[str] = (),
) -> Posted:
    """One review with a suggested change per file (or per stretch of added lines) for the safe `fixes`."""
    safe = [fix for fix in fixes if fix.applicability == "safe" and fix.rule not in ignore]
    if not safe:
        return Posted("none")
    try:
        if any(_ours(review, head_sha) for review in await api.list_reviews(owner, repo, number)):
            return Posted("already")
        texts = await _texts(api, (owner, repo, head_sha), files, {fix.path for fix in safe})
        suggestions = suggest(safe, files, texts, ignore=ignore)
        if not suggestions:
            return Posted("none")
        body = {
            "commit_id": head_sha,
            "event": "COMMENT",
            "body": review_body(suggestions, head_sha),
            "comments": [comment(s) for s in suggestions],
        }
        await api.create_review(owner, repo, number, body)
    except GitHubError as exc:
        return Posted("failed", detail=str(exc))
    return Posted("posted", len(suggestions))
