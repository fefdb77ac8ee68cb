"""GitHub's JSON shapes for the simulator's objects (the fields the App reads, plus enough to look real)."""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from tests.ghsim.gitdata import CommitData
from tests.ghsim.state import CheckRun, Installation, Issue, IssueEvent, Pull, Repo, Review, SimState

WEB = "https://github.com"


def ts(moment: datetime | None) -> str | None:
    """GitHub's timestamp format: 2011-01-26T19:01:12Z."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


BOT_LOGINS = frozenset({"copilot"})  # bots GitHub shows without `[bot]`: the Copilot coding agent as an assignee


def user(login: str) -> dict[str, Any]:
    uid = zlib.crc32(login.lower().encode()) % 10_000_000 + 1
    bot = login.endswith("[bot]") or login.lower() in BOT_LOGINS
    return {
        "login": login,
        "id": uid,
        "node_id": f"U_{uid}",
        "type": "Bot" if bot else "User",
        "site_admin": False,
        "html_url": f"{WEB}/{login}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}",
        "url": f"https://api.github.com/users/{login}",
    }


def repo(state: SimState, r: Repo) -> dict[str, Any]:
    api = f"{state.api_url}repos/{r.full_name}"
    owner = user(r.owner) | {"type": r.owner_type}
    return {
        "id": r.id,
        "node_id": f"R_{r.id}",
        "name": r.name,
        "full_name": r.full_name,
        "private": r.private,
        "owner": owner,
        "html_url": f"{WEB}/{r.full_name}",
        "url": api,
        "fork": False,
        "default_branch": r.default_branch,
        "visibility": "private" if r.private else "public",
        "archived": False,
        "disabled": False,
    }


def installation(state: SimState, inst: Installation) -> dict[str, Any]:
    return {
        "id": inst.id,
        "app_id": state.app_id,
        "app_slug": state.app_slug,
        "target_type": inst.account_type,
        "account": user(inst.account) | {"type": inst.account_type},
        "repository_selection": "all" if inst.repositories is None else "selected",
        "permissions": dict(inst.permissions),
        "events": ["check_run", "check_suite", "pull_request", "pull_request_review", "push"],
        "suspended_at": None,
    }


def commit(state: SimState, r: Repo, c: CommitData) -> dict[str, Any]:
    person = {"name": c.author_name, "email": c.author_email, "date": ts(c.date)}
    return {
        "sha": c.sha,
        "node_id": f"C_{c.sha[:12]}",
        "url": f"{state.api_url}repos/{r.full_name}/commits/{c.sha}",
        "html_url": f"{WEB}/{r.full_name}/commit/{c.sha}",
        "commit": {
            "message": c.message,
            "author": person,
            "committer": person,
            "tree": {"sha": c.sha[::-1]},
            "verification": {"verified": False, "reason": "unsigned"},
        },
        "author": user(c.author_login),
        "committer": user(c.author_login),
        "parents": [{"sha": p} for p in c.parents],
    }


def label(name: str, colour: str, description: str | None = None) -> dict[str, Any]:
    lid = zlib.crc32(name.encode())
    return {
        "id": lid,
        "node_id": f"LA_{lid}",
        "name": name,
        "color": colour,
        "default": False,
        "description": description or None,
    }


def repo_label(r: Repo, name: str) -> dict[str, Any]:
    """A label of the repository as GitHub shows it; one GitHub created when it was added by name is grey
    (`ededed`) with no description."""
    return label(name, r.labels.get(name, "ededed"), r.label_descriptions.get(name))


def issue(state: SimState, r: Repo, i: Issue) -> dict[str, Any]:
    return {
        "id": r.id * 100_000 + i.number,
        "number": i.number,
        "title": i.title,
        "body": i.body,
        "state": i.state,
        "user": user(i.user),
        "assignees": [user(a) for a in i.assignees],
        "labels": [repo_label(r, n) for n in i.labels],
        "url": f"{state.api_url}repos/{r.full_name}/issues/{i.number}",
        "html_url": f"{WEB}/{r.full_name}/issues/{i.number}",
        "comments": len(i.comments),
        "created_at": ts(i.created_at),
        "updated_at": ts(i.updated_at or i.created_at),
        "author_association": "MEMBER",
    }


def issue_event(state: SimState, r: Repo, i: Issue, e: IssueEvent) -> dict[str, Any]:
    """GitHub's issue event object; an `assigned` event adds `assignee` and `assigner` (the actor), a `labeled`
    or `unlabeled` one the `label`, a `review_requested` or `review_request_removed` one the `review_requester`
    (the actor) and the `requested_reviewer` or `requested_team`; `performed_via_github_app` names the App the
    actor acted through."""
    app = (
        None
        if e.app_slug is None
        else {
            "id": state.app_id,
            "slug": e.app_slug,
            "node_id": f"A_{state.app_id}",
            "name": e.app_slug,
            "owner": user(r.owner),
        }
    )
    data: dict[str, Any] = {
        "id": e.id,
        "node_id": f"AE_{e.id}",
        "url": f"{state.api_url}repos/{r.full_name}/issues/events/{e.id}",
        "actor": user(e.actor),
        "event": e.event,
        "commit_id": None,
        "commit_url": None,
        "created_at": ts(e.created_at),
        "performed_via_github_app": app,
    }
    if e.assignee is not None:
        data |= {"assignee": user(e.assignee), "assigner": user(e.actor)}
    if e.label is not None:
        data["label"] = {"name": e.label, "color": r.labels.get(e.label, "ededed")}
    if e.reviewer is not None or e.team is not None:
        data["review_requester"] = user(e.actor)
        if e.reviewer is not None:
            data["requested_reviewer"] = user(e.reviewer)
        if e.team is not None:
            data["requested_team"] = team(state, r.owner, e.team)
    return data


def pull(state: SimState, r: Repo, p: Pull) -> dict[str, Any]:
    files = state.pull_files(r, p)
    repo_json = repo(state, r)
    return issue(state, r, p) | {
        "url": f"{state.api_url}repos/{r.full_name}/pulls/{p.number}",
        "html_url": f"{WEB}/{r.full_name}/pull/{p.number}",
        "draft": p.draft,
        "merged": p.merged,
        "mergeable": None,
        "locked": False,
        "head": {
            "ref": p.head_ref,
            "sha": p.head_sha,
            "label": f"{r.owner}:{p.head_ref}",
            "repo": repo_json,
            "user": user(r.owner),
        },
        "base": {
            "ref": p.base_ref,
            "sha": p.base_sha,
            "label": f"{r.owner}:{p.base_ref}",
            "repo": repo_json,
            "user": user(r.owner),
        },
        "requested_reviewers": [user(u) for u in p.requested_users],
        "requested_teams": [team(state, r.owner, t) for t in p.requested_teams],
        "commits": len(p.commits),
        "changed_files": len(files),
        "additions": sum(f["additions"] for f in files),
        "deletions": sum(f["deletions"] for f in files),
    }


def team(state: SimState, org: str, slug: str) -> dict[str, Any]:
    found = state.teams.get((org.lower(), slug.lower()))
    tid = found.id if found else zlib.crc32(slug.encode())
    return {
        "id": tid,
        "node_id": f"T_{tid}",
        "slug": slug,
        "name": slug,
        "privacy": "closed",
        "url": f"{state.api_url}organizations/{org}/team/{tid}",
        "html_url": f"{WEB}/orgs/{org}/teams/{slug}",
    }


def review(state: SimState, r: Repo, p: Pull, rv: Review) -> dict[str, Any]:
    data = {
        "id": rv.id,
        "node_id": f"PRR_{rv.id}",
        "user": user(rv.user),
        "body": rv.body,
        "state": rv.state,
        "commit_id": rv.commit_id,
        "author_association": "MEMBER",
        "html_url": f"{WEB}/{r.full_name}/pull/{p.number}#pullrequestreview-{rv.id}",
        "pull_request_url": f"{state.api_url}repos/{r.full_name}/pulls/{p.number}",
    }
    if rv.state != "PENDING":  # GitHub leaves submitted_at out of pending reviews
        data["submitted_at"] = ts(rv.submitted_at)
    return data


def check_run(state: SimState, run: CheckRun) -> dict[str, Any]:
    api = f"{state.api_url}repos/{run.repo}/check-runs/{run.id}"
    output = {
        "title": run.output.get("title"),
        "summary": run.output.get("summary"),
        "text": run.output.get("text"),
        "annotations_count": len(run.annotations),
        "annotations_url": f"{api}/annotations",
    }
    return {
        "id": run.id,
        "node_id": f"CR_{run.id}",
        "name": run.name,
        "head_sha": run.head_sha,
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": ts(run.started_at),
        "completed_at": ts(run.completed_at),
        "external_id": run.external_id,
        "details_url": run.details_url,
        "url": api,
        "html_url": f"{WEB}/{run.repo}/runs/{run.id}",
        "output": output,
        "app": {"id": run.app_id or state.app_id, "slug": run.app_slug or state.app_slug},
        "check_suite": {"id": run.id // 7 + 1},
        "pull_requests": [],
    }
