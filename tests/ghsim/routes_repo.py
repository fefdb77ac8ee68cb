"""Simulated repository routes: repos, pulls, files, commits, reviews, review requests, teams, contents, tarballs,
compare."""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Any

from tests.ghsim import render, review_comments
from tests.ghsim.context import Ctx, Reply, SimError, paginate
from tests.ghsim.gitdata import blob_sha, diff_files, tarball
from tests.ghsim.state import IssueEvent, Pull, Repo, SimState

RAW_TYPES = ("application/vnd.github.raw", "application/vnd.github.v3.raw")


def get_repo(ctx: Ctx) -> Reply:
    return Reply(json=render.repo(ctx.state, ctx.repo()))


def _pull(ctx: Ctx) -> tuple[Repo, Pull]:
    repo = ctx.repo()
    pull = repo.pull(ctx.number())
    if pull is None:
        raise SimError(404, "Not Found")
    return repo, pull


def get_pull(ctx: Ctx) -> Reply:
    repo, pull = _pull(ctx)
    return Reply(json=render.pull(ctx.state, repo, pull))


def pull_files(ctx: Ctx) -> Reply:
    repo, pull = _pull(ctx)
    return paginate(ctx, ctx.state.pull_files(repo, pull), cap=3000)  # GitHub lists 3,000 files at most


def pull_commits(ctx: Ctx) -> Reply:
    repo, pull = _pull(ctx)
    commits = [render.commit(ctx.state, repo, repo.commits[sha]) for sha in pull.commits]
    return paginate(ctx, commits, cap=250)  # and 250 commits at most


def list_reviews(ctx: Ctx) -> Reply:
    repo, pull = _pull(ctx)
    return paginate(ctx, [render.review(ctx.state, repo, pull, r) for r in pull.reviews])


def create_review(ctx: Ctx) -> Reply:
    """The App reviewing: `event` APPROVE | REQUEST_CHANGES | COMMENT, blank for a pending review; `comments`
    placed on the diff as GitHub places them (review_comments.py), or the whole review refused."""
    repo, pull = _pull(ctx)
    body = ctx.json_body()
    states = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED", None: "PENDING"}
    event = body.get("event")
    if event not in states:
        raise SimError(422, f"Unprocessable Entity: event {event!r} is not one of APPROVE, REQUEST_CHANGES, COMMENT")
    if event in ("REQUEST_CHANGES", "COMMENT") and not body.get("body"):
        raise SimError(422, "Unprocessable Entity: body is required for this event")
    commit_id = body.get("commit_id") or pull.head_sha
    comments = review_comments.check(repo, pull, commit_id, body.get("comments", []))
    review = ctx.state.add_review(
        repo.full_name,
        pull.number,
        f"{ctx.state.app_slug}[bot]",
        states[event],
        body=body.get("body", ""),
        commit_id=commit_id,
    )
    with ctx.state.lock:
        review.comments = comments
    return Reply(json=render.review(ctx.state, repo, pull, review))


def dismiss_review(ctx: Ctx) -> Reply:
    """`PUT .../reviews/{review_id}/dismissals`: `message` is required, `event` may only be "DISMISS". Only a
    submitted approval or change request can be dismissed (a pending or commented one: 422); the review
    becomes DISMISSED, which no longer counts as an approval."""
    repo, pull = _pull(ctx)
    body = ctx.json_body()
    message, event = body.get("message"), body.get("event", "DISMISS")
    if not isinstance(message, str) or not message:
        raise SimError(422, "Invalid request: message is required")
    if event != "DISMISS":
        raise SimError(422, f"Invalid request: event {event!r} is not DISMISS")
    review_id = ctx.params.get("review_id", "")
    review = next((rv for rv in pull.reviews if str(rv.id) == review_id), None)
    if review is None:
        raise SimError(404, "Not Found")
    if review.state not in ("APPROVED", "CHANGES_REQUESTED"):
        raise SimError(422, f"Unprocessable Entity: Can not dismiss a {review.state.lower()} pull request review")
    with ctx.state.lock:
        review.state = "DISMISSED"
        review.dismissal_message = message
    return Reply(json=render.review(ctx.state, repo, pull, review))


def get_requested(ctx: Ctx) -> Reply:
    repo, pull = _pull(ctx)
    return Reply(
        json={
            "users": [render.user(u) for u in pull.requested_users],
            "teams": [render.team(ctx.state, repo.owner, t) for t in pull.requested_teams],
        }
    )


def _reviewer_lists(ctx: Ctx) -> tuple[list[str], list[str]]:
    body = ctx.json_body()
    users, teams = body.get("reviewers", []), body.get("team_reviewers", [])
    if not isinstance(users, list) or not isinstance(teams, list):
        raise SimError(422, "Invalid request: reviewers and team_reviewers must be arrays")
    return [str(u) for u in users], [str(t) for t in teams]


