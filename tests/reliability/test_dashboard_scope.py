"""Dashboard scope: GitHub lists an installation for anyone with access to any one of its repositories, so a
user who may see only `acme/site` must see nothing of `acme/payments` (its deliveries, errors, decisions,
details and audit events) and must not re-run its deliveries; access is asked of GitHub, cached briefly, and
asked again for every action."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from ghapp.store.database import Database
from ghapp.web.site import Site
from tests.ghsim import GitHubSim
from tests.ghsim.oauth import oauth_of
from tests.web.test_dashboard import PUBLIC, signed_in
from tests.web.world import ACME, recording_rerun, seed, settings_for, simulator_world

SECRET_BITS = ("acme/payments", "acme-failed-1", "acme-done-2", "GitHubUnavailable: 502 from GitHub")


@pytest.fixture
def world(ghsim_inprocess: GitHubSim, db: Database, tmp_path: Path) -> tuple[GitHubSim, Site, list[str]]:
    """acme's members have no base permission; `olive`, a member, was given `acme/site` only."""
    simulator_world(ghsim_inprocess)
    seed(db)
    oauth = oauth_of(ghsim_inprocess.state)
    oauth.base_permission["acme"] = "none"
    oauth.add_member("acme", "olive")
    oauth.add_collaborator("acme/site", "olive")
    enqueued: list[str] = []
    site = Site(
        settings_for(ghsim_inprocess, tmp_path, PUBLIC),
        recording_rerun(db, enqueued),
        github_transport=ghsim_inprocess.transport(),
    )
    return ghsim_inprocess, site, enqueued


def test_a_user_with_one_repository_sees_nothing_of_the_others(world: tuple[GitHubSim, Site, list[str]]) -> None:
    sim, site, enqueued = world
    olive = signed_in(site, sim, "olive")
    pages = {
        path: olive.get(path)
        for path in ("/", f"/installations/{ACME}", "/pulls/acme/payments/7", "/audit", "/audit/export?format=jsonl")
    }
    assert pages[f"/installations/{ACME}"].status_code == 200
    shown = pages[f"/installations/{ACME}"].text
    assert "acme/site" in shown and "acme-pending-3" in shown
    assert pages["/pulls/acme/payments/7"].status_code == 404
    for path, answer in pages.items():
        for bit in SECRET_BITS:
            assert bit not in answer.text, f"{path} shows {bit!r} to a user without access to acme/payments"
    form = olive.get(f"/installations/{ACME}").text
    csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
    rerun = olive.post(
        f"/installations/{ACME}/deliveries/acme-failed-1/rerun", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert rerun.status_code == 404 and enqueued == []


def test_access_is_cached_briefly_and_asked_again_for_an_action(world: tuple[GitHubSim, Site, list[str]]) -> None:
    sim, site, enqueued = world
    oauth_of(sim.state).add_collaborator("acme/payments", "olive")
    olive = signed_in(site, sim, "olive")
    page = olive.get(f"/installations/{ACME}")
    assert "acme-failed-1" in page.text
    asked = site.access.asked
    for _ in range(3):
        olive.get(f"/installations/{ACME}")
    assert site.access.asked == asked  # cached: three page views, no question to GitHub
    oauth_of(sim.state).collaborators["acme/payments"].discard("olive")  # access taken away on GitHub
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    rerun = olive.post(
        f"/installations/{ACME}/deliveries/acme-failed-1/rerun", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert site.access.asked == asked + 1  # the action asked again, past the cache
    assert rerun.status_code == 404 and enqueued == []


def test_a_member_with_the_base_permission_still_sees_and_reruns_everything(
    world: tuple[GitHubSim, Site, list[str]],
) -> None:
    sim, site, enqueued = world
    oauth_of(sim.state).base_permission["acme"] = "read"
    alice = signed_in(site, sim, "alice")
    page = alice.get(f"/installations/{ACME}")
    assert all(bit in page.text for bit in ("acme/payments", "acme-failed-1", "acme/site"))
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    rerun = alice.post(
        f"/installations/{ACME}/deliveries/acme-failed-1/rerun", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert rerun.status_code == 303 and enqueued == ["acme-failed-1"]


def test_the_simulator_answers_the_repositories_route_as_github_documents(
    world: tuple[GitHubSim, Site, list[str]],
) -> None:
    sim, site, _ = world
    olive = signed_in(site, sim, "olive")
    assert olive.get("/").status_code == 200
    token = next(t for t, login in oauth_of(sim.state).tokens.items() if login == "olive")

    async def ask(path: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=sim.transport(), base_url=sim.api_url) as gh:
            return await gh.get(path, headers={"Authorization": f"Bearer {token}"})

    mine = asyncio.run(ask(f"user/installations/{ACME}/repositories?per_page=1"))
    body = mine.json()
    assert mine.status_code == 200 and body["total_count"] == 1 and body["repository_selection"] == "all"
    assert [r["full_name"] for r in body["repositories"]] == ["acme/site"]
    assert body["repositories"][0]["permissions"]["pull"] is True and "link" not in mine.headers
    assert asyncio.run(ask("user/installations/502/repositories")).status_code == 404  # globex: not hers
    assert asyncio.run(ask("user/installations/999/repositories")).status_code == 404
