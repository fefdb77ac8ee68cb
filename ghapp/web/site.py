"""Everything a browser or a scraper opens, composed for `create_app`: setup, sign-in, dashboard, audit trail,
details pages, static, metrics."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from starlette.routing import BaseRoute, Mount, Route

from ghapp.credentials import AppCredentials
from ghapp.github.client import GitHubApp
from ghapp.observability.metrics import Metrics, metrics_endpoint
from ghapp.settings import Settings
from ghapp.web.access import RepositoryAccess
from ghapp.web.audit import AuditPages
from ghapp.web.auth import Auth
from ghapp.web.dashboard import Dashboard, DashboardDeps
from ghapp.web.details import DetailsPages
from ghapp.web.render import static_files
from ghapp.web.setup import SetupFlow
from ghapp.web.whatif import WhatIf


def rerun_with(requeue: Callable[[str], bool], enqueue: Callable[[str], None]) -> Callable[[str], bool]:
    """The dashboard's re-run: put the finished delivery back in the inbox, then on the queue."""

    def rerun(delivery_id: str) -> bool:
        if not requeue(delivery_id):
            return False
        enqueue(delivery_id)  # if this is lost, the sweeper finds the pending row again
        return True

    return rerun


class Site:
    """The web pages of one process. `use_settings` takes the credentials `/setup` stored without a restart."""

    def __init__(
        self,
        settings: Settings,
        deps: DashboardDeps,
        *,
        metrics: Metrics | None = None,
        on_credentials: Callable[[AppCredentials], None] | None = None,
        github_transport: httpx.AsyncBaseTransport | None = None,
        github: Callable[[], GitHubApp | None] = lambda: None,
    ) -> None:
        """`github`: the App's GitHub client of this process, for the what-if (None until configured)."""
        self.setup = SetupFlow(settings, on_saved=on_credentials, github_transport=github_transport)
        self.auth = Auth(settings, github_transport)
        self.access = RepositoryAccess(lambda: self.auth.settings.github_api_url, github_transport)
        self.dashboard = Dashboard(deps, self.auth, setup_open=lambda: not self.setup.closed, access=self.access)
        self.audit = AuditPages(deps.db, self.auth, self.dashboard.repositories_of)
        self.whatif = WhatIf(deps.db, self.auth, self.access, github)
        self.details = DetailsPages(deps.db, self.auth, self.dashboard.installations_of, self.whatif)
        self._metrics = metrics
        self._metrics_token = settings.metrics_token

    def use_settings(self, settings: Settings) -> None:
        self.setup.settings = settings
        self.auth.settings = settings

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            *self.setup.routes(),
            *self.auth.routes(),
            *self.dashboard.routes(),
            *self.audit.routes(),
            *self.details.routes(),
            Mount("/static", app=static_files(), name="static"),
        ]
        # On the web port (open to GitHub and browsers) only behind a token; else `--metrics-port`.
        if self._metrics is not None and self._metrics_token:
            routes.append(Route("/metrics", metrics_endpoint(self._metrics, self._metrics_token), methods=["GET"]))
        return routes
