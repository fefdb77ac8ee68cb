"""Stale approvals dismissed on GitHub too (`approvals.dismiss_stale: true`): when the App judges an approval
stale for a category because the category's files changed since it was given, GitHub's own review UI stops
showing it as an approval, with a message naming those files.

Only approvals the engine named stale are dismissed, and only the reviewer's approvals of commits other than
the head (an approval of the head is never stale). A dismissal GitHub refuses (branch protection restricts
who may dismiss) is logged and left: the check still does not count the approval.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ghapp.core.decisions import CategoryResult
from ghapp.github.api import InstallationAPI
from ghapp.github.errors import GitHubError

log = logging.getLogger(__name__)
MAX_FILES_NAMED = 20


@dataclass(frozen=True)
class Dismissed:
    review_id: int
    login: str
    category: str
    files: tuple[str, ...]


def message(category: str, files: Sequence[str]) -> str:
    named = ", ".join(f"`{f}`" for f in files[:MAX_FILES_NAMED])
    more = f" and {len(files) - MAX_FILES_NAMED} more" if len(files) > MAX_FILES_NAMED else ""
    return (
        f"prompt-to-pr: this approval is stale for the {category} category: {named}{more} changed since it "
        "was given. Please review the current head and approve again."
    )


async def dismiss_stale(
    api: InstallationAPI,
    owner: str,
    repo: str,
    number: int,
    *,
    head_sha: str,
    categories: Sequence[CategoryResult],
    changed_since: Mapping[str, frozenset[str]],
) -> list[Dismissed]:
    """Dismiss every approval the categories name as stale; returns what GitHub dismissed."""
    stale = {login.lower(): c for c in categories for login in c.stale}
    if not stale:
        return []
    done: list[Dismissed] = []
    for review in await api.list_reviews(owner, repo, number):
        login = str((review.get("user") or {}).get("login") or "").lower()
        commit = str(review.get("commit_id") or "")
        if login not in stale or str(review.get("state") or "").upper() != "APPROVED" or commit == head_sha:
            continue
        category = stale[login]
        known = changed_since.get(commit)  # unknown: every file of the category counts as changed
        files = tuple(f for f in category.files if known is None or f in known) or category.files
        try:
            await api.dismiss_review(owner, repo, number, int(review["id"]), message(category.category, files))
        except GitHubError as exc:
            log.warning(
                "GitHub refused to dismiss a stale approval",
                extra={"pr": f"{owner}/{repo}#{number}", "reviewer": login, "error": str(exc)},
            )
            continue
        done.append(Dismissed(int(review["id"]), login, category.category, files))
    return done
