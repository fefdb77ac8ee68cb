"""The simulator's world: installations, tokens, repositories with commits, pull requests, reviews, teams, check
runs, issues, hook deliveries, rate limits and a log of every request. Tests build it with the helpers below."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.ghsim.gitdata import CommitData, Link, Tree, apply_changes, apply_modes, commit_sha, diff_files

Changes = Mapping[str, str | bytes | Link | None]
GITHUB_ACTIONS_APP_ID = 15368  # the App that check runs made by GitHub Actions workflows belong to


class SimClock:
    """Wall clock with an offset tests can advance (token expiry, rate-limit windows)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Installation:
    id: int
    account: str
    account_type: str = "Organization"
    repositories: set[str] | None = None  # full names; None = all of the account's repositories
    suspended: bool = False
    # what the installation granted (the token reply and GET /app/installations/{id} list it); tests add
    # `security_events: write` for code scanning uploads
    permissions: dict[str, str] = field(
        default_factory=lambda: {
            "checks": "write",
            "contents": "read",
            "pull_requests": "write",
            "issues": "write",
            "members": "read",
            "metadata": "read",
        }
    )

    def covers(self, full_name: str) -> bool:
        owner = full_name.split("/", 1)[0]
        return owner.lower() == self.account.lower() and (self.repositories is None or full_name in self.repositories)


@dataclass
class Token:
    installation_id: int
    expires_at: datetime


@dataclass
class Review:
    id: int
    user: str
    state: str  # REST spelling: APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
    body: str
    commit_id: str | None
    submitted_at: datetime
    dismissal_message: str = ""  # why it was dismissed (PUT .../dismissals)
    comments: list[dict[str, Any]] = field(default_factory=list)  # review comments: path, line, side, body, ...


@dataclass
class Comment:
    id: int
    user: str
    body: str
    created_at: datetime


@dataclass
class Issue:
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    state: str = "open"
    labels: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    updated_at: datetime | None = None  # None: as created
    events: list[IssueEvent] = field(default_factory=list)


@dataclass
class IssueEvent:
    """An issue event (REST `/issues/{n}/events`), oldest first as GitHub lists them. Simulated: `assigned`
    (`actor` assigned `assignee`), `labeled` and `unlabeled` (`label`), `review_requested` and
    `review_request_removed` (`reviewer`, or `team` slug); `app_slug`: the App the actor acted through, as for
    the App's own label changes and review requests."""

    id: int
    event: str
    actor: str
    created_at: datetime
    assignee: str | None = None
    label: str | None = None
    app_slug: str | None = None
    reviewer: str | None = None
    team: str | None = None


@dataclass
class Pull(Issue):
    base_ref: str = "main"
    head_ref: str = "feature"
    base_sha: str = ""
    head_sha: str = ""
    commits: list[str] = field(default_factory=list)  # oldest first
    draft: bool = False
    merged: bool = False
    requested_users: list[str] = field(default_factory=list)
    requested_teams: list[str] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)


@dataclass
class CheckRun:
    id: int
    repo: str
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    started_at: datetime
    completed_at: datetime | None = None
    external_id: str | None = None
    details_url: str | None = None
    output: dict[str, Any] = field(default_factory=dict)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    app_id: int = 0  # the App that created the run (only it may update the run); 0: the simulated App
    app_slug: str = ""


@dataclass(frozen=True)
class MergeGroup:
    """A merge queue's group: its commit, its `gh-readonly-queue/...` ref and the base it was built on."""

    head_sha: str
    head_ref: str
    base_sha: str
    base_ref: str


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    owner_type: str
    private: bool
    default_branch: str
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # lightweight tags: name -> commit sha
    commits: dict[str, CommitData] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)  # pull requests included: they share the numbers
    labels: dict[str, str] = field(default_factory=dict)  # name -> colour
    # code scanning: "on"; "off" (not set up: uploads answer 404); "no_advanced_security" (a private repository
    # without Advanced Security: 403)
    code_scanning: str = "on"
    label_descriptions: dict[str, str] = field(default_factory=dict)  # name -> description, when it has one

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def resolve(self, ref: str | None) -> str | None:
        """A revision -> the commit sha: `refs/heads/x` (`heads/x`) a branch, `refs/tags/x` (`tags/x`) a tag, a bare
        name a tag first and then a branch, as git resolves it (gitrevisions: refs/tags/<name> before
        refs/heads/<name>), or a (prefix of a) commit sha."""
        ref = (ref or f"heads/{self.default_branch}").removeprefix("refs/")
        if ref.startswith("heads/"):
            return self.branches.get(ref.removeprefix("heads/"))
        if ref.startswith("tags/"):
            return self.tags.get(ref.removeprefix("tags/"))
        if ref in self.tags:
            return self.tags[ref]
        if ref in self.branches:
            return self.branches[ref]
        if re.fullmatch(r"[0-9a-f]{7,40}", ref):
            matches = [sha for sha in self.commits if sha.startswith(ref)]
            return matches[0] if len(matches) == 1 else None
        return None

    def pull(self, number: int) -> Pull | None:
        issue = self.issues.get(number)
        return issue if isinstance(issue, Pull) else None


