"""`POST /graphql`: GitHub's GraphQL API over the simulator's state (the same repositories, pull requests,
reviews and issue events the REST routes serve), executed by graphql-core against `graphql_schema.SDL`.

As GitHub does (docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api): every
connection needs `first` or `last` within 1-100, a query may ask for at most 500,000 nodes, and it costs the
connections' requests / 100 points (at least 1), taken from the installation's own GraphQL budget; errors come
beside the data, each with its `type` (`NOT_FOUND` for a repository or pull request the installation cannot
see), and a spent budget is a 200 whose error is `RATE_LIMITED`. A `Bot` login has no `[bot]` suffix and a
commit's `GitActor.user` is a `User` or null, as on GitHub. Blob text is cut at `SimState.blob_text_limit`.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graphql import (
    GraphQLError,
    execute,
    parse,
    validate,
)

from tests.ghsim import render
from tests.ghsim.context import Ctx, Reply, SimError
from tests.ghsim.gitdata import CommitData, blob_sha
from tests.ghsim.graphql_limits import Failure, measure
from tests.ghsim.graphql_schema import schema
from tests.ghsim.state import Issue, Pull, Repo, Review

JSON = dict[str, Any]


def graphql(ctx: Ctx) -> Reply:
    body = ctx.json_body()
    query, variables = body.get("query"), body.get("variables") or {}
    if not isinstance(query, str) or not isinstance(variables, dict):
        raise SimError(400, "Problems parsing JSON")
    try:
        document = parse(query)
    except GraphQLError as exc:
        return Reply(json={"errors": [_error(exc)]})
    invalid = validate(schema(), document)
    if invalid:
        return Reply(json={"errors": [_error(e) for e in invalid]})
    try:
        nodes, requests = measure(document, variables, body.get("operationName"))
    except Failure as exc:
        return Reply(json={"errors": [{"type": exc.kind, "message": str(exc)}]})
    cost = max(1, round(requests / 100))
    bucket = ctx.bucket  # the installation's GraphQL points
    if bucket is None or bucket.remaining < cost:
        return Reply(json={"errors": [{"type": "RATE_LIMITED", "message": _spent_message(ctx)}]}, cost=0)
    spent = (bucket.limit, bucket.remaining - cost, bucket.reset)
    root = {
        "rateLimit": lambda _info, dryRun=False: _rate_limit(ctx, cost, nodes, spent),
        "repository": lambda _info, owner, name, followRenames=True: _repository(ctx, owner, name),
        "organization": lambda _info, login: _organization(ctx, login),
    }
    result = execute(schema(), document, root, variable_values=variables, operation_name=body.get("operationName"))
    answer: JSON = {"data": result.data}
    if result.errors:
        answer["errors"] = [_error(e) for e in result.errors]
    return Reply(json=answer, cost=cost)


def _spent_message(ctx: Ctx) -> str:
    who = ctx.installation.id if ctx.installation is not None else 0
    return f"API rate limit exceeded for installation ID {who}."


def _error(exc: GraphQLError) -> JSON:
    data: JSON = {"message": exc.message}
    if isinstance(exc.original_error, Failure):
        data["type"] = exc.original_error.kind
    if exc.path is not None:
        data["path"] = list(exc.path)
    if exc.locations:
        data["locations"] = [{"line": loc.line, "column": loc.column} for loc in exc.locations]
    return data


def _rate_limit(ctx: Ctx, cost: int, nodes: int, spent: tuple[int, int, int]) -> JSON:
    limit, remaining, reset = spent
    return {
        "cost": cost,
        "limit": limit,
        "nodeCount": nodes,
        "remaining": remaining,
        "used": limit - remaining,
        "resetAt": render.ts(datetime.fromtimestamp(reset, UTC)),
    }


# ---- objects ------------------------------------------------------------------------------------------------


def _organization(ctx: Ctx, login: str) -> JSON:
    """An org the installation belongs to (another's is NOT_FOUND, as REST's team routes answer 404)."""
    inst = ctx.installation
    if inst is None or inst.account.lower() != login.lower() or inst.account_type != "Organization":
        raise Failure("NOT_FOUND", f"Could not resolve to an Organization with the login of '{login}'.")
    return {
        "login": inst.account,
        "url": f"{render.WEB}/{inst.account}",
        "team": lambda _info, slug: _team(ctx, inst.account, slug),
    }


def _team(ctx: Ctx, org: str, slug: str) -> JSON | None:
    found = ctx.state.teams.get((org.lower(), slug.lower()))
    if found is None:
        return None

    def members(
        _info: Any, membership: str = "ALL", query: str | None = None, role: str | None = None, **page: Any
    ) -> JSON:
        listed: dict[str, str] = {}  # login -> role, active members only (an invitation is not a member yet)
        for team in ctx.state.teams.values():
            immediate = team is found
            child = team is not found and ctx.state.descends(team, found)
            if (membership == "IMMEDIATE" and not immediate) or (membership == "CHILD_TEAM" and not child):
                continue
            if immediate or child:
                listed |= {m: r for m, (r, state) in team.members.items() if state == "active"}
        wanted = (query or "").lower()
        users = [
            actor(m)
            for m, r in sorted(listed.items())
            if (wanted in m.lower() or wanted in m.title().lower()) and (role is None or r.upper() == role)
        ]
        return _connection(users, page)

    return {"slug": found.slug, "members": members}


def _repository(ctx: Ctx, owner: str, name: str) -> JSON:
    found = ctx.state.repos.get(f"{owner}/{name}".lower())
    if found is None or (ctx.installation is not None and not ctx.installation.covers(found.full_name)):
        raise Failure("NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'.")
    repo = found
    return {
        "name": repo.name,
        "nameWithOwner": repo.full_name,
        "object": lambda _info, expression=None, oid=None: _object(ctx, repo, expression, oid),
        "pullRequest": lambda _info, number: _pull(ctx, repo, number),
    }


def _object(ctx: Ctx, repo: Repo, expression: str | None, oid: str | None) -> JSON | None:
    """`<rev>:<path>` a blob or tree, `<rev>` a commit (`HEAD` is the default branch); null when absent."""
    if expression is None:
        commit = repo.commits.get(oid or "")
        return _commit(ctx, repo, commit) if commit is not None else None
    rev, sep, path = expression.partition(":")
    sha = repo.resolve(None if rev in ("", "HEAD") else rev)
    if sha is None:
        return None
    if not sep:
        return _commit(ctx, repo, repo.commits[sha])
    tree = repo.commits[sha].tree
    path = path.strip("/")
    if path in tree:
        return _blob(ctx, tree[path])
    if any(p.startswith(path + "/") for p in tree):
        oid_ = blob_sha(f"tree {path}".encode())
        return {"__typename": "Tree", "oid": oid_, "abbreviatedOid": oid_[:7]}
    return None


def _blob(ctx: Ctx, data: bytes) -> JSON:
    oid = blob_sha(data)
    binary = b"\0" in data[:8000]  # git's rule, as for the REST patches
    limit = ctx.state.blob_text_limit
    text = None if binary else data[:limit].decode("utf-8", "replace")
    return {
        "__typename": "Blob",
        "oid": oid,
        "abbreviatedOid": oid[:7],
        "byteSize": len(data),
        "isBinary": binary,
        "isTruncated": not binary and len(data) > limit,
        "text": text,
    }


CUT = (
    "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug."
)


def _cut(ctx: Ctx, field: str) -> None:
    """GitHub ends a query that uses too many resources with partial results and an error: a field named in
    `state.graphql_cuts` fails that way (a non-null connection nulls its pull request)."""
    if field in ctx.state.graphql_cuts:
        raise Failure("", CUT)


def _pull(ctx: Ctx, repo: Repo, number: int) -> JSON:
    pull = repo.pull(number)
    if pull is None:
        raise Failure("NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}.")

    def commits(_info: Any, **page: Any) -> JSON:
        _cut(ctx, "commits")
        return _connection([{"commit": _commit(ctx, repo, repo.commits[sha])} for sha in pull.commits], page)

    def reviews(_info: Any, states: list[str] | None = None, author: str | None = None, **page: Any) -> JSON:
        _cut(ctx, "reviews")
        kept = [
            rv
            for rv in pull.reviews
            if (states is None or rv.state in states) and (author is None or rv.user.lower() == author.lower())
        ]
        return _connection([_review(ctx, repo, rv) for rv in kept], page)

    def timeline(
        _info: Any, itemTypes: list[str] | None = None, since: Any = None, skip: Any = None, **page: Any
    ) -> JSON:
        _cut(ctx, "timelineItems")
        return _timeline(ctx, repo, pull, itemTypes, page)

    return {
        "number": pull.number,
        "baseRefName": pull.base_ref,
        "baseRefOid": pull.base_sha,
        "headRefName": pull.head_ref,
        "headRefOid": pull.head_sha,
        "commits": commits,
        "reviews": reviews,
        "timelineItems": timeline,
    }


def _connection(items: Sequence[Any], page: JSON, extra: JSON | None = None) -> JSON:
    """Cursor pagination over `items` (`first`/`after` or `last`/`before`); cursors are opaque to clients."""
    start, end = 0, len(items)
    if page.get("after"):
        start = _index(page["after"]) + 1
    if page.get("before"):
        end = min(end, _index(page["before"]))
    if page.get("first") is not None:
        end = min(end, start + page["first"])
    elif page.get("last") is not None:
        start = max(start, end - page["last"])
    nodes = list(items[start:end])
    return {
        "nodes": nodes,
        "totalCount": len(items),
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": _cursor(start) if nodes else None,
            "endCursor": _cursor(end - 1) if nodes else None,
        },
        **(extra or {}),
    }


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _index(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError):
        raise Failure("INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor.") from None


def actor(login: str | None) -> JSON | None:
    """An account as GraphQL's `Actor`: a `Bot` (its login without REST's `[bot]`) or a `User`."""
    if login is None:
        return None
    rest = render.user(login)
    if rest["type"] == "Bot":
        return {
            "__typename": "Bot",
            "login": login.removesuffix("[bot]"),
            "databaseId": rest["id"],
            "url": rest["html_url"],
        }
    return {"__typename": "User", "login": login, "databaseId": rest["id"], "url": rest["html_url"]}


def _git_actor(data: CommitData) -> JSON:
    user = actor(data.author_login)
    return {
        "name": data.author_name,
        "email": data.author_email,
        "date": render.ts(data.date),
        "user": user if user is not None and user["__typename"] == "User" else None,  # `GitActor.user` is a User
    }


def _commit(ctx: Ctx, repo: Repo, data: CommitData) -> JSON:
    return {
        "__typename": "Commit",
        "oid": data.sha,
        "abbreviatedOid": data.sha[:7],
        "message": data.message,
        "author": _git_actor(data),
        "committer": _git_actor(data),
        "authoredDate": render.ts(data.date),
        "committedDate": render.ts(data.date),
        "parents": lambda _info, **page: _connection(
            [_commit(ctx, repo, repo.commits[p]) for p in data.parents if p in repo.commits], page
        ),
    }


def _review(ctx: Ctx, repo: Repo, rv: Review) -> JSON:
    commit = repo.commits.get(rv.commit_id or "")
    return {
        "databaseId": rv.id,
        "author": actor(rv.user),
        "authorAssociation": "MEMBER",
        "body": rv.body,
        "state": rv.state,
        "commit": _commit(ctx, repo, commit) if commit is not None else None,
        "submittedAt": render.ts(rv.submitted_at) if rv.state != "PENDING" else None,
    }


_EVENT_TYPES = {"labeled": "LabeledEvent", "unlabeled": "UnlabeledEvent", "assigned": "AssignedEvent"}
_ITEM_TYPES = {"LabeledEvent": "LABELED_EVENT", "UnlabeledEvent": "UNLABELED_EVENT", "AssignedEvent": "ASSIGNED_EVENT"}


def _timeline(ctx: Ctx, repo: Repo, issue: Issue | Pull, item_types: list[str] | None, page: JSON) -> JSON:
    items: list[JSON] = []
    for event in issue.events:
        kind = _EVENT_TYPES.get(event.event)
        if kind is None:
            continue
        item: JSON = {"__typename": kind, "actor": actor(event.actor), "createdAt": render.ts(event.created_at)}
        if event.label is not None:
            item["label"] = {"name": event.label}
        if event.assignee is not None:
            item["assignee"] = actor(event.assignee)
        items.append(item)
    kept = [i for i in items if item_types is None or _ITEM_TYPES[i["__typename"]] in item_types]
    return _connection(kept, page, {"filteredCount": len(kept)})
