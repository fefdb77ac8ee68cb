"""Simulated check runs (with GitHub's limits), labels, issues and comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.ghsim import render
from tests.ghsim.context import Ctx, Reply, SimError, invalid, paginate
from tests.ghsim.state import CheckRun, Comment, Issue, IssueEvent, Repo

STATUSES = ("queued", "in_progress", "completed")
CONCLUSIONS = ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out")
LEVELS = ("notice", "warning", "failure")
TEXT_MAX = 65535


def _parse_time(raw: Any, field_name: str) -> datetime:
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise invalid(field_name, f"{raw!r} is not an ISO 8601 timestamp") from None


def _validate(body: dict[str, Any], creating: bool) -> None:
    """The limits GitHub enforces with 422 (githubkit checks most of them too, before sending)."""
    if creating and not body.get("name"):
        raise invalid("name", "name is required")
    if creating and not body.get("head_sha"):
        raise invalid("head_sha", "head_sha is required")
    if body.get("status") is not None and body["status"] not in STATUSES:
        raise invalid("status", f"status must be one of {', '.join(STATUSES)}")
    if body.get("conclusion") is not None and body["conclusion"] not in CONCLUSIONS:
        raise invalid("conclusion", f"conclusion must be one of {', '.join(CONCLUSIONS)}")
    if body.get("status") == "completed" and not body.get("conclusion"):
        raise invalid("conclusion", "conclusion is required when status is completed")
    output = body.get("output")
    if output is not None:
        if not isinstance(output, dict) or not output.get("title") or output.get("summary") is None:
            raise invalid("output", "output needs a title and a summary")
        for key in ("summary", "text"):
            if len(str(output.get(key) or "")) > TEXT_MAX:
                raise invalid(f"output.{key}", f"{key} is too long (maximum is {TEXT_MAX} characters)")
        annotations = output.get("annotations") or []
        if len(annotations) > 50:
            raise invalid("output.annotations", "Only 50 annotations are allowed per request")
        for note in annotations:
            _validate_annotation(note)
    actions = body.get("actions") or []
    if len(actions) > 3:
        raise invalid("actions", "Only 3 actions are allowed")
    for action in actions:
        for key, limit in (("label", 20), ("description", 40), ("identifier", 20)):
            if not action.get(key) or len(str(action[key])) > limit:
                raise invalid(f"actions.{key}", f"{key} is required and at most {limit} characters")


def _validate_annotation(note: dict[str, Any]) -> None:
    for key in ("path", "start_line", "end_line", "annotation_level", "message"):
        if note.get(key) in (None, ""):
            raise invalid(f"output.annotations.{key}", f"{key} is required")
    if note["annotation_level"] not in LEVELS:
        raise invalid("output.annotations.annotation_level", f"annotation_level must be one of {', '.join(LEVELS)}")
    columns = note.get("start_column") is not None or note.get("end_column") is not None
    if columns and note["start_line"] != note["end_line"]:
        raise invalid("output.annotations.start_column", "columns are only allowed when start_line == end_line")
    if len(str(note.get("title") or "")) > 255:
        raise invalid("output.annotations.title", "title is too long (maximum is 255 characters)")


def _apply(ctx: Ctx, run: CheckRun, body: dict[str, Any]) -> None:
    for key in ("name", "external_id", "details_url"):
        if key in body:
            setattr(run, key, body[key])
    if body.get("status"):
        run.status = body["status"]
    if body.get("started_at"):
        run.started_at = _parse_time(body["started_at"], "started_at")
    if body.get("conclusion"):  # a conclusion completes the run
        run.conclusion, run.status = body["conclusion"], "completed"
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = (
            _parse_time(body["completed_at"], "completed_at") if body.get("completed_at") else ctx.state.clock.now()
        )
    output = body.get("output")
    if output:
        run.output.update({k: output.get(k) for k in ("title", "summary", "text") if k in output})
        run.annotations += list(output.get("annotations") or [])  # appended across updates
    if "actions" in body:
        run.actions = list(body["actions"] or [])


def create_check_run(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    body = ctx.json_body()
    _validate(body, creating=True)
    if body["head_sha"] not in repo.commits:
        raise SimError(422, f"No commit found for SHA: {body['head_sha']}")
    run = CheckRun(
        ctx.state.next_id(),
        repo.full_name,
        body["name"],
        body["head_sha"],
        "queued",
        None,
        ctx.state.clock.now(),
        app_id=ctx.state.app_id,
        app_slug=ctx.state.app_slug,
    )
    with ctx.state.lock:
        _apply(ctx, run, body)
        ctx.state.check_runs[run.id] = run
    return Reply(201, json=render.check_run(ctx.state, run))


def _run(ctx: Ctx, repo: Repo) -> CheckRun:
    run = ctx.state.check_runs.get(int(ctx.params["check_run_id"]))
    if run is None or run.repo != repo.full_name:
        raise SimError(404, "Not Found")
    return run


def update_check_run(ctx: Ctx) -> Reply:
    run = _run(ctx, ctx.repo())
    if run.app_id not in (0, ctx.state.app_id):  # only the App that created a run may change it
        raise SimError(403, "Resource not accessible by integration")
    body = ctx.json_body()
    _validate(body, creating=False)
    with ctx.state.lock:
        _apply(ctx, run, body)
    return Reply(json=render.check_run(ctx.state, run))


def get_check_run(ctx: Ctx) -> Reply:
    return Reply(json=render.check_run(ctx.state, _run(ctx, ctx.repo())))


def list_annotations(ctx: Ctx) -> Reply:
    return paginate(ctx, _run(ctx, ctx.repo()).annotations)


def check_runs_for_ref(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    sha = repo.resolve(ctx.params["ref"])
    if sha is None:
        raise SimError(422, f"No commit found for SHA: {ctx.params['ref']}")
    app_id = ctx.query.get("app_id")
    runs = [
        r
        for r in ctx.state.check_runs_for(repo.full_name, sha)
        if ctx.query.get("check_name") in (None, r.name)
        and ctx.query.get("status") in (None, r.status)
        and app_id in (None, str(r.app_id or ctx.state.app_id))
    ]
    if ctx.query.get("filter", "latest") == "latest":  # the newest run of each name in each App's suite
        latest: dict[tuple[int, str], CheckRun] = {}
        for run in runs:
            latest[(run.app_id or ctx.state.app_id, run.name)] = run
        runs = list(latest.values())
    runs.sort(key=lambda r: r.id, reverse=True)
    page = paginate(ctx, [render.check_run(ctx.state, r) for r in runs])
    page.json = {"total_count": len(runs), "check_runs": page.json}
    return page


def _issue(ctx: Ctx, repo: Repo) -> Issue:
    issue = repo.issues.get(ctx.number())
    if issue is None:
        raise SimError(404, "Not Found")
    return issue


def _labels(repo: Repo, issue: Issue) -> list[dict[str, Any]]:
    return [render.repo_label(repo, name) for name in issue.labels]


def list_issue_events(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = _issue(ctx, repo)
    return paginate(ctx, [render.issue_event(ctx.state, repo, issue, e) for e in issue.events])


def list_labels(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return paginate(ctx, _labels(repo, _issue(ctx, repo)))


def add_labels(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = _issue(ctx, repo)
    body = ctx.json_body()
    names = body.get("labels", [])
    if not isinstance(names, list) or not names:
        raise invalid("labels", "labels must be a non-empty array", "Label")
    with ctx.state.lock:
        for name in map(str, names):
            repo.labels.setdefault(name, "ededed")  # GitHub creates unknown labels, no description (docs#35718)
            if name not in issue.labels:
                issue.labels.append(name)
                _event(ctx, issue, "labeled", name)
    return Reply(json=_labels(repo, issue))


def _event(ctx: Ctx, issue: Issue, event: str, name: str) -> None:
    """Record who changed a label: with an installation token, the App's bot account acting through the App."""
    app = ctx.state.app_slug if ctx.installation is not None else None
    actor = f"{app}[bot]" if app else "octocat"
    issue.events.append(IssueEvent(ctx.state.next_id(), event, actor, ctx.state.clock.now(), label=name, app_slug=app))