def request_reviewers(ctx: Ctx) -> Reply:
    repo, pull = _pull(ctx)
    users, teams = _reviewer_lists(ctx)
    if any(u.lower() == pull.user.lower() for u in users):
        raise SimError(422, "Review cannot be requested from pull request author.")
    for team in teams:
        if (repo.owner.lower(), team.lower()) not in ctx.state.teams:
            raise SimError(
                422,
                "Reviews may only be requested from collaborators. One or more of the teams you "
                "specified is not a collaborator of the repository.",
            )
    with ctx.state.lock:
        new_users = [u for u in dict.fromkeys(users) if u not in pull.requested_users]
        new_teams = [t for t in dict.fromkeys(teams) if t not in pull.requested_teams]
        pull.requested_users += new_users
        pull.requested_teams += new_teams
        # one `review_requested` event per reviewer added; one already pending is left as it is
        _review_events(ctx, pull, "review_requested", new_users, new_teams)
    return Reply(201, json=render.pull(ctx.state, repo, pull))


def remove_requested(ctx: Ctx) -> Reply:
    repo, pull = _pull(ctx)
    users, teams = _reviewer_lists(ctx)
    with ctx.state.lock:
        # logins and team slugs are case-insensitive on GitHub
        drop_users, drop_teams = {u.lower() for u in users}, {t.lower() for t in teams}
        gone_users = [u for u in pull.requested_users if u.lower() in drop_users]
        gone_teams = [t for t in pull.requested_teams if t.lower() in drop_teams]
        pull.requested_users = [u for u in pull.requested_users if u.lower() not in drop_users]
        pull.requested_teams = [t for t in pull.requested_teams if t.lower() not in drop_teams]
        _review_events(ctx, pull, "review_request_removed", gone_users, gone_teams)
    return Reply(json=render.pull(ctx.state, repo, pull))


def _review_events(ctx: Ctx, pull: Pull, event: str, users: list[str], teams: list[str]) -> None:
    """Who asked (or took back) a review: with an installation token, the App's bot account through the App."""
    app = ctx.state.app_slug if ctx.installation is not None else None
    actor = f"{app}[bot]" if app else "octocat"
    now = ctx.state.clock.now()
    for name, is_team in [(u, False) for u in users] + [(t, True) for t in teams]:
        pull.events.append(
            IssueEvent(
                ctx.state.next_id(),
                event,
                actor,
                now,
                app_slug=app,
                reviewer=None if is_team else name,
                team=name if is_team else None,
            )
        )


def team_membership(ctx: Ctx) -> Reply:
    org, team, login = ctx.params["org"], ctx.params["team"], ctx.params["username"]
    if ctx.installation is not None and ctx.installation.account.lower() != org.lower():
        raise SimError(404, "Not Found")
    found = ctx.state.membership(org, team, login)
    if found is None:
        raise SimError(404, "Not Found")
    role, state = found
    url = f"{ctx.base}organizations/{org}/team/{ctx.state.teams[(org.lower(), team.lower())].id}/memberships/{login}"
    return Reply(json={"url": url, "role": role, "state": state})


def get_content(ctx: Ctx) -> Reply:
    """JSON with base64 `content` and the blob `sha`, or the bytes with the raw media type; 404 when missing."""
    repo = ctx.repo()
    sha = repo.resolve(ctx.query.get("ref"))
    if sha is None:
        raise SimError(404, f"No commit found for the ref {ctx.query.get('ref')}")
    tree = repo.commits[sha].tree
    path = ctx.params.get("path", "").strip("/")
    accept = ctx.headers.get("accept", "")
    if path in tree:
        data = tree[path]
        if any(t in accept for t in RAW_TYPES):
            return Reply(content=data, media_type="application/vnd.github.raw")
        if len(data) > 1024 * 1024:  # GitHub leaves the content out of the JSON above 1 MB
            return Reply(json=_file_entry(ctx, repo, path, data) | {"encoding": "none", "content": ""})
        return Reply(json=_file_entry(ctx, repo, path, data) | {"encoding": "base64", "content": _wrapped_base64(data)})
    prefix = f"{path}/" if path else ""
    children = sorted({p[len(prefix) :].split("/", 1)[0] for p in tree if p.startswith(prefix)})
    if not children:
        raise SimError(404, "Not Found")
    entries = []
    for name in children:
        child = prefix + name
        if child in tree:
            entries.append(_file_entry(ctx, repo, child, tree[child]))
        else:
            entries.append({"type": "dir", "name": name, "path": child, "sha": blob_sha(child.encode()), "size": 0})
    return Reply(json=entries)


