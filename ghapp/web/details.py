"""The details page of one pull request head, the target of every check run's "Details" link: each gate's
conclusion and why, the AI verdict with its signals, findings by file, each sensitive category's approval
state, overrides with their reasons and the policy layers that applied.

The page reads one stored document (written with the decision) and never calls GitHub. Only users who can
see the repository get it; anyone else gets the same 404 as for a pull request the App never judged. A
repository admin also gets the what-if form (`web.whatif`), decided from the same cached answer of GitHub that
says who may see the repository: still no GitHub call of its own on a view.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghapp.store.database import Database
from ghapp.store.details import details_of
from ghapp.web.auth import Auth, UserSession
from ghapp.web.render import message, page
from ghapp.web.whatif import WhatIf

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


class Installations(Protocol):
    """The repositories a user may see, each with its installation (`fresh`: asked of GitHub again)."""

    async def __call__(self, user: UserSession, *, fresh: bool = False) -> Mapping[str, int]: ...


class DetailsPages:
    def __init__(self, db: Database, auth: Auth, installations: Installations, whatif: WhatIf | None = None) -> None:
        """`whatif`: the form and its runs for repository admins (none: no form)."""
        self.db = db
        self.auth = auth
        self._installations = installations
        self._whatif = whatif

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/pulls/{owner}/{repo}/{number:int}", self.view, methods=["GET"]),
            Route("/pulls/{owner}/{repo}/{number:int}/{head_sha}", self.view, methods=["GET"]),
        ]
        if self._whatif is not None:
            routes.append(
                Route("/pulls/{owner}/{repo}/{number:int}/{head_sha}/what-if", self.what_if, methods=["POST"])
            )
        return routes

    def _not_found(self, request: Request) -> Response:
        return message(request, "Not found", "The App has judged no such pull request, or you cannot see it.", 404)

    async def view(self, request: Request) -> Response:
        user = self.auth.current(request)
        if user is None:
            return RedirectResponse(f"/auth/login?next={request.url.path}", status_code=303)
        params = request.path_params
        repository, number = f"{params['owner']}/{params['repo']}", int(params["number"])
        installation_id = (await self._installations(user)).get(repository)
        if installation_id is None:
            return self._not_found(request)
        found = await asyncio.to_thread(details_of, self.db, repository, number, params.get("head_sha"))
        if found is None:
            return self._not_found(request)
        extra = await self._whatif.context(user, installation_id, repository) if self._whatif else {}
        return self._page(request, user, repository=repository, number=number, found=found, extra=extra)

    async def what_if(self, request: Request) -> Response:
        """POST: the what-if (web.whatif) on this page, for an admin; the page's own 404 for anyone else who
        cannot see it."""
        user = self.auth.current(request)
        if user is None:
            return message(request, "Sign in first", "Your session ended. Sign in again.", 401)
        params = request.path_params
        repository, number = f"{params['owner']}/{params['repo']}", int(params["number"])
        installation_id = (await self._installations(user)).get(repository)  # the run asks GitHub afresh
        if installation_id is None or self._whatif is None:
            return self._not_found(request)
        found = await asyncio.to_thread(details_of, self.db, repository, number, params["head_sha"])
        if found is None:
            return self._not_found(request)
        outcome = await self._whatif.run(request, user, repository, number, installation_id)
        if isinstance(outcome, Response):
            return outcome
        return self._page(
            request,
            user,
            repository=repository,
            number=number,
            found=found,
            extra=outcome.context,
            status_code=outcome.status,
        )

    def _page(
        self,
        request: Request,
        user: UserSession,
        *,
        repository: str,
        number: int,
        found: tuple[str, datetime, dict[str, Any]],
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> Response:
        head_sha, updated_at, doc = found
        context = {"whatif_admin": False, "whatif": None, **extra}
        return page(
            request,
            "details.html",
            status_code,
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
            **context,
        )
