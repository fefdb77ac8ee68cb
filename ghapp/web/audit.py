"""The audit trail on the web: a filterable page and its export for signed-in users (only the repositories
they can see), and `GET /api/audit` for a SIEM, with a token an admin made (`ghapp audit token create`).

The SIEM endpoint answers every repository the App records; it pages with `after` (the last id it has), so
each event is read once. A missing, unknown or revoked token gets 401, the same for each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ghapp.audit_export import FILTER_NAMES, FORMATS, FilterError, filters_from, lines
from ghapp.clock import utcnow
from ghapp.store.audit import KINDS, events, export
from ghapp.store.audit_tokens import token_name
from ghapp.store.database import Database
from ghapp.web.auth import Auth, UserSession
from ghapp.web.render import SECURITY_HEADERS, message, page

PAGE_SIZE = 200
_MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


class AuditPages:
    def __init__(self, db: Database, auth: Auth, visible: Callable[[UserSession], Awaitable[tuple[str, ...]]]) -> None:
        """`visible(user)`: the repositories the user may see (the same scope as the dashboard's)."""
        self.db = db
        self.auth = auth
        self._visible = visible

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/audit", self.page, methods=["GET"]),
            Route("/audit/export", self.download, methods=["GET"]),
            Route("/api/audit", self.api, methods=["GET"]),
        ]

    def _values(self, request: Request) -> dict[str, str | None]:
        return {name: request.query_params.get(name) for name in FILTER_NAMES}

    async def page(self, request: Request) -> Response:
        user = self.auth.current(request)
        if user is None:
            return RedirectResponse(f"/auth/login?next={request.url.path}", status_code=303)
        values = self._values(request)
        repositories = await self._visible(user)
        try:
            filters = filters_from(values, utcnow(), repositories)
        except FilterError as exc:
            return message(request, "Filter not understood", str(exc), 400)
        before = request.query_params.get("before", "")
        found = await asyncio.to_thread(
            events, self.db, filters, limit=PAGE_SIZE, before_id=int(before) if before.isdigit() else None
        )
        query = {k: v for k, v in values.items() if v}
        older = urlencode({**query, "before": found[-1].id}) if len(found) == PAGE_SIZE else ""
        return page(
            request,
            "audit.html",
            title="Audit trail",
            user=user,
            csrf_token=user.csrf,
            events=found,
            values={k: v or "" for k, v in values.items()},
            kinds=KINDS,
            repositories=repositories,
            query=urlencode(query),
            older=older,
            formats=FORMATS,
        )

    def _stream(
        self,
        filters_text: dict[str, str | None],
        fmt: str,
        repositories: tuple[str, ...] | None,
        after: int,
        filename: str,
    ) -> Response:
        filters = filters_from(filters_text, utcnow(), repositories)
        if fmt not in FORMATS:
            raise FilterError(f"unknown format {fmt!r}: csv or jsonl")
        body: Iterator[str] = lines(export(self.db, filters, after_id=after), fmt)
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
        return StreamingResponse(body, media_type=_MEDIA[fmt], headers=headers)

    async def download(self, request: Request) -> Response:
        user = self.auth.current(request)
        if user is None:
            return RedirectResponse(f"/auth/login?next={request.url.path}", status_code=303)
        repositories = await self._visible(user)
        try:
            return self._stream(
                self._values(request), request.query_params.get("format", "csv"), repositories, 0, "audit"
            )
        except FilterError as exc:
            return message(request, "Filter not understood", str(exc), 400)

    async def api(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        name = (
            await asyncio.to_thread(token_name, self.db, token.strip())
            if scheme.lower() == "bearer" and token.strip()
            else None
        )
        if name is None:
            return Response(
                "a valid audit token is required\n",
                status_code=401,
                media_type="text/plain",
                headers={**SECURITY_HEADERS, "WWW-Authenticate": 'Bearer realm="audit"'},
            )
        after = request.query_params.get("after", "0")
        try:
            if not after.isdigit():
                raise FilterError(f"not an event id: {after!r}")
            return self._stream(
                self._values(request), request.query_params.get("format", "jsonl"), None, int(after), "audit"
            )
        except FilterError as exc:
            return Response(f"{exc}\n", status_code=400, media_type="text/plain", headers=SECURITY_HEADERS)
