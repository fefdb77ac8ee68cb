"""The dashboard: installations, their deliveries, decisions and failures, and each reviewer's approval queue.

Every page and action looks the installation up among those GitHub said the signed-in user may see, and
answers 404 otherwise: the same answer as for an installation that does not exist, so nothing leaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghapp.store.database import Database, Delivery, Evaluation, Installation, Repository
from ghapp.web.auth import Auth, UserSession
from ghapp.web.render import message, page
from ghapp.web.reviews import Row, evidence, waiting_for

D: Table = Delivery.__table__  # type: ignore[attr-defined]
E: Table = Evaluation.__table__  # type: ignore[attr-defined]
INST: Table = Installation.__table__  # type: ignore[attr-defined]
R: Table = Repository.__table__  # type: ignore[attr-defined]
RECENT = 50
RERUNNABLE = ("failed", "done", "ignored", "shed")


@dataclass(frozen=True)
class DashboardDeps:
    """What the dashboard needs from the runtime: the database, and `rerun(delivery_id) -> bool` which puts a
    finished delivery back in the inbox and on the queue (False when it is not in a state that can re-run)."""

    db: Database
    rerun: Callable[[str], bool]


class Dashboard:
    def __init__(self, deps: DashboardDeps, auth: Auth, setup_open: Callable[[], bool]) -> None:
        self.db = deps.db
        self._rerun = deps.rerun
        self.auth = auth
        self._setup_open = setup_open

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/installations/{installation_id:int}", self.installation, methods=["GET"]),
            Route("/installations/{installation_id:int}/deliveries/{delivery_id}/rerun", self.rerun,
                  methods=["POST"]),
        ]

    def _not_found(self, request: Request, user: UserSession) -> Response:
        return message(request, "Not found", "There is no such installation, or you cannot see it.", 404)

    def _rows(self, user: UserSession, installation_id: int | None = None) -> list[Row]:
        """Installations the user may see (and that the App knows), with their repositories."""
        wanted = [installation_id] if installation_id is not None else list(user.installations)
        wanted = [i for i in wanted if user.sees(i)]
        with self.db.engine.connect() as conn:
            installs = conn.execute(select(INST).where(INST.c.id.in_(wanted)).order_by(INST.c.account_login)).all()
            repos = conn.execute(select(R.c.installation_id, R.c.full_name).where(
                R.c.installation_id.in_(wanted), R.c.removed.is_(False)).order_by(R.c.full_name)).all()
        return [Row(i.id, i.account_login, i.account_type, i.suspended,
                    tuple(r.full_name for r in repos if r.installation_id == i.id)) for i in installs]

    async def home(self, request: Request) -> Response:
        if self._setup_open():
            return RedirectResponse("/setup", status_code=303)
        user = self.auth.current(request)
        if user is None:
            return page(request, "signin.html", title="Sign in")
        rows = self._rows(user)
        with self.db.engine.connect() as conn:
            queue = waiting_for(conn, user, [r for row in rows for r in row.repositories])
        return page(request, "home.html", title="Dashboard", user=user, csrf_token=user.csrf, rows=rows, queue=queue)

    async def installation(self, request: Request) -> Response:
        user = self.auth.current(request)
        if user is None:
            return RedirectResponse(f"/auth/login?next={request.url.path}", status_code=303)
        rows = self._rows(user, int(request.path_params["installation_id"]))
        if not rows:
            return self._not_found(request, user)
        row = rows[0]
        with self.db.engine.connect() as conn:
            deliveries = conn.execute(
                select(D.c.delivery_id, D.c.event, D.c.action, D.c.repository, D.c.pr_number, D.c.state,
                       D.c.attempts, D.c.last_error, D.c.received_at, D.c.duration_ms)
                .where(D.c.installation_id == row.id).order_by(D.c.received_at.desc()).limit(RECENT)).all()
            evaluations = conn.execute(
                select(E).where(E.c.repository.in_(row.repositories)).order_by(E.c.created_at.desc(), E.c.id.desc())
                .limit(RECENT)).all() if row.repositories else []
        failures = [d for d in deliveries if d.state == "failed"]
        return page(request, "installation.html", title=row.account, user=user, csrf_token=user.csrf, row=row,
                    deliveries=deliveries, failures=failures, rerunnable=RERUNNABLE,
                    evaluations=[(e, evidence(e.reasons)) for e in evaluations])

    async def rerun(self, request: Request) -> Response:
        user = self.auth.current(request)
        if user is None:
            return message(request, "Sign in first", "Your session ended. Sign in again.", 401)
        installation_id = int(request.path_params["installation_id"])
        delivery_id = request.path_params["delivery_id"]
        if not self._rows(user, installation_id):
            return self._not_found(request, user)
        if not self.auth.csrf_ok(user, await request.form()):
            return message(request, "Request refused", "The form was missing its security token. Reload the "
                           "page and try again.", 403)
        with self.db.engine.connect() as conn:
            owner = conn.execute(select(D.c.installation_id).where(D.c.delivery_id == delivery_id)).scalar()
        if owner != installation_id:
            return self._not_found(request, user)
        if not self._rerun(delivery_id):
            return message(request, "Cannot re-run now", "This delivery is waiting or running already.", 409)
        return RedirectResponse(f"/installations/{installation_id}#deliveries", status_code=303)