def remove_label(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = _issue(ctx, repo)
    name = ctx.params["name"]
    if name not in issue.labels:
        raise SimError(404, "Label does not exist")
    with ctx.state.lock:
        issue.labels.remove(name)
        _event(ctx, issue, "unlabeled", name)
    return Reply(json=_labels(repo, issue))


def create_repo_label(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    body = ctx.json_body()
    name = str(body.get("name") or "")
    if not name:
        raise invalid("name", "name is required", "Label")
    if name in repo.labels:
        raise SimError(
            422, "Validation Failed", errors=[{"resource": "Label", "code": "already_exists", "field": "name"}]
        )
    with ctx.state.lock:
        repo.labels[name] = str(body.get("color") or "ededed").lstrip("#")
        if body.get("description"):
            repo.label_descriptions[name] = str(body["description"])
    return Reply(201, json=render.repo_label(repo, name))


def update_repo_label(ctx: Ctx) -> Reply:
    """`PATCH /repos/{owner}/{repo}/labels/{name}`: `new_name`, `color` (hex without `#`), `description`
    (at most 100 characters); 404 for a label the repository does not have."""
    repo = ctx.repo()
    name = ctx.params["name"]
    body = ctx.json_body()
    if name not in repo.labels:
        raise SimError(404, "Not Found")
    description = body.get("description")
    if description is not None and len(str(description)) > 100:
        raise invalid("description", "description is too long (maximum is 100 characters)", "Label")
    with ctx.state.lock:
        if body.get("color"):
            repo.labels[name] = str(body["color"]).lstrip("#")
        if description is not None:
            repo.label_descriptions[name] = str(description)
    return Reply(json=render.repo_label(repo, name))


def create_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    body = ctx.json_body()
    if not body.get("title"):
        raise invalid("title", "title is required", "Issue")
    with ctx.state.lock:
        issue = Issue(
            len(repo.issues) + 1,
            str(body["title"]),
            body.get("body"),
            f"{ctx.state.app_slug}[bot]",
            ctx.state.clock.now(),
            labels=[str(n) for n in body.get("labels") or []],
        )
        issue.assignees = [str(a) for a in body.get("assignees") or []]
        for name in issue.labels:
            repo.labels.setdefault(name, "ededed")
        repo.issues[issue.number] = issue
    return Reply(201, json=render.issue(ctx.state, repo, issue))


def get_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return Reply(json=render.issue(ctx.state, repo, _issue(ctx, repo)))


def _comment(ctx: Ctx, repo: Repo, issue: Issue, c: Comment) -> dict[str, Any]:
    return {
        "id": c.id,
        "node_id": f"IC_{c.id}",
        "body": c.body,
        "user": render.user(c.user),
        "created_at": render.ts(c.created_at),
        "updated_at": render.ts(c.created_at),
        "html_url": f"{render.WEB}/{repo.full_name}/issues/{issue.number}#issuecomment-{c.id}",
        "url": f"{ctx.base}repos/{repo.full_name}/issues/comments/{c.id}",
    }


def list_comments(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = _issue(ctx, repo)
    return paginate(ctx, [_comment(ctx, repo, issue, c) for c in issue.comments])


def create_comment(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = _issue(ctx, repo)
    text = ctx.json_body().get("body")
    if not text:
        raise invalid("body", "body is required", "IssueComment")
    comment = Comment(ctx.state.next_id(), f"{ctx.state.app_slug}[bot]", str(text), ctx.state.clock.now())
    with ctx.state.lock:
        issue.comments.append(comment)
    return Reply(201, json=_comment(ctx, repo, issue, comment))
