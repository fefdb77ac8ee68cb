"""Realistic webhook payloads built from the simulator's state: each starts from a real example payload in
`tests/fixtures/webhooks/` and gets the simulator's ids, shas, numbers, logins and repository substituted."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from tests.ghsim import render
from tests.ghsim.state import Installation, MergeGroup, Pull, Repo, SimState
from tests.paths import FIXTURES

WEBHOOKS = FIXTURES / "webhooks"
EXTRA = FIXTURES / "webhooks-extra"
JSON = dict[str, Any]


@cache
def _fixture_text(event: str, name: str) -> str:
    path = WEBHOOKS / event / f"{name}.json"
    return (path if path.is_file() else EXTRA / event / f"{name}.json").read_text()


def fixture(event: str, name: str) -> JSON:
    """A fresh copy of a real example payload."""
    data: JSON = json.loads(_fixture_text(event, name))
    return data


class Payloads:
    def __init__(self, state: SimState) -> None:
        self.state = state

    def _common(self, data: JSON, repo: Repo, sender: str) -> JSON:
        data["repository"] = {**data.get("repository", {}), **render.repo(self.state, repo)}
        inst = self.state.installation_for(repo.full_name)
        if inst is not None:
            data["installation"] = {"id": inst.id, "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{inst.id}"}
        else:
            data.pop("installation", None)
        data["sender"] = {**data.get("sender", {}), **render.user(sender)}
        if repo.owner_type == "Organization":
            data["organization"] = {
                **data.get("organization", {}),
                "login": repo.owner,
                "id": render.user(repo.owner)["id"],
            }
        else:
            data.pop("organization", None)
        return data

    def _pull_object(self, base: JSON, repo: Repo, pull: Pull) -> JSON:
        rendered = render.pull(self.state, repo, pull)
        merged = copy.deepcopy(base)
        for key, value in rendered.items():
            if key in ("head", "base") and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        merged["state"] = pull.state
        return merged

    def pull_request(
        self,
        full_name: str,
        number: int,
        action: str = "opened",
        *,
        sender: str | None = None,
        before: str | None = None,
        label: str | None = None,
        requested_reviewer: str | None = None,
    ) -> JSON:
        """`pull_request` with `action`; synchronize gets `before` (default: the previous head) and `after`."""
        repo = self.state.repo(full_name)
        pull = repo.pull(number)
        assert pull is not None, f"no pull request #{number} in {full_name}"
        has_fixture = (WEBHOOKS / "pull_request" / f"{action}.json").is_file()
        data = fixture("pull_request", action if has_fixture else "opened")
        data["action"] = action
        data["number"] = number
        data["pull_request"] = self._pull_object(data["pull_request"], repo, pull)
        if action == "synchronize":
            data["before"] = before or (pull.commits[-2] if len(pull.commits) > 1 else pull.base_sha)
            data["after"] = pull.head_sha
        if label is not None:
            data["label"] = render.repo_label(repo, label)
        if requested_reviewer is not None:
            data["requested_reviewer"] = render.user(requested_reviewer)
        return self._common(data, repo, sender or pull.user)

    def retargeted(self, full_name: str, number: int, base: str) -> JSON:
        """Move the pull request to `base` (`state.retarget`) and give the `edited` delivery GitHub sends for it,
        whose `changes.base` names the base it left."""
        pull = self.state.repo(full_name).pull(number)
        assert pull is not None, f"no pull request #{number} in {full_name}"
        left = {"ref": {"from": pull.base_ref}, "sha": {"from": pull.base_sha}}
        self.state.retarget(full_name, number, base)
        data = self.pull_request(full_name, number, "edited")
        data["changes"] = {"base": left}
        return data

    def pull_request_review(self, full_name: str, number: int, review_id: int, action: str = "submitted") -> JSON:
        """The webhook spells review states in lower case (`approved`), the REST API in upper case."""
        repo = self.state.repo(full_name)
        pull = repo.pull(number)
        assert pull is not None, f"no pull request #{number} in {full_name}"
        review = next(r for r in pull.reviews if r.id == review_id)
        data = fixture("pull_request_review", "dismissed" if action == "dismissed" else "submitted")
        data["action"] = action
        data["review"] = {
            **data["review"],
            **render.review(self.state, repo, pull, review),
            "state": review.state.lower(),
        }
        data["pull_request"] = self._pull_object(data["pull_request"], repo, pull)
        return self._common(data, repo, review.user)

    def issue_comment(
        self,
        full_name: str,
        number: int,
        *,
        login: str,
        body: str,
        comment_id: int | None = None,
        action: str = "created",
    ) -> JSON:
        """A comment on a pull request, written now by the simulator's clock (`created_at` in GitHub's whole
        seconds); its issue carries `pull_request`, as GitHub's does for a PR."""
        repo = self.state.repo(full_name)
        pull = repo.pull(number)
        assert pull is not None, f"no pull request #{number} in {full_name}"
        data = fixture("issue_comment", action)
        data["action"] = action
        data["issue"] = {
            **data["issue"],
            **render.issue(self.state, repo, pull),
            "pull_request": {"url": f"{self.state.api_url}repos/{repo.full_name}/pulls/{number}"},
        }
        now = render.ts(self.state.clock.now())
        cid = comment_id or self.state.next_id()
        data["comment"] = {
            **data["comment"],
            "id": cid,
            "node_id": f"IC_{cid}",
            "body": body,
            "user": render.user(login),
            "created_at": now,
            "updated_at": now,
            "html_url": f"{render.WEB}/{repo.full_name}/pull/{number}#issuecomment-{cid}",
        }
        return self._common(data, repo, login)

    def push(self, full_name: str, branch: str, before: str, after: str, *, sender: str = "octocat") -> JSON:
        repo = self.state.repo(full_name)
        data = fixture("push", "with-installation")
        chain: list[str] = []
        current = after
        while current and current != before and len(chain) < 2048:  # GitHub caps `commits` at 2048
            chain.append(current)
            parents = repo.commits[current].parents
            current = parents[0] if parents else ""
        commits = [self._push_commit(repo, sha) for sha in reversed(chain)]
        data.update(
            {
                "ref": f"refs/heads/{branch}",
                "before": before,
                "after": after,
                "created": False,
                "deleted": False,
                "forced": False,
                "commits": commits,
                "head_commit": commits[-1] if commits else None,
                "compare": f"{render.WEB}/{full_name}/compare/{before[:12]}...{after[:12]}",
            }
        )
        data["pusher"] = {"name": sender, "email": f"{sender}@users.noreply.github.com"}
        return self._common(data, repo, sender)

    def _push_commit(self, repo: Repo, sha: str) -> JSON:
        c = repo.commits[sha]
        person = {"name": c.author_name, "email": c.author_email, "username": c.author_login}
        return {
            "id": sha,
            "tree_id": sha[::-1],
            "distinct": True,
            "message": c.message,
            "timestamp": render.ts(c.date),
            "url": f"{render.WEB}/{repo.full_name}/commit/{sha}",
            "author": person,
            "committer": person,
            "added": [],
            "removed": [],
            "modified": [],
        }

    def check_suite(
        self,
        full_name: str,
        head_sha: str,
        action: str = "requested",
        *,
        pulls: list[int] | None = None,
        sender: str = "octocat",
    ) -> JSON:
        repo = self.state.repo(full_name)
        data = fixture("check_suite", action if action in ("requested", "rerequested", "completed") else "requested")
        data["action"] = action
        branch = next((name for name, sha in repo.branches.items() if sha == head_sha), None)
        linked = [p for p in (repo.pull(n) for n in pulls or []) if p is not None]
        suite = data["check_suite"]
        suite.update(
            {
                "head_sha": head_sha,
                "head_branch": branch,
                "after": head_sha,
                "app": {**suite.get("app", {}), "id": self.state.app_id, "slug": self.state.app_slug},
                "pull_requests": [
                    {
                        "number": p.number,
                        "id": repo.id * 100_000 + p.number,
                        "head": {"ref": p.head_ref, "sha": p.head_sha},
                        "base": {"ref": p.base_ref, "sha": p.base_sha},
                    }
                    for p in linked
                ],
            }
        )
        return self._common(data, repo, sender)

    def check_run(
        self,
        full_name: str,
        check_run_id: int,
        action: str = "rerequested",
        *,
        identifier: str | None = None,
        sender: str = "octocat",
    ) -> JSON:
        repo = self.state.repo(full_name)
        run = self.state.check_runs[check_run_id]
        name = {"requested_action": "requested_action", "created": "created", "completed": "completed"}
        data = fixture("check_run", name.get(action, "rerequested"))
        data["action"] = action
        data["check_run"] = {**data["check_run"], **render.check_run(self.state, run)}
        if action == "requested_action":
            data["requested_action"] = {"identifier": identifier or "rerun"}
        return self._common(data, repo, sender)

    def merge_group(
        self,
        full_name: str,
        group: MergeGroup,
        action: str = "checks_requested",
        *,
        reason: str = "merged",
        sender: str = "octocat",
    ) -> JSON:
        """`merge_group` from the real `checks_requested` example; `destroyed` (no example upstream) adds `reason`
        (`merged`, `invalidated` or `dequeued`), as GitHub's webhook reference describes it."""
        repo = self.state.repo(full_name)
        data: JSON = json.loads((FIXTURES / "webhooks-extra" / "merge_group" / "checks_requested.json").read_text())
        data["action"] = action
        head = repo.commits[group.head_sha]
        person = {"name": head.author_name, "email": head.author_email}
        data["merge_group"] = {
            "head_sha": group.head_sha,
            "head_ref": group.head_ref,
            "base_sha": group.base_sha,
            "base_ref": group.base_ref,
            "head_commit": {
                "id": head.sha,
                "tree_id": head.sha[::-1],
                "message": head.message,
                "timestamp": render.ts(head.date),
                "author": person,
                "committer": person,
            },
        }
        if action == "destroyed":
            data["reason"] = reason
        return self._common(data, repo, sender)

    def installation(self, inst: Installation, action: str = "created", *, sender: str = "octocat") -> JSON:
        data = fixture("installation", action)
        data["installation"] = {**data["installation"], **render.installation(self.state, inst)}
        repos = [r for r in self.state.repos.values() if inst.covers(r.full_name)]
        data["repositories"] = [
            {"id": r.id, "node_id": f"R_{r.id}", "name": r.name, "full_name": r.full_name, "private": r.private}
            for r in repos
        ]
        data["sender"] = {**data.get("sender", {}), **render.user(sender)}
        return data
