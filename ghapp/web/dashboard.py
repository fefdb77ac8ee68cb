"""The dashboard: installations, their deliveries, decisions and failures, and each reviewer's approval queue.

Every page and action looks the installation up among those GitHub said the signed-in user may see, and
within it shows only the repositories the user may see (`web.access`: asked of GitHub, cached briefly, asked
again for every action); otherwise it answers 404, as for an installation that does not exist: nothing leaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghapp.store.database import Database
from ghapp.store.deliveries import RERUNNABLE, DeliveryState, installation_of, recent_deliveries, repository_of
from ghapp.store.evaluations import recent_evaluations
from ghapp.store.installations import installed_accounts
from ghapp.web.access import RepositoryAccess
from ghapp.web.auth import Auth, UserSession
from ghapp.web.render import message, page
from ghapp.web.reviews import Row, evidence, waiting_for

RECENT = 50


@dataclass(frozen=True)
class DashboardDeps:
    """What the dashboard needs from the runtime: the database, and `rerun(delivery_id) -> bool` which puts a
    finished delivery back in the inbox and on the queue (False when it is not in a state that can re-run)."""

    db: Database
    rerun: Callable[[str], bool]


class Dashboard:
    def __init__(
        self, deps: DashboardDeps, auth: Auth, setup_open: Callable[[], bool], access: RepositoryAccess
    ) -> None:
        self.db = deps.db
        self._rerun = deps.rerun
        self.auth = auth
        self._setup_open = setup_open
        self.access = access

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/installations/{installation_id:int}", self.installation, methods=["GET"]),
            Route("/installations/{installation_id:int}/deliveries/{delivery_id}/rerun", self.rerun, methods=["POST"]),
        ]

    def _not_found(self, request: Request, user: UserSession) -> Response:
        return message(request, "Not found", "There is no such installation, or you cannot see it.", 404)

    async def _rows(self, user: UserSession, installation_id: int | None = None, *, fresh: bool = False) -> list[Row]:
        """Installations the user may see (and that the App knows), each with only the repositories the user
        may see in it; an installation where that is none of them is left out."""
        wanted = [installation_id] if installation_id is not None else list(user.installations)
        wanted = [i for i in wanted if user.sees(i)]
        rows = []
        for i in installed_accounts(self.db, wanted):
            allowed = await self.access.repositories(user, i.id, fresh=fresh)
            repositories = tuple(r for r in i.repositories if r.lower() in allowed)
            if repositories:
                rows.append(Row(i.id, i.account_login, i.account_type, i.suspended, repositories))
        return rows

    async def repositories_of(self, user: UserSession) -> tuple[str, ...]:
        """Every repository the user may see through the dashboard (audit trail, details pages)."""
        return tuple(sorted(await self.installations_of(user)))

    async def installations_of(self, user: UserSession, *, fresh: bool = False) -> dict[str, int]:
        """Every repository the user may see through the dashboard, with the installation it belongs to."""
        return {r: row.id for row in await self._rows(user, fresh=fresh) for r in row.repositories}

    async def home(self, request: Request) -> Response:
        if self._setup_open():
            return RedirectResponse("/setup", status_code=303)
        user = self.auth.current(request)
        if user is None:
            return page(request, "signin.html", title="Sign in")
        rows = await self._rows(user)
        queue = waiting_for(self.db, user, [r for row in rows for r in row.repositories])
        return page(request, "home.html", title="Dashboard", user=user, csrf_token=user.csrf, rows=rows, queue=queue)

    async def installation(self, request: Request) -> Response:
        user = self.auth.current(request)
        if user is None:
            return RedirectResponse(f"/auth/login?next={request.url.path}", status_code=303)
        rows = await self._rows(user, int(request.path_params["installation_id"]))
        if not rows:
            return self._not_found(request, user)
        row = rows[0]
        deliveries = recent_deliveries(self.db, row.id, RECENT, repositories=row.repositories)
        evaluations = recent_evaluations(self.db, row.repositories, RECENT)
        failures = [d for d in deliveries if d.state == DeliveryState.FAILED]
        return page(
            request,
            "installation.html",
            title=row.account,
            user=user,
            csrf_token=user.csrf,
            row=row,
            deliveries=deliveries,
            failures=failures,
            rerunnable=RERUNNABLE,
            evaluations=[(e, evidence(e.reasons)) for e in evaluations],
        )

    async def rerun(self, request: Request) -> Response:
        user = self.auth.current(request)
        if user is None:
            return message(request, "Sign in first", "Your session ended. Sign in again.", 401)
        installation_id = int(request.path_params["installation_id"])
        delivery_id = request.path_params["delivery_id"]
        rows = await self._rows(user, installation_id, fresh=True)  # asked again: access may have gone
        if not rows:
            return self._not_found(request, user)
        if not self.auth.csrf_ok(user, await request.form()):
            return message(
                request,
                "Request refused",
                "The form was missing its security token. Reload the page and try again.",
                403,
            )
        owner = installation_of(self.db, delivery_id)
        if owner != installation_id or repository_of(self.db, delivery_id) not in rows[0].repositories:
            return self._not_found(request, user)
        if not self._rerun(delivery_id):
            return message(request, "Cannot re-run now", "This delivery is waiting or running already.", 409)
        return RedirectResponse(f"/installations/{installation_id}#deliveries", status_code=303)
