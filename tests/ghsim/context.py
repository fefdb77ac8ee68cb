"""Request context, replies, errors and pagination shared by the simulator's route modules."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.ghsim.state import Installation, RateBucket, Repo, SimState

DOCS = "https://docs.github.com/rest"


class SimError(Exception):
    """An error answer in GitHub's shape: {"message", "documentation_url", "status"} (+ "errors" on 422)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[Any] | None = None,  # objects, or strings as the review endpoints send them
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "documentation_url": DOCS, "status": str(self.status)}
        if self.errors is not None:
            data["errors"] = self.errors
        return data


def invalid(field_name: str, message: str, resource: str = "CheckRun") -> SimError:
    return SimError(
        422,
        "Validation Failed",
        errors=[{"resource": resource, "field": field_name, "code": "invalid", "message": message}],
    )


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    content: bytes | None = None
    media_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    cost: int = 1  # taken from the rate-limit bucket (GraphQL: the query's points)


@dataclass
class Ctx:
    state: SimState
    method: str
    path: str  # without the prefix
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    headers: dict[str, str]  # lower-case names
    base: str  # API root as the client reached it, with the prefix and a trailing slash
    root: str  # scheme://host:port/
    installation: Installation | None = None
    bucket: RateBucket | None = None  # the caller's rate-limit bucket (REST's, or GraphQL's points)

    def repo(self) -> Repo:
        """The repository named by the route; 404 when it does not exist or the installation cannot see it."""
        full_name = f"{self.params['owner']}/{self.params['repo']}"
        found = self.state.repos.get(full_name.lower())
        if found is None or (self.installation is not None and not self.installation.covers(found.full_name)):
            raise SimError(404, "Not Found")
        return found

    def number(self, name: str = "number") -> int:
        return int(self.params[name])

    def json_body(self) -> dict[str, Any]:
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise SimError(400, "Problems parsing JSON")
        return self.body

    def page_url(self, **changes: Any) -> str:
        query = {**self.query, **{k: str(v) for k, v in changes.items()}}
        return f"{self.base}{self.path.lstrip('/')}?{urlencode(query)}"


Handler = Callable[[Ctx], Reply | Awaitable[Reply]]


def paginate(ctx: Ctx, items: list[Any], *, cap: int | None = None) -> Reply:
    """GitHub's page pagination: `per_page` default 30, max 100; absolute `Link` URLs (next, last, prev, first)."""
    try:
        per_page = min(100, max(1, int(ctx.query.get("per_page", "30"))))
        page = max(1, int(ctx.query.get("page", "1")))
    except ValueError:
        per_page, page = 30, 1
    if cap is not None:
        items = items[:cap]
    last = max(1, math.ceil(len(items) / per_page))
    links = []
    if page < last:
        links += [
            f'<{ctx.page_url(per_page=per_page, page=page + 1)}>; rel="next"',
            f'<{ctx.page_url(per_page=per_page, page=last)}>; rel="last"',
        ]
    if page > 1:
        links += [
            f'<{ctx.page_url(per_page=per_page, page=page - 1)}>; rel="prev"',
            f'<{ctx.page_url(per_page=per_page, page=1)}>; rel="first"',
        ]
    headers = {"link": ", ".join(links)} if links else {}
    return Reply(json=items[(page - 1) * per_page : page * per_page], headers=headers)
