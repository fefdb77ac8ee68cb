"""One GraphQL round trip for the facts of a pull request: its commits, reviews and label/assignment events, and
the texts of the files the policy loader and CODEOWNERS need, answered in the REST JSON shapes `shapes.py` and
`labels.py` already read (so both paths give the same facts).

GitHub's GraphQL API reports a missing repository as a `NOT_FOUND` error beside partial data and a spent budget
as a 200 with an `errors` array (its nodes differ from REST's too: `graphql_shapes` evens that out).
Anything short of a complete answer is `GraphQLUnusable`: the caller reads REST instead, so missing data never
reads as "no reviews" or "no commits". Connections give 100 a page; further pages come in follow-up queries
only when `hasNextPage` (commits stop at REST's 250, events at its 3,000).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ghapp.github.api import ISSUE_EVENTS_CAP, PULL_COMMITS_CAP, InstallationAPI
from ghapp.github.contents import revision
from ghapp.github.errors import GitHubError, RateLimited
from ghapp.github.graphql_shapes import commit, event, review

JSON = dict[str, Any]
FileKey = tuple[str, str, str, str | None]  # owner, repo (lower case), path, ref (None: the default branch)
PAGE = 100
ORG_REPO = ".github"
_ACTOR = "__typename login ... on User { databaseId } ... on Bot { databaseId }"
_COMMIT = (
    "oid message "
    "author { name email date user { login databaseId } } "
    "committer { name email date user { login databaseId } }"
)
_REVIEW = f"databaseId state submittedAt authorAssociation author {{ {_ACTOR} }} commit {{ oid }}"
_EVENT = (
    "__typename "
    f"... on LabeledEvent {{ actor {{ {_ACTOR} }} label {{ name }} }} "
    f"... on UnlabeledEvent {{ actor {{ {_ACTOR} }} label {{ name }} }} "
    f"... on AssignedEvent {{ actor {{ {_ACTOR} }} assignee {{ __typename "
    "... on User { login databaseId } ... on Bot { login databaseId } "
    "... on Mannequin { login } ... on Organization { login } } }"
)
_PAGE_INFO = "pageInfo { hasNextPage endCursor }"
EVENT_TYPES = "[LABELED_EVENT, UNLABELED_EVENT, ASSIGNED_EVENT]"
CONNECTIONS: dict[str, str] = {
    "commits": (
        f"commits(first: {PAGE}, after: $after) {{ totalCount {_PAGE_INFO} nodes {{ commit {{ {_COMMIT} }} }} }}"
    ),
    "reviews": f"reviews(first: {PAGE}, after: $after) {{ {_PAGE_INFO} nodes {{ {_REVIEW} }} }}",
    "timelineItems": (
        f"timelineItems(first: {PAGE}, after: $after, itemTypes: {EVENT_TYPES}) {{ {_PAGE_INFO} nodes {{ {_EVENT} }} }}"
    ),
}
CAPS = {"commits": PULL_COMMITS_CAP, "reviews": None, "timelineItems": ISSUE_EVENTS_CAP}
MAPS: dict[str, Callable[[JSON], JSON | None]] = {
    "commits": lambda node: commit(_obj(node.get("commit"), "commit")),
    "reviews": review,
    "timelineItems": event,
}
_BLOB = "__typename ... on Blob { oid byteSize isBinary isTruncated text }"


class GraphQLUnusable(GitHubError):
    """GitHub's GraphQL answer cannot be used as it is: read the same facts through REST."""


@dataclass(frozen=True)
class Blob:
    """A file read through GraphQL: `text` and blob `sha`, or `usable` False when only REST can read it
    exactly (binary, cut at GraphQL's text limit, not valid UTF-8, a directory)."""

    text: str
    sha: str
    usable: bool = True


@dataclass(frozen=True)
class PullSnapshot:
    """What one query read. `files` maps each file asked for to its blob, or None when it does not exist; a
    file not in `files` was not asked for. `after`: the cursor of each connection with more pages, read only
    when that list is needed (`more_pages`)."""

    commits: tuple[JSON, ...]
    reviews: tuple[JSON, ...]
    events: tuple[JSON, ...]
    files: Mapping[FileKey, Blob | None]
    cost: int  # GraphQL points the query cost
    after: Mapping[str, str] = field(default_factory=dict)
    base_ref: str = ""  # the branch the PR is into now, as GitHub answered (a delivery's copy may be older)


