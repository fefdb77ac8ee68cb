"""GitHub's JSON (REST answers and webhook payloads) turned into the core's frozen facts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from ghapp.core.diff import added_lines
from ghapp.core.facts import (
    Actor,
    ActorType,
    Assignment,
    ChangedFile,
    Commit,
    FileStatus,
    Person,
    PullRequest,
    Review,
    ReviewState,
)

JSON = dict[str, Any]
OWNED_LABELS = ("ai-generated", "ai-suspected")
TOOL_LABEL_PREFIX = "ai:"
_STATUSES = ("added", "modified", "removed", "renamed", "copied", "changed", "unchanged")
_REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED")


def is_owned_label(name: str) -> bool:
    """The labels the App keeps in sync: they are its output, never evidence for AI detection."""
    return name in OWNED_LABELS or name.startswith(TOOL_LABEL_PREFIX)


def _dict(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def actor(user: Any) -> Actor:
    data = _dict(user)
    kind = data.get("type")
    login = str(data.get("login") or "ghost")  # GitHub shows deleted accounts as `ghost`
    uid = data.get("id")
    return Actor(
        login,
        cast(ActorType, kind) if kind in ("User", "Bot", "Organization") else "User",
        uid if isinstance(uid, int) else None,
    )


def pull_request(pr: JSON, owns: Callable[[str], bool] = is_owned_label) -> PullRequest:
    """The PR without the App's verdict labels (`owns` says which: the policy names them)."""
    head, base = _dict(pr.get("head")), _dict(pr.get("base"))
    head_repo, base_repo = _dict(head.get("repo")), _dict(base.get("repo"))
    # A fork's head lives in another repository; a deleted fork leaves `head.repo` null.
    from_fork = not head_repo or head_repo.get("full_name") != base_repo.get("full_name")
    labels = tuple(str(_dict(label).get("name", "")) for label in pr.get("labels") or [])
    return PullRequest(
        number=int(pr["number"]),
        author=actor(pr.get("user")),
        title=str(pr.get("title") or ""),
        body=str(pr.get("body") or ""),
        head_ref=str(head.get("ref") or ""),
        head_sha=str(head.get("sha") or ""),
        base_ref=str(base.get("ref") or ""),
        base_sha=str(base.get("sha") or ""),
        labels=tuple(name for name in labels if name and not owns(name)),
        draft=bool(pr.get("draft")),
        from_fork=from_fork,
    )


def _person(git: Any, account: Any) -> Person:
    data = _dict(git)
    login = _dict(account).get("login")
    return Person(str(data.get("name") or ""), str(data.get("email") or ""), str(login) if login else None)


def commit(data: JSON) -> Commit:
    """A commit as the pulls-commits and compare APIs list it."""
    inner = _dict(data.get("commit"))
    return Commit(
        sha=str(data.get("sha") or ""),
        message=str(inner.get("message") or ""),
        author=_person(inner.get("author"), data.get("author")),
        committer=_person(inner.get("committer"), data.get("committer")),
    )


def push_commit(data: JSON) -> Commit:
    """A commit as a `push` webhook lists it (`username` is the login when GitHub resolved the email)."""

    def person(value: Any) -> Person:
        raw = _dict(value)
        login = raw.get("username")
        return Person(str(raw.get("name") or ""), str(raw.get("email") or ""), str(login) if login else None)

    return Commit(
        sha=str(data.get("id") or ""),
        message=str(data.get("message") or ""),
        author=person(data.get("author")),
        committer=person(data.get("committer")),
    )


def changed_file(data: JSON) -> ChangedFile:
    """One entry of the PR's files. GitHub omits `patch` for binary files (then `changes` is 0) and for
    diffs too large to show (then every line of the file counts)."""
    status = str(data.get("status") or "modified")
    patch = data.get("patch")
    additions, deletions = int(data.get("additions") or 0), int(data.get("deletions") or 0)
    changes = int(data.get("changes") or additions + deletions)
    pure_rename = status == "renamed" and changes == 0  # nothing to diff, nothing added
    missing = not isinstance(patch, str) and not pure_rename
    return ChangedFile(
        path=str(data["filename"]),
        status=cast(FileStatus, status) if status in _STATUSES else "modified",
        previous_path=str(data["previous_filename"]) if data.get("previous_filename") else None,
        additions=additions,
        deletions=deletions,
        added_lines=added_lines(patch) if isinstance(patch, str) else frozenset(),
        patch_missing=missing,
        binary=missing and changes == 0 and status != "removed",
        sha=str(data.get("sha") or ""),
        submodule=isinstance(patch, str) and _SUBMODULE.fullmatch(patch) is not None,
    )


# a submodule's patch: its hunk header, then the commit it pointed at and the one it points at now (or one alone)
_SUBMODULE = re.compile(
    r"@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@\n(?:[-+]Subproject commit [0-9a-f]{40}(?:-dirty)?\n?){1,2}"
)


def assignment(data: JSON) -> Assignment | None:
    """An `assigned` issue event as who assigned whom; any other event is None."""
    if data.get("event") != "assigned" or not isinstance(data.get("assignee"), dict):
        return None
    return Assignment(actor(data.get("assignee")), actor(data.get("assigner") or data.get("actor")))


def review(data: JSON) -> Review | None:
    """A submitted review; pending ones (not yet submitted) are None. REST states are upper case, webhook
    states lower case: both are read."""
    state = str(data.get("state") or "").upper()
    if state not in _REVIEW_STATES:
        return None
    commit_id = data.get("commit_id")
    return Review(
        actor(data.get("user")),
        cast(ReviewState, state),
        str(commit_id) if commit_id else None,
        str(data.get("submitted_at") or ""),
    )
