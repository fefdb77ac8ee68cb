"""What-if in a real headless Chromium against the GitHub simulator over HTTP: an admin fills the form on the
details page and reads the hypothetical verdict beside the recorded one; a writer sees no form."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from ghapp.store.database import open_database
from ghapp.store.migrations import upgrade
from ghapp.web.site import Site
from tests.e2e.harness import REPO
from tests.ghsim import GitHubSim
from tests.ghsim.server import ServerThread
from tests.web.test_browser import Late, browser, sign_in
from tests.web.whatif_world import whatif_world
from tests.web.world import recording_rerun, settings_for

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the module-scoped Chromium of test_browser, shared


class LoopOf(Late):
    """Remembers the server's event loop: the App's GitHub client keeps a connection pool per loop, which the
    App closes when it stops (`create_app`'s lifespan); this bare server has no lifespan, so the test does."""

    loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.loop = asyncio.get_running_loop()
        await super().__call__(scope, receive, send)


@pytest.fixture
def served(ghsim: GitHubSim, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    db = open_database(f"sqlite:///{tmp_path / 'ghapp.db'}")
    upgrade(db)
    pull = whatif_world(ghsim, db)
    app = ghsim.github_app()
    late = LoopOf()
    server = ServerThread(late).start()
    url = server.url.rstrip("/")
    site = Site(settings_for(ghsim, tmp_path, url), recording_rerun(db, []), github=lambda: app)
    late.app = Starlette(routes=site.routes())
    try:
        yield url, pull
    finally:
        if late.loop is not None:
            asyncio.run_coroutine_threadsafe(app.aclose(), late.loop).result(30)
        server.stop()
        db.engine.dispose()


def test_an_admin_runs_a_what_if_and_a_writer_sees_no_form(
    browser: Browser, served: tuple[str, Any], ghsim: GitHubSim
) -> None:
    url, pull = served
    details = f"{url}/pulls/{REPO}/{pull.number}/{pull.head_sha}"
    context, page = sign_in(browser, url, "ada")
    page.goto(details)
    assert page.locator("#whatif-result").count() == 0
    page.fill('#whatif-form input[name="approvers"]', "bob")
    page.click("#whatif-run")
    page.wait_for_selector("#whatif-result")
    assert page.url == f"{details}/what-if#whatif"
    result = page.locator("#whatif-result")
    assert "Hypothetical decision" in result.inner_text() and "Nothing was published" in result.inner_text()
    approvals = result.locator('tr.whatif-gate[data-gate="approvals"]')
    assert approvals.locator("td.recorded").inner_text() == "action_required"
    assert approvals.locator("td.hypothetical").inner_text() == "success"
    assert result.locator('.whatif-category[data-category="billing"]').inner_text().endswith("approved by @bob")
    assert page.locator('tr.gate[data-gate="approvals"]').count() == 1  # the recorded decision is still there
    page.fill('#whatif-form textarea[name="policy"]', "mode: report\nlabels: 7\n")
    page.fill('#whatif-form input[name="approvers"]', "")
    page.click("#whatif-run")
    page.wait_for_selector("#whatif-issues")
    assert "2:" in page.locator(".whatif-issue").first.inner_text()  # the line of the bad value, with its column
    context.close()
    context, page = sign_in(browser, url, "walt")
    response = page.goto(details)
    assert response is not None and response.status == 200
    assert page.locator("#whatif-form").count() == 0 and page.locator("#whatif").count() == 0
    context.close()
    queries = "/graphql"  # a GraphQL query changes nothing (the App sends no mutation)
    assert [
        r
        for r in ghsim.state.requests()
        if r.method != "GET"
        and "/access_tokens" not in r.path
        and not (r.path == queries and "mutation" not in r.body["query"])
    ] == []