@dataclass
class Team:
    id: int
    org: str
    slug: str
    parent: str | None = None
    members: dict[str, tuple[str, str]] = field(default_factory=dict)  # login -> (role, state)


@dataclass
class Delivery:
    id: int
    guid: str
    delivered_at: datetime
    redelivery: bool
    duration: float
    status: str
    status_code: int
    event: str
    action: str | None
    installation_id: int | None
    repository_id: int | None
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""


@dataclass
class SarifUpload:
    """One accepted `POST /code-scanning/sarifs`: the decoded SARIF log and the fields it came with."""

    id: str
    repo: str
    commit_sha: str
    ref: str
    sarif: dict[str, Any]
    gzip_bytes: int
    fields: dict[str, Any]
    processing_status: str = "complete"  # or "failed" (over a limit), with `errors`
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # without the GitHub Enterprise prefix
    query: dict[str, str]
    body: Any  # parsed JSON, or the raw text, or None
    status: int
    auth: str  # "jwt", "installation:<id>", "none"


@dataclass
class RateBucket:
    limit: int
    remaining: int
    reset: int  # epoch seconds
    resource: str = "core"  # `graphql`: points, not calls


class SimState:
    """Everything the simulated GitHub knows. Mutations hold `lock` (the server runs in another thread)."""

    def __init__(self, app_id: int = 4242, app_slug: str = "prompt-to-pr", public_key_pem: str = "") -> None:
        self.lock = threading.RLock()
        self.clock = SimClock()
        self.app_id = app_id
        self.app_slug = app_slug
        self.public_key_pem = public_key_pem
        self.api_url = "https://api.github.com/"  # set by the server to where it really listens
        self.webhook_url: str | None = None  # where deliveries and redeliveries go
        self.webhook_transport: Any = None  # an httpx async transport when the App runs in-process
        self.installations: dict[int, Installation] = {}
        self.tokens: dict[str, Token] = {}
        self.repos: dict[str, Repo] = {}
        self.teams: dict[tuple[str, str], Team] = {}
        self.check_runs: dict[int, CheckRun] = {}
        self.downloads: dict[str, tuple[str, str, datetime]] = {}  # codeload token -> (repo, sha, expiry)
        self.deliveries: list[Delivery] = []
        self.sarif_uploads: list[SarifUpload] = []
        self.log: list[LoggedRequest] = []
        self.rate_limit = 5000  # per installation per hour, GitHub's minimum
        self.graphql_points = 5000  # GraphQL points per installation per hour, a budget apart from REST's
        self.blob_text_limit = 512 * 1024  # GraphQL `Blob.text` past this is cut (`isTruncated`)
        self.graphql_cuts: set[str] = set()  # GraphQL fields that fail as over GitHub's resource limits
        self.buckets: dict[str, RateBucket] = {}
        self.token_lifetime = timedelta(hours=1)
        self._ids = 1000
        self._diffs: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    # installations and tokens
    def create_installation(
        self,
        account: str,
        *,
        account_type: str = "Organization",
        installation_id: int | None = None,
        repositories: Sequence[str] | None = None,
    ) -> Installation:
        with self.lock:
            inst = Installation(
                installation_id or self.next_id(),
                account,
                account_type,
                set(repositories) if repositories is not None else None,
            )
            self.installations[inst.id] = inst
            return inst

    def issue_token(self, installation_id: int) -> tuple[str, Token]:
        """A new-format installation token: `ghs_<app id>_` and a long JWT-like tail (~520 characters)."""
        parts = [secrets.token_urlsafe(190), secrets.token_urlsafe(110), secrets.token_urlsafe(70)]
        value = f"ghs_{self.app_id}_" + ".".join(parts)
        expires = (self.clock.now() + self.token_lifetime).replace(microsecond=0)
        with self.lock:
            token = self.tokens[value] = Token(installation_id, expires)
        return value, token

    def installation_for(self, full_name: str) -> Installation | None:
        return next((i for i in self.installations.values() if i.covers(full_name)), None)

    # repositories and commits
    def create_repo(
        self,
        full_name: str,
        *,
        files: Changes | None = None,
        default_branch: str = "main",
        private: bool = True,
        owner_type: str = "Organization",
    ) -> Repo:
        owner, name = full_name.split("/", 1)
        with self.lock:
            repo = Repo(self.next_id(), owner, name, owner_type, private, default_branch)
            self.repos[full_name.lower()] = repo
            self.commit(repo, files or {"README.md": f"# {name}\n"}, branch=default_branch, message="Initial commit")
            return repo

    def repo(self, full_name: str) -> Repo:
        return self.repos[full_name.lower()]

    def commit(
        self,
        repo: Repo,
        changes: Changes,
        *,
        branch: str,
        message: str = "Update",
        author: str = "octocat",
        parent: str | None = None,
    ) -> str:
        """Add a commit on top of `branch` (or `parent`) and move the branch to it; return its sha."""
        with self.lock:
            parent_sha = parent or repo.branches.get(branch)
            base: Tree = repo.commits[parent_sha].tree if parent_sha else {}
            tree = apply_changes(base, changes)
            modes = apply_modes(repo.commits[parent_sha].modes if parent_sha else {}, changes)
            parents = [parent_sha] if parent_sha else []
            sha = commit_sha(parents, tree, message, self.next_id())
            repo.commits[sha] = CommitData(
                sha,
                tree,
                parents,
                message,
                author,
                author.title(),
                f"{author}@users.noreply.github.com",
                self.clock.now(),
                modes=modes,
            )
            repo.branches[branch] = sha
            return sha

    # pull requests
    def label_by_hand(self, full_name: str, number: int, name: str, user: str) -> None:
        """A person adds a label to an issue or PR in the web UI (a `labeled` event by that user)."""
        with self.lock:
            repo = self.repo(full_name)
            issue = repo.issues[number]
            repo.labels.setdefault(name, "ededed")
            if name not in issue.labels:
                issue.labels.append(name)
            issue.events.append(IssueEvent(self.next_id(), "labeled", user, self.clock.now(), label=name))

    def create_pull(
        self,
        full_name: str,
        *,
        changes: Changes | None = None,
        commits: Sequence[Changes] | None = None,
        messages: Sequence[str] | None = None,
        title: str = "A change",
        body: str | None = "",
        user: str = "octocat",
        base: str = "main",
        head: str | None = None,
        draft: bool = False,
    ) -> Pull:
        """Open a pull request whose head adds one commit per change set (`commits`, or `changes` alone)."""
        repo = self.repo(full_name)
        change_sets = list(commits or [changes or {"CHANGELOG.md": "changed\n"}])
        with self.lock:
            number = len(repo.issues) + 1
            head = head or f"{user}/change-{number}"
            base_sha = repo.branches[base]
            repo.branches[head] = base_sha
            shas = []
            for index, change_set in enumerate(change_sets):
                message = messages[index] if messages and index < len(messages) else f"Change {index + 1}"
                shas.append(self.commit(repo, change_set, branch=head, message=message, author=user))
            pull = Pull(
                number,
                title,
                body,
                user,
                self.clock.now(),
                base_ref=base,
                head_ref=head,
                base_sha=base_sha,
                head_sha=shas[-1],
                commits=shas,
                draft=draft,
            )
            repo.issues[number] = pull
            return pull

    def push(
        self, full_name: str, number: int, changes: Changes, *, message: str = "More changes", author: str | None = None
    ) -> str:
        """Push a commit to the pull request's head branch (a `synchronize`); return the new head sha."""
        repo = self.repo(full_name)
        pull = repo.pull(number)
        assert pull is not None, f"no pull request #{number} in {full_name}"
        with self.lock:
            sha = self.commit(repo, changes, branch=pull.head_ref, message=message, author=author or pull.user)
            pull.head_sha = sha
            pull.updated_at = self.clock.now()
            pull.commits.append(sha)
            return sha

    def retarget(self, full_name: str, number: int, base: str) -> None:
        """Change the pull request's base branch, as its author would in GitHub's UI (an `edited` event with
        `changes.base`: `payloads.retargeted`); GitHub moves `updated_at`."""
        repo = self.repo(full_name)
        pull = repo.pull(number)
        assert pull is not None, f"no pull request #{number} in {full_name}"
        with self.lock:
            pull.base_ref, pull.base_sha = base, repo.branches[base]
            pull.updated_at = self.clock.now()

    def open_pull(
        self,
        full_name: str,
        *,
        head: str,
        base: str,
        title: str = "A change",
        body: str | None = "",
        user: str = "octocat",
    ) -> Pull:
        """Open a pull request from an existing branch (no new commit): two PRs may share one head this way.
        Its commits are those of the head not on the base branch."""
        repo = self.repo(full_name)
        with self.lock:
            head_sha, base_sha = repo.branches[head], repo.branches[base]
            on_base = set(self.ancestry(repo, base_sha))
            pull = Pull(
                len(repo.issues) + 1,
                title,
                body,
                user,
                self.clock.now(),
                base_ref=base,
                head_ref=head,
                base_sha=base_sha,
                head_sha=head_sha,
                commits=[c for c in self.ancestry(repo, head_sha) if c not in on_base][::-1],
            )
            repo.issues[pull.number] = pull
            return pull

    def create_merge_group(self, full_name: str, numbers: Sequence[int], *, base: str = "main") -> MergeGroup:
        """What a merge queue makes when these PRs are queued (in this order): one commit per PR on top of the base
        branch, each carrying that PR's changes, on `gh-readonly-queue/<base>/pr-<last>-<base sha>`."""
        repo = self.repo(full_name)
        with self.lock:
            base_sha = repo.branches[base]
            head = base_sha
            for number in numbers:
                pull = repo.pull(number)
                assert pull is not None, f"no pull request #{number} in {full_name}"
                before, after = repo.commits[pull.base_sha].tree, repo.commits[pull.head_sha].tree
                changes: dict[str, bytes | None] = {
                    p: after.get(p) for p in set(before) | set(after) if before.get(p) != after.get(p)
                }
                head = self.commit(
                    repo,
                    changes,
                    branch=f"gh-readonly-queue/{base}/tmp",
                    parent=head,
                    message=f"Merge pull request #{number} from {repo.owner}/{pull.head_ref}\n\n{pull.title}",
                    author="web-flow",
                )
            del repo.branches[f"gh-readonly-queue/{base}/tmp"]
            ref = f"gh-readonly-queue/{base}/pr-{numbers[-1]}-{base_sha}"
            repo.branches[ref] = head
            return MergeGroup(head, f"refs/heads/{ref}", base_sha, f"refs/heads/{base}")

    def force_push(self, full_name: str, number: int, sha: str) -> str:
        """Move the pull request's head branch to an existing commit (`git push --force`), older or unrelated;
        the PR's commits become those of `sha` not on the base branch. Returns `sha`."""
        repo = self.repo(full_name)
        pull = repo.pull(number)
        assert pull is not None, f"no pull request #{number} in {full_name}"
        assert sha in repo.commits, f"no commit {sha} in {full_name}"
        with self.lock:
            on_base = set(self.ancestry(repo, pull.base_sha))
            pull.commits = [c for c in self.ancestry(repo, sha) if c not in on_base][::-1]
            repo.branches[pull.head_ref] = sha
            pull.head_sha = sha
            pull.updated_at = self.clock.now()
            return sha

    @staticmethod
    def ancestry(repo: Repo, sha: str) -> list[str]:
        """First-parent history of `sha`, newest first."""
        chain: list[str] = []
        current: str | None = sha
        while current is not None:
            chain.append(current)
            parents = repo.commits[current].parents
            current = parents[0] if parents else None
        return chain

    def pull_files(self, repo: Repo, pull: Pull) -> list[dict[str, Any]]:
        key = (pull.base_sha, pull.head_sha)
        if key not in self._diffs:  # commits never change: the diff of two shas can be kept
            self._diffs[key] = diff_files(repo.commits[pull.base_sha].tree, repo.commits[pull.head_sha].tree)
        return self._diffs[key]

    def assign(self, full_name: str, number: int, assignee: str, *, by: str) -> IssueEvent:
        """`by` assigns the issue or pull request to `assignee` (Copilot, say): an `assigned` event."""
        issue = self.repo(full_name).issues.get(number)
        assert issue is not None, f"no issue or pull request #{number} in {full_name}"
        with self.lock:
            event = IssueEvent(self.next_id(), "assigned", by, self.clock.now(), assignee)
            issue.events.append(event)
            if assignee not in issue.assignees:
                issue.assignees.append(assignee)
        return event

    def request_review(
        self, full_name: str, number: int, reviewer: str, *, by: str, team: bool = False, remove: bool = False
    ) -> None:
        """A person (`by`) requests a review in the web UI, or re-requests one after a review (`remove`: takes a
        request back): the reviewer (or team slug) is pending again (or not), and a `review_requested` (or
        `review_request_removed`) event names `by` as the actor."""
        pull = self.repo(full_name).pull(number)
        assert pull is not None, f"no pull request #{number} in {full_name}"
        with self.lock:
            listed = pull.requested_teams if team else pull.requested_users
            if remove and reviewer in listed:
                listed.remove(reviewer)
            elif not remove and reviewer not in listed:
                listed.append(reviewer)
            pull.events.append(
                IssueEvent(
                    self.next_id(),
                    "review_request_removed" if remove else "review_requested",
                    by,
                    self.clock.now(),
                    reviewer=None if team else reviewer,
                    team=reviewer if team else None,
                )
            )

    def add_review(
        self,
        full_name: str,
        number: int,
        user: str,
        state: str = "APPROVED",
        *,
        body: str = "",
        commit_id: str | None = None,
    ) -> Review:
        """A submitted review; the reviewer leaves the requested reviewers, as on GitHub."""
        pull = self.repo(full_name).pull(number)
        assert pull is not None, f"no pull request #{number} in {full_name}"
        with self.lock:
            review = Review(self.next_id(), user, state.upper(), body, commit_id or pull.head_sha, self.clock.now())
            pull.reviews.append(review)
            if user in pull.requested_users:
                pull.requested_users.remove(user)
            return review

    # teams
    def add_team_member(
        self, org: str, team: str, login: str, *, role: str = "member", state: str = "active", parent: str | None = None
    ) -> Team:
        with self.lock:
            entry = self.teams.setdefault((org.lower(), team.lower()), Team(self.next_id(), org, team, parent))
            if parent is not None:
                entry.parent = parent
            entry.members[login] = (role, state)
            return entry

    def membership(self, org: str, team: str, login: str) -> tuple[str, str] | None:
        """(role, state), looking into child teams as GitHub does."""
        with self.lock:
            found = self.teams.get((org.lower(), team.lower()))
            if found is None:
                return None
            for candidate in self.teams.values():
                if candidate is found or self.descends(candidate, found):
                    for member, value in candidate.members.items():
                        if member.lower() == login.lower():
                            return value
            return None

    def descends(self, team: Team, ancestor: Team) -> bool:
        """Whether `team` is a child (at any depth) of `ancestor`."""
        seen = set()
        while team.parent is not None and team.slug not in seen:
            seen.add(team.slug)
            parent = self.teams.get((team.org.lower(), team.parent.lower()))
            if parent is None:
                return False
            if parent is ancestor:
                return True
            team = parent
        return False

    # assertions
    def requests(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """Logged requests, filtered by method and a regular expression searched in the path."""
        with self.lock:
            return [
                r
                for r in self.log
                if (method is None or r.method == method) and (path is None or re.search(path, r.path))
            ]

    def add_check_run(
        self,
        full_name: str,
        head_sha: str,
        name: str,
        *,
        app_id: int = GITHUB_ACTIONS_APP_ID,
        app_slug: str = "github-actions",
        conclusion: str | None = "success",
        external_id: str | None = None,
        title: str = "Done",
        summary: str = "",
    ) -> CheckRun:
        """A check run another App (by default GitHub Actions, as a workflow creates it) put on a commit."""
        repo = self.repo(full_name)
        with self.lock:
            run = CheckRun(
                self.next_id(),
                repo.full_name,
                name,
                head_sha,
                "completed" if conclusion else "queued",
                conclusion,
                self.clock.now(),
                self.clock.now() if conclusion else None,
                external_id=external_id,
                output={"title": title, "summary": summary},
                app_id=app_id,
                app_slug=app_slug,
            )
            self.check_runs[run.id] = run
            return run

    def check_runs_for(self, full_name: str, head_sha: str | None = None) -> list[CheckRun]:
        return [
            run
            for run in self.check_runs.values()
            if run.repo.lower() == full_name.lower() and (head_sha is None or run.head_sha == head_sha)
        ]