def _wrapped_base64(data: bytes) -> str:
    """GitHub wraps the base64 content at 60 characters a line."""
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def _file_entry(ctx: Ctx, repo: Repo, path: str, data: bytes) -> dict[str, Any]:
    return {
        "type": "file",
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": blob_sha(data),
        "size": len(data),
        "url": f"{ctx.base}repos/{repo.full_name}/contents/{path}",
        "html_url": f"{render.WEB}/{repo.full_name}/blob/{repo.default_branch}/{path}",
        "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{repo.default_branch}/{path}",
    }


def get_tarball(ctx: Ctx) -> Reply:
    """302 to a codeload-like URL on the simulator; the link works for 5 minutes, like private-repo links."""
    repo = ctx.repo()
    sha = repo.resolve(ctx.params.get("ref") or None)
    if sha is None:
        raise SimError(404, "Not Found")
    token = secrets.token_urlsafe(24)
    with ctx.state.lock:
        ctx.state.downloads[token] = (repo.full_name, sha, ctx.state.clock.now() + timedelta(minutes=5))
    location = f"{ctx.root}_codeload/{repo.full_name}/legacy.tar.gz/{sha}?token={token}"
    return Reply(302, content=b"", media_type="text/html", headers={"location": location})


def codeload(ctx: Ctx) -> Reply:
    found = ctx.state.downloads.get(ctx.query.get("token", ""))
    if found is None or found[2] < ctx.state.clock.now() or found[1] != ctx.params["sha"]:
        raise SimError(404, "Not Found")
    repo = ctx.state.repo(found[0])
    top = f"{repo.owner}-{repo.name}-{found[1][:7]}"
    commit = repo.commits[found[1]]
    data = tarball(commit.tree, top, commit.modes)
    return Reply(
        content=data,
        media_type="application/x-gzip",
        headers={"content-disposition": f"attachment; filename={top}.tar.gz"},
    )


def get_blob(ctx: Ctx) -> Reply:
    """Git Data API: a blob of any commit of the repository by its sha, base64 wrapped like the contents API."""
    repo = ctx.repo()
    wanted = ctx.params["sha"].lower()
    for commit in repo.commits.values():
        for data in commit.tree.values():
            if blob_sha(data) == wanted:
                return Reply(
                    json={
                        "sha": wanted,
                        "node_id": f"B_{wanted[:12]}",
                        "size": len(data),
                        "url": f"{ctx.base}repos/{repo.full_name}/git/blobs/{wanted}",
                        "content": _wrapped_base64(data),
                        "encoding": "base64",
                    }
                )
    raise SimError(404, "Not Found")


def commit_pulls(ctx: Ctx) -> Reply:
    """Open pull requests whose commits include the sha (and merged ones whose head it was)."""
    repo = ctx.repo()
    sha = repo.resolve(ctx.params["sha"])
    if sha is None:
        raise SimError(422, f"No commit found for SHA: {ctx.params['sha']}")
    pulls = [
        p for p in repo.issues.values() if isinstance(p, Pull) and sha in p.commits and (p.state == "open" or p.merged)
    ]
    return paginate(ctx, [render.pull(ctx.state, repo, p) for p in pulls])


def compare(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    base_ref, sep, head_ref = ctx.params["basehead"].partition("...")
    base, head = repo.resolve(base_ref), repo.resolve(head_ref) if sep else None
    if base is None or head is None:
        raise SimError(404, "Not Found")
    ahead = _ancestry(repo, head)
    behind = _ancestry(repo, base)
    merge_base = next((sha for sha in ahead if sha in behind), base)
    new = [sha for sha in ahead if sha not in behind][::-1]
    gone = [sha for sha in behind if sha not in ahead]
    status = "identical" if base == head else "ahead" if not gone else "behind" if not new else "diverged"
    return Reply(
        json={
            "url": f"{ctx.base}repos/{repo.full_name}/compare/{ctx.params['basehead']}",
            "status": status,
            "ahead_by": len(new),
            "behind_by": len(gone),
            "total_commits": len(new),
            "base_commit": render.commit(ctx.state, repo, repo.commits[base]),
            "merge_base_commit": render.commit(ctx.state, repo, repo.commits[merge_base]),
            "commits": [render.commit(ctx.state, repo, repo.commits[sha]) for sha in new[:250]],
            "files": diff_files(repo.commits[merge_base].tree, repo.commits[head].tree)[:300],
        }
    )


def _ancestry(repo: Repo, sha: str) -> list[str]:
    """First-parent history, newest first."""
    return SimState.ancestry(repo, sha)
