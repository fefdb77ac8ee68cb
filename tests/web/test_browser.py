"""The dashboard in a real headless Chromium against the GitHub simulator over HTTP: sign-in, what an admin and
an outsider see, re-run, and a forged POST without the CSRF token."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from ghapp.store.database import Database, open_database
from ghapp.store.inbox import Inbox
from ghapp.store.migrations import upgrade
from ghapp.web.site import Site
from tests.ghsim import GitHubSim
from tests.ghsim.server import ServerThread
from tests.web.world import ACME, GLOBEX, HEAD, recording_rerun, seed, settings_for, simulator_world

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("GHAPP_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
Served = tuple[str, Database, list[str]]


class Late:
    """An ASGI app set after the server started (the App's public URL is the server's own address)."""

    app: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


@pytest.fixture
def served(ghsim: GitHubSim, tmp_path: Path) -> Iterator[Served]:
    simulator_world(ghsim)
    db = open_database(f"sqlite:///{tmp_path / 'ghapp.db'}")
    upgrade(db)
    seed(db)
    late = Late()
    server = ServerThread(late).start()
    url = server.url.rstrip("/")
    enqueued: list[str] = []
    late.app = Starlette(routes=Site(settings_for(ghsim, tmp_path, url), recording_rerun(db, enqueued)).routes())
    try:
        yield url, db, enqueued
    finally:
        server.stop()
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def sign_in(browser: Browser, url: str, login: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "/")
    page.click("#signin")
    page.wait_for_selector("#login_field")  # GitHub's (simulated) authorize page
    assert "/login/oauth/authorize" in page.url and not page.url.startswith(url)
    page.fill("#login_field", login)
    page.click("#authorize")
    page.wait_for_url(url + "/")
    assert page.locator("header .who").inner_text() == f"@{login}"
    return context, page


def test_admin_signs_in_sees_deliveries_and_reruns_one(browser: Browser, served: Served) -> None:
    url, db, enqueued = served
    context, page = sign_in(browser, url, "alice")
    assert page.locator("tr.installation").all_inner_texts() == ["acme\tOrganization\t2\t"]
    page.click("text=acme")
    page.wait_for_url(f"{url}/installations/{ACME}")
    rows = page.locator("tr.delivery")
    assert rows.count() == 3
    failed = page.locator('tr.delivery[data-delivery="acme-failed-1"]')
    assert "failed" in failed.inner_text() and "GitHubUnavailable: 502 from GitHub" in failed.inner_text()
    assert page.locator('tr.delivery[data-delivery="acme-pending-3"] button').count() == 0
    provenance = page.locator("tr.decision", has_text="provenance")
    assert not provenance.locator("text=Claude-Session").is_visible()
    provenance.locator("summary").click()  # the evidence folds out
    assert provenance.locator("text=Claude-Session").is_visible()
    failed.locator("button").click()
    page.wait_for_url(f"{url}/installations/{ACME}#deliveries")
    assert "pending" in page.locator('tr.delivery[data-delivery="acme-failed-1"]').inner_text()
    row = Inbox(db).get("acme-failed-1")
    assert row is not None and row.state == "pending" and enqueued == ["acme-failed-1"]
    context.close()


def test_a_user_of_another_installation_sees_nothing_of_it(browser: Browser, served: Served) -> None:
    url, _, enqueued = served
    context, page = sign_in(browser, url, "gabe")
    assert page.locator("tr.installation").all_inner_texts() == ["globex\tOrganization\t1\t"]
    assert "acme" not in page.content()
    response = page.goto(f"{url}/installations/{ACME}")
    assert response is not None and response.status == 404
    assert "acme" not in page.content() and "cannot see it" in page.content()
    response = page.goto(f"{url}/installations/{GLOBEX}")
    assert response is not None and response.status == 200 and "globex private failure" in page.content()
    assert enqueued == []
    context.close()


def test_a_post_without_the_csrf_token_is_refused(browser: Browser, served: Served) -> None:
    url, db, enqueued = served
    context, page = sign_in(browser, url, "alice")
    page.goto(f"{url}/installations/{ACME}")
    form = page.locator('tr.delivery[data-delivery="acme-failed-1"] form')
    form.locator('input[name="csrf_token"]').evaluate("input => input.remove()")  # a forged form has no token
    with page.expect_navigation() as navigation:
        form.locator("button").click()
    response = navigation.value
    assert response is not None and response.status == 403
    assert "security token" in page.content()
    row = Inbox(db).get("acme-failed-1")
    assert row is not None and row.state == "failed" and enqueued == []
    context.close()


def test_the_audit_trail_filters_and_exports_only_what_the_user_may_see(browser: Browser, served: Served) -> None:
    url, _, _ = served
    context, page = sign_in(browser, url, "alice")
    page.click("text=Audit trail")
    page.wait_for_url(f"{url}/audit")
    assert page.locator("tr.event").count() == 5 and "globex" not in page.content()
    page.fill('input[name="category"]', "billing")
    page.select_option('select[name="repo"]', "acme/payments")
    page.click("#filters button")
    page.wait_for_url(f"{url}/audit?*category=billing*")
    assert page.locator("tr.event").count() == 2
    assert "billing: satisfied (approved by sam)" in page.locator("tr.event-approval").inner_text()
    with page.expect_download() as download:
        page.click("#export-csv")
    exported = Path(download.value.path()).read_text()
    assert exported.splitlines()[0].startswith("id,created_at,kind,repository")
    assert exported.count("acme/payments") == 2 and "globex" not in exported
    context.close()


def test_the_audit_trail_refuses_another_installations_repository(browser: Browser, served: Served) -> None:
    url, _, _ = served
    context, page = sign_in(browser, url, "gabe")
    page.goto(f"{url}/audit?repo=acme/payments")
    assert page.locator("tr.event").count() == 0 and "No events match" in page.content()
    assert page.locator('select[name="repo"] option').all_inner_texts() == ["any", "globex/secret-plans"]
    response = page.request.get(f"{url}/audit/export?format=jsonl&repo=acme/payments")
    assert response.status == 200 and response.text() == ""
    response = page.request.get(f"{url}/audit/export?format=jsonl")
    assert [line.count("globex/secret-plans") > 0 for line in response.text().splitlines()] == [True]
    context.close()


def test_the_details_page_shows_the_decision_and_is_refused_to_outsiders(browser: Browser, served: Served) -> None:
    url, _, _ = served
    context, page = sign_in(browser, url, "alice")
    page.goto(f"{url}/audit?kind=approval")
    page.click("text=acme/payments#7")
    page.wait_for_url(f"{url}/pulls/acme/payments/7/{HEAD}")
    provenance = page.locator('tr.gate[data-gate="provenance"]')
    assert "failure" in provenance.inner_text()
    assert not provenance.locator(".summary").is_visible()
    provenance.locator("summary").click()
    assert "AI-generated (Claude Code)" in provenance.locator(".summary").inner_text()
    assert page.locator("tr.signal").count() == 2
    billing = page.locator('.category[data-category="billing"]')
    assert billing.locator("dd.stale").inner_text() == "@carol (files changed since)"
    assert billing.locator("dd.approved").inner_text() == "@bob"
    assert page.locator('.category[data-category="auth"] dd.vetoing').inner_text() == "@sam"
    assert page.locator("tr.override").inner_text().startswith("@carol")
    context.close()
    context, page = sign_in(browser, url, "gabe")
    response = page.goto(f"{url}/pulls/acme/payments/7/{HEAD}")
    assert response is not None and response.status == 404
    assert "Claude" not in page.content() and "billing" not in page.content()
    context.close()