def file_key(owner: str, repo: str, path: str, ref: str | None) -> FileKey:
    return owner.lower(), repo.lower(), path.lstrip("/"), ref or None


def build_query(own: Sequence[tuple[str, str | None]], org: Sequence[str]) -> str:
    """The query: `own` are (path, ref) files of the PR's repository, `org` paths in the org's `.github`
    repository (its default branch)."""
    own_fields = " ".join(f"f{i}: object(expression: $e{i}) {{ {_BLOB} }}" for i in range(len(own)))
    org_fields = " ".join(f"g{i}: object(expression: $g{i}) {{ {_BLOB} }}" for i in range(len(org)))
    variables = "".join(f", $e{i}: String!" for i in range(len(own))) + "".join(
        f", $g{i}: String!" for i in range(len(org))
    )
    pull = " ".join(CONNECTIONS.values())
    org_part = f" org: repository(owner: $owner, name: $orgRepo) {{ {org_fields} }}" if org else ""
    org_var = ", $orgRepo: String!" if org else ""
    return (
        f"query PullFacts($owner: String!, $repo: String!, $number: Int!, $after: String{variables}{org_var}) {{ "
        "rateLimit { cost remaining } "
        f"repository(owner: $owner, name: $repo) {{ {own_fields} "
        f"pullRequest(number: $number) {{ baseRefName {pull} }} }}{org_part} }}"
    )


def page_query(connection: str) -> str:
    """A follow-up query for the next page of one of the PR's connections."""
    return (
        "query PullFactsPage($owner: String!, $repo: String!, $number: Int!, $after: String) { "
        "rateLimit { cost remaining } "
        f"repository(owner: $owner, name: $repo) {{ pullRequest(number: $number) {{ {CONNECTIONS[connection]} }} }} }}"
    )


def _expression(ref: str | None, path: str) -> str:
    """`<revision>:<path>` for `object(expression:)`, a rev-parse expression: a branch by its full ref."""
    return f"{revision(ref) or 'HEAD'}:{path.lstrip('/')}"


async def read_pull(
    api: InstallationAPI,
    owner: str,
    repo: str,
    number: int,
    *,
    own: Sequence[tuple[str, str | None]],
    org: Sequence[str] = (),
    follow: Collection[str] = tuple(CAPS),
) -> PullSnapshot:
    """Read the PR's facts and the named files in one query; the connections in `follow` past 100 items in
    follow-up queries at once, the others' cursors kept in `after`.

    Raises `GraphQLUnusable` when the answer is incomplete in any way, and GitHub's reschedulable errors (its
    secondary rate limit, outages) as REST calls do."""
    variables: JSON = {"owner": owner, "repo": repo, "number": number, "after": None}
    variables |= {f"e{i}": _expression(ref, path) for i, (path, ref) in enumerate(own)}
    if org:
        variables |= {f"g{i}": _expression(None, path) for i, path in enumerate(org)} | {"orgRepo": ORG_REPO}
    body = await ask(api, build_query(own, org), variables, org_alias="org" if org else None)
    data = body["data"]
    cost = _cost(data)
    repository = _obj(data.get("repository"), "repository")
    pull = _obj(repository.get("pullRequest"), "pullRequest")
    lists: dict[str, list[JSON]] = {}
    after: dict[str, str] = {}
    for connection in CAPS:
        nodes, cursor = _page(pull, connection)
        lists[connection] = [x for x in (MAPS[connection](n) for n in nodes) if x is not None]
        if cursor is not None and connection in follow:
            lists[connection] += await more_pages(
                api, connection, cursor, owner=owner, repo=repo, number=number, have=len(nodes)
            )
        elif cursor is not None:
            after[connection] = cursor
    files: dict[FileKey, Blob | None] = {}
    for i, (path, ref) in enumerate(own):
        files[file_key(owner, repo, path, ref)] = _blob(repository.get(f"f{i}"))
    if org:
        org_repo = data.get("org")  # None: no such repository, or not one the installation can read
        for i, path in enumerate(org):
            files[file_key(owner, ORG_REPO, path, None)] = (
                _blob(org_repo.get(f"g{i}")) if isinstance(org_repo, dict) else None
            )
    return PullSnapshot(
        commits=tuple(lists["commits"]),
        reviews=tuple(lists["reviews"]),
        events=tuple(lists["timelineItems"]),
        files=files,
        cost=cost,
        after=after,
        base_ref=str(pull.get("baseRefName") or ""),
    )


