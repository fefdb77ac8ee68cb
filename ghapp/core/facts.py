"""What the engine knows about a pull request: frozen values gathered by the shell, never fetched here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ghapp.core.decisions import ToolReport

ActorType = Literal["User", "Bot", "Organization"]
FileStatus = Literal["added", "modified", "removed", "renamed", "copied", "changed", "unchanged"]
ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]

_EMPTY: Mapping[str, frozenset[str]] = MappingProxyType({})


@dataclass(frozen=True)
class Actor:
    """A GitHub account: a user, a bot (`login[bot]`) or an organisation."""

    login: str
    type: ActorType = "User"
    id: int | None = None


@dataclass(frozen=True)
class Person:
    """A git identity as written in a commit (name and email), with the GitHub login when GitHub resolved it."""

    name: str = ""
    email: str = ""
    login: str | None = None


@dataclass(frozen=True)
class Commit:
    """One commit of the pull request (or of a push), with its full message."""

    sha: str
    message: str = ""
    author: Person = field(default_factory=Person)
    committer: Person = field(default_factory=Person)


@dataclass(frozen=True)
class ChangedFile:
    """One entry of the PR's file list. A rename counts under both `path` and `previous_path`.

    `added_lines` are the new-side line numbers the diff added or changed (from the patch);
    GitHub omits the patch for binary and very large files, so `patch_missing` says so. `sha` is the git blob
    id of the file in the head (what the tools' copy must hash to); empty when unknown. `submodule`: the entry
    is a submodule (its patch is `Subproject commit` lines), a directory whose whole content the change
    replaces.
    """

    path: str
    status: FileStatus = "modified"
    previous_path: str | None = None
    additions: int = 0
    deletions: int = 0
    added_lines: frozenset[int] = frozenset()
    patch_missing: bool = False
    binary: bool = False
    sha: str = ""
    submodule: bool = False

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path this change touches: the new one and, for a rename or copy, the old one."""
        if self.previous_path and self.previous_path != self.path:
            return (self.path, self.previous_path)
        return (self.path,)


@dataclass(frozen=True)
class Review:
    """A submitted review. `commit_id` is the head the reviewer saw (None when GitHub lost the commit)."""

    reviewer: Actor
    state: ReviewState
    commit_id: str | None = None
    submitted_at: str = ""


@dataclass(frozen=True)
class HandLabel:
    """One of the App's verdict labels (`labels:` in the policy) that a person put on the PR by hand: read as
    evidence of that verdict, and never removed by the App."""

    name: str
    verdict: Literal["ai", "suspected"]
    tool: str | None = None
    by: str = ""  # the login that added it


@dataclass(frozen=True)
class PullRequest:
    """The pull request itself, as the webhook and the pulls API describe it."""

    number: int
    author: Actor
    title: str = ""
    body: str = ""
    head_ref: str = ""
    head_sha: str = ""
    base_ref: str = ""
    base_sha: str = ""
    labels: tuple[str, ...] = ()  # without the App's verdict labels
    hand_labels: tuple[HandLabel, ...] = ()
    draft: bool = False
    from_fork: bool = False


@dataclass(frozen=True)
class Override:
    """`/prompt-to-pr override <gate> <reason>` said by `by` on `head_sha`; the engine decides if it counts."""

    gate: str
    reason: str
    by: Actor
    head_sha: str


@dataclass(frozen=True)
class Assignment:
    """An `assigned` event of the pull request: `assigner` assigned it to `assignee` (an agent, perhaps)."""

    assignee: Actor
    assigner: Actor


@dataclass(frozen=True)
class Facts:
    """Everything `evaluate` may look at. The shell fills only what `core.needs` asks for.

    `team_members` maps `org/team` to the logins known to be members. `changed_since` maps a reviewed
    commit sha to the paths changed between that commit and the head (for stale approvals); a sha
    missing from it means unknown, which the engine treats as "everything changed". `assignments` are the
    PR's `assigned` events and `pushers` the accounts that pushed to its branch (separation of duties).
    """

    pull_request: PullRequest | None = None
    commits: tuple[Commit, ...] = ()
    files: tuple[ChangedFile, ...] = ()
    reviews: tuple[Review, ...] = ()
    team_members: Mapping[str, frozenset[str]] = field(default_factory=lambda: _EMPTY)
    codeowners: str | None = None
    changed_since: Mapping[str, frozenset[str]] = field(default_factory=lambda: _EMPTY)
    tool_reports: tuple[ToolReport, ...] = ()
    overrides: tuple[Override, ...] = ()
    files_truncated: bool = False
    commits_truncated: bool = False
    events_truncated: bool = False  # the PR's events were read up to the App's cap: later ones unseen
    retargeted_at: str = ""  # when the PR last moved to another base, as GitHub timed it (ISO 8601); "" never
    assignments: tuple[Assignment, ...] = ()
    pushers: tuple[Actor, ...] = ()
