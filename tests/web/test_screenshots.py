"""The README's pictures, taken from the real pages in Chromium: an AI-written pull request on billing is run
through the App's handlers against the GitHub simulator (a Semgrep finding, an approval made stale by a
push), then an admin signs in and opens the dashboard, the details page and the audit trail. Each picture
must show what the README says it shows. `scripts/screenshots` saves them into docs/images/."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.applications import Starlette

from ghapp.core.decisions import Finding
from ghapp.store.database import Database, open_database
from ghapp.store.installations import InstallationInfo, RepositoryInfo, save_installation
from ghapp.store.migrations import upgrade
from ghapp.web.site import Site
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world, fake_runners
from tests.enforcement.conftest import Driver
from tests.ghsim import GitHubSim
from tests.ghsim.oauth import oauth_of
from tests.ghsim.server import ServerThread
from tests.web.test_browser import ARGS, CHROMIUM, Late, sign_in
from tests.web.world import recording_rerun, settings_for

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1280, "height": 860}
FINDING = Finding(
    "billing/charge.py",
    4,
    "python.billing.hardcoded-rate",
    "The fee rate is written in the code: read it from the billing settings",
    category="billing",
)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    wanted = os.environ.get("GHAPP_SCREENSHOTS_DIR")
    path = Path(wanted) if wanted else tmp_path / "shots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def judged(sim: GitHubSim, db: Database, tmp_path: Path) -> tuple[int, int, str]:
    """The App's work on the pull request, through its real handlers; (installation, PR number, head)."""
    installation = build_world(sim)
    save_installation(
        db, InstallationInfo(installation, "acme", "Organization", False), added=[RepositoryInfo(1, REPO, True)]
    )
    driver = Driver(sim, db, tmp_path)
    driver.use(fake_runners(semgrep=[FINDING]))
    pull = sim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Add a refund fee",
    )
    driver.handle("pull_request", sim.payloads.pull_request(REPO, pull.number, "opened"))
    review = sim.state.add_review(REPO, pull.number, "bob")
    driver.handle("pull_request_review", sim.payloads.pull_request_review(REPO, pull.number, review.id))
    head = sim.state.push(
        REPO, pull.number, {"billing/charge.py": CHARGE_AI + "\nLIMIT = 10_000\n"}, message=AI_MESSAGE
    )
    driver.handle("pull_request", sim.payloads.pull_request(REPO, pull.number, "synchronize"))
    return installation, pull.number, head


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def shoot(page: Page, path: Path, *, full_page: bool = False, selector: str | None = None) -> Path:
    if selector is not None:
        page.locator(selector).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=full_page)
    width, height = png_size(path)
    assert width >= 300 and height >= 100, (path, width, height)
    return path


def test_the_readme_pictures(ghsim: GitHubSim, browser: Browser, tmp_path: Path, out_dir: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'ghapp.db'}")
    upgrade(db)
    with ThreadPoolExecutor(1) as pool:  # the handlers run their own event loop; Playwright's runs in this thread
        installation, number, head = pool.submit(judged, ghsim, db, tmp_path).result()
    oauth_of(ghsim.state).add_member("acme", "alice")
    late = Late()
    server = ServerThread(late).start()
    url = server.url.rstrip("/")
    late.app = Starlette(routes=Site(settings_for(ghsim, tmp_path, url), recording_rerun(db, [])).routes())
    try:
        context, page = sign_in(browser, url, "alice")
        page.set_viewport_size(VIEWPORT)

        # what a contributor sees: the approvals check's summary, as GitHub renders it on the pull request
        page.goto(f"{url}/pulls/{REPO}/{number}/{head}")
        approvals = page.locator('tr.gate[data-gate="approvals"]')
        approvals.locator("summary").click()
        summary = approvals.locator(".summary")
        assert "@acme/billing" in summary.inner_text() and "bob" in summary.inner_text()
        shoot(page, out_dir / "check-run-summary.png", selector='tr.gate[data-gate="approvals"] .summary')

        # what an admin sees: the details page of the head ...
        approvals.locator("summary").click()  # folded again: the page as it opens
        assert page.locator('.category[data-category="billing"] dd.stale').inner_text().startswith("@bob")
        assert "python.billing.hardcoded-rate" in page.locator("#findings ~ table.findings").first.inner_text()
        assert page.locator("tr.signal").count() >= 1
        shoot(page, out_dir / "details-page.png", full_page=True)

        # ... the installation's dashboard ...
        page.goto(f"{url}/installations/{installation}")
        assert page.locator("tr.delivery").count() == 3 and page.locator("tr.decision").count() >= 6
        shoot(page, out_dir / "dashboard.png")

        # ... and the audit trail
        page.goto(f"{url}/audit?repo={REPO}")
        kinds = set(page.locator("tr.event td:nth-child(2)").all_inner_texts())
        assert {"decision", "approval", "review_request"} <= kinds
        shoot(page, out_dir / "audit-trail.png")
        context.close()
    finally:
        server.stop()
        db.engine.dispose()
    assert sorted(p.name for p in out_dir.glob("*.png")) >= [
        "audit-trail.png",
        "check-run-summary.png",
        "dashboard.png",
        "details-page.png",
    ]