async def more_pages(
    api: InstallationAPI, connection: str, cursor: str, *, owner: str, repo: str, number: int, have: int
) -> list[JSON]:
    """The items of `connection` after `cursor`, in follow-up queries, up to REST's cap beyond the `have` read."""
    cap = CAPS[connection]
    items: list[JSON] = []
    read = have
    next_cursor: str | None = cursor
    while next_cursor is not None and (cap is None or read < cap):
        more = await ask(
            api, page_query(connection), {"owner": owner, "repo": repo, "number": number, "after": next_cursor}
        )
        page_pull = _obj(_obj(more["data"].get("repository"), "repository").get("pullRequest"), "pullRequest")
        nodes, next_cursor = _page(page_pull, connection)
        if cap is not None:
            nodes = nodes[: cap - read]
        read += len(nodes)
        items += [x for x in (MAPS[connection](n) for n in nodes) if x is not None]
    return items


async def ask(api: InstallationAPI, query: str, variables: JSON, *, org_alias: str | None = None) -> JSON:
    """GraphQL's answer when it has data and no error but, at most, `org_alias` (the org's `.github`
    repository) not found; `GraphQLUnusable` otherwise (`RateLimited` for a secondary limit)."""
    body = await api.graphql(query, variables)
    errors = body.get("errors")
    if errors is not None:
        if not isinstance(errors, list):
            raise GraphQLUnusable("GraphQL answered an `errors` that is not a list")
        for error in errors:
            _judge(error, org_alias)
    data = body.get("data")
    if not isinstance(data, dict):
        raise GraphQLUnusable("GraphQL answered no data")
    return body


def _judge(error: Any, org_alias: str | None) -> None:
    """Raise unless the error only says the org's `.github` repository is absent (REST: a 404, no org policy)."""
    if not isinstance(error, dict):
        raise GraphQLUnusable("GraphQL answered a malformed error")
    kind, message = str(error.get("type") or ""), str(error.get("message") or "")
    path = error.get("path") if isinstance(error.get("path"), list) else []
    if kind == "NOT_FOUND" and org_alias is not None and path == [org_alias]:
        return
    if "secondary rate limit" in message.lower():
        raise RateLimited(f"GraphQL: {message}", retry_after_s=60.0, status=200)
    raise GraphQLUnusable(f"GraphQL error {kind or 'without a type'} at {path}: {message}")


def _obj(value: Any, what: str) -> JSON:
    if not isinstance(value, dict):
        raise GraphQLUnusable(f"GraphQL answered no {what}")
    return value


def _cost(data: JSON) -> int:
    limit = data.get("rateLimit")
    cost = limit.get("cost") if isinstance(limit, dict) else None
    return cost if isinstance(cost, int) else 0


def _page(pull: JSON, connection: str) -> tuple[list[JSON], str | None]:
    found = _obj(pull.get(connection), connection)
    nodes, info = found.get("nodes"), _obj(found.get("pageInfo"), f"{connection} pageInfo")
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        raise GraphQLUnusable(f"GraphQL answered {connection} with missing nodes")
    cursor = info.get("endCursor")
    if info.get("hasNextPage") is True:
        if not isinstance(cursor, str) or not nodes:
            raise GraphQLUnusable(f"GraphQL announced another page of {connection} without a cursor")
        return nodes, cursor
    return nodes, None


def _blob(value: Any) -> Blob | None:
    if value is None:
        return None
    found = _obj(value, "file")
    text, size = found.get("text"), found.get("byteSize")
    exact = (
        found.get("__typename") == "Blob"
        and found.get("isTruncated") is False
        and not found.get("isBinary")
        and isinstance(text, str)
        and isinstance(size, int)
        and len(text.encode("utf-8", "surrogatepass")) == size  # GraphQL text of non-UTF-8 bytes is not the file
    )
    if not exact:
        return Blob("", str(found.get("oid") or ""), usable=False)
    return Blob(str(text), str(found["oid"]))
