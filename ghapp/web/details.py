"""The details page of one pull request head, the target of every check run's "Details" link: each gate's
conclusion and why, the AI verdict with its signals, findings by file, each sensitive category's approval
state, overrides with their reasons and the policy layers that applied.

The page reads one stored document (written with the decision) and never calls GitHub. Only users who can
see the repository get it; anyone else gets the same 404 as for a pull request the App never judged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghapp.store.database import Database
from ghapp.store.details import details_of
from ghapp.web.auth import Auth, UserSession
from ghapp.web.render import message, page

GATE_ORDER = ("provenance", "approvals", "lint", "types", "semgrep", "dependency-audit", "policy")


@dataclass(frozen=True)
class FileFindings:
    path: str
    findings: list[dict[str, Any]]  # each with its gate


def by_file(gates: dict[str, Any]) -> list[FileFindings]:
    """Every gate's findings grouped by file, files in order, lines in order within each."""
    files: dict[str, list[dict[str, Any]]] = {}
    for gate, result in gates.items():
        for finding in result.get("findings", []):
            files.setdefault(str(finding.get("path", "")), []).append({**finding, "gate": gate})
    return [
        FileFindings(path, sorted(items, key=lambda f: (int(f.get("line") or 0), f["gate"])))
        for path, items in sorted(files.items())
    ]


def ordered_gates(gates: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    rank = {name: i for i, name in enumerate(GATE_ORDER)}
    return sorted(gates.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


class DetailsPages:
    def __init__(
        self,
        db: Database,
        auth: Auth,
        visible: Callable[[UserSession], Awaitable[tuple[str, ...]]],
        extra: Callable[[Request, UserSession, str, int, str], dict[str, Any]] | None = None,
    ) -> None:
        """`visible(user)`: the repositories the user may see; `extra`: more for the template (the what-if)."""
        self.db = db
        self.auth = auth
        self._visible = visible
        self._extra = extra

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/pulls/{owner}/{repo}/{number:int}", self.view, methods=["GET"]),
            Route("/pulls/{owner}/{repo}/{number:int}/{head_sha}", self.view, methods=["GET"]),
        ]

    def _not_found(self, request: Request) -> Response:
        return message(request, "Not found", "The App has judged no such pull request, or you cannot see it.", 404)

    async def view(self, request: Request) -> Response:
        user = self.auth.current(request)
        if user is None:
            return RedirectResponse(f"/auth/login?next={request.url.path}", status_code=303)
        params = request.path_params
        repository, number = f"{params['owner']}/{params['repo']}", int(params["number"])
        if repository not in await self._visible(user):
            return self._not_found(request)
        found = await asyncio.to_thread(details_of, self.db, repository, number, params.get("head_sha"))
        if found is None:
            return self._not_found(request)
        head_sha, updated_at, doc = found
        extra = self._extra(request, user, repository, number, head_sha) if self._extra else {}
        return page(
            request,
            "details.html",
            title=f"{repository}#{number}",
            user=user,
            csrf_token=user.csrf,
            repository=repository,
            number=number,
            head_sha=head_sha,
            updated_at=updated_at,
            doc=doc,
            gates=ordered_gates(doc.get("gates", {})),
            files=by_file(doc.get("gates", {})),
            verdict=doc.get("verdict") or {},
            approvals=doc.get("approvals") or [],
            overrides=doc.get("overrides") or [],
            layers=doc.get("policy_layers") or [],
            **extra,
        )
