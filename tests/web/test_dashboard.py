"""Sign-in against the simulated GitHub, then what each user sees and may do (in-process; Chromium tests drive
the same pages in a real browser)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from ghapp.store.database import Database
from ghapp.store.inbox import Inbox
from ghapp.web.site import Site
from tests.ghsim import GitHubSim
from tests.ghsim.oauth import oauth_of
from tests.web.asgi import Client
from tests.web.world import ACME, GLOBEX, recording_rerun, seed, settings_for, simulator_world

PUBLIC = "https://ptp.acme.test"


@pytest.fixture
def world(ghsim_inprocess: GitHubSim, db: Database, tmp_path: Path) -> tuple[GitHubSim, Site, list[str]]:
    simulator_world(ghsim_inprocess)
    seed(db)
    enqueued: list[str] = []
    settings = settings_for(ghsim_inprocess, tmp_path, PUBLIC)
    site = Site(settings, recording_rerun(db, enqueued), github_transport=ghsim_inprocess.transport())
    return ghsim_inprocess, site, enqueued


def authorize(sim: GitHubSim, url: str, login: str) -> str:
    """What the user does on GitHub's authorize page: submit, and follow the redirect back."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}

    async def submit() -> httpx.Response:
        async with httpx.AsyncClient(transport=sim.transport(), base_url=sim.root_url) as gh:
            page = await gh.get(url)
            assert page.status_code == 200 and 'id="authorize"' in page.text
            return await gh.post("/login/oauth/authorize", data={**query, "login": login})

    answer = asyncio.run(submit())
    assert answer.status_code == 302
    return answer.headers["location"]


def signed_in(site: Site, sim: GitHubSim, login: str, next_path: str = "/") -> Client:
    client = Client(Starlette(routes=site.routes()), base_url=PUBLIC)
    start = client.get(f"/auth/login?next={next_path}")
    assert start.status_code == 303
    back = authorize(sim, start.headers["location"], login)
    assert back.startswith(f"{PUBLIC}/auth/callback?code=")
    done = client.get(back.removeprefix(PUBLIC))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == next_path
    return client


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_sign_in_asks_github_with_the_apps_client(world: tuple[GitHubSim, Site, list[str]]) -> None:
    sim, site, _ = world
    client = Client(Starlette(routes=site.routes()), base_url=PUBLIC)
    home = client.get("/")
    assert home.status_code == 200 and 'href="/auth/login"' in home.text
    start = client.get("/auth/login?next=//evil.example/")
    target = urlsplit(start.headers["location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{sim.root_url}login/oauth/authorize"
    assert query["client_id"] == [oauth_of(sim.state).client_id]
    assert query["redirect_uri"] == [f"{PUBLIC}/auth/callback"]
    back = authorize(sim, start.headers["location"], "alice")
    done = client.get(back.removeprefix(PUBLIC))
    assert done.headers["location"] == "/"  # the off-site `next` was dropped
    cookie = done.headers["set-cookie"]
    assert "ghapp_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    assert "ghu_" not in cookie  # the user's token is not kept


def test_an_admin_sees_their_installation_deliveries_and_decisions(world: tuple[GitHubSim, Site, list[str]]) -> None:
    sim, site, _ = world
    client = signed_in(site, sim, "alice")
    home = client.get("/")
    assert home.status_code == 200 and "@alice" in home.text
    assert f'href="/installations/{ACME}"' in home.text and "globex" not in home.text
    page = client.get(f"/installations/{ACME}")
    assert page.status_code == 200
    for text in (
        "acme/payments",
        "acme/site",
        "acme-failed-1",
        "acme-done-2",
        "acme-pending-3",
        "GitHubUnavailable: 502 from GitHub",
        "AI-generated: Claude Code",
        "Claude-Session",
    ):
        assert text in page.text, text
    assert "globex" not in page.text
    # Re-run buttons only for finished deliveries.
    assert f"/installations/{ACME}/deliveries/acme-failed-1/rerun" in page.text
    assert f"/installations/{ACME}/deliveries/acme-done-2/rerun" in page.text
    assert "acme-pending-3/rerun" not in page.text


def test_rerun_requeues_and_enqueues(world: tuple[GitHubSim, Site, list[str]], db: Database) -> None:
    sim, site, enqueued = world
    client = signed_in(site, sim, "alice")
    token = csrf_of(client.get(f"/installations/{ACME}").text)
    done = client.post(f"/installations/{ACME}/deliveries/acme-failed-1/rerun", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == f"/installations/{ACME}#deliveries"
    row = Inbox(db).get("acme-failed-1")
    assert row is not None and (row.state, row.attempts) == ("pending", 0)
    assert enqueued == ["acme-failed-1"]
    again = client.post(f"/installations/{ACME}/deliveries/acme-failed-1/rerun", data={"csrf_token": token})
    assert again.status_code == 409 and enqueued == ["acme-failed-1"]  # waiting already: not twice


def test_post_without_the_csrf_token_is_refused(world: tuple[GitHubSim, Site, list[str]], db: Database) -> None:
    sim, site, enqueued = world
    client = signed_in(site, sim, "alice")
    for data in ({}, {"csrf_token": "forged"}):
        refused = client.post(f"/installations/{ACME}/deliveries/acme-failed-1/rerun", data=data)
        assert refused.status_code == 403
    row = Inbox(db).get("acme-failed-1")
    assert row is not None and row.state == "failed" and enqueued == []
    assert client.post("/auth/logout", data={}).status_code == 403
    assert client.get("/").text.count("@alice") == 1  # still signed in


def test_nobody_sees_an_installation_they_are_not_a_member_of(world: tuple[GitHubSim, Site, list[str]]) -> None:
    sim, site, enqueued = world
    gabe = signed_in(site, sim, "gabe")
    home = gabe.get("/")
    assert f'href="/installations/{GLOBEX}"' in home.text and "acme" not in home.text
    token = csrf_of(gabe.get(f"/installations/{GLOBEX}").text)
    for path in (f"/installations/{ACME}", "/installations/999999"):
        page = gabe.get(path)
        assert page.status_code == 404 and "acme" not in page.text
    assert gabe.get(f"/installations/{ACME}").text == gabe.get("/installations/999999").text
    # Another installation's delivery, through one's own installation or theirs: 404 both ways.
    assert (
        gabe.post(f"/installations/{ACME}/deliveries/acme-failed-1/rerun", data={"csrf_token": token}).status_code
        == 404
    )
    assert (
        gabe.post(f"/installations/{GLOBEX}/deliveries/acme-failed-1/rerun", data={"csrf_token": token}).status_code
        == 404
    )
    assert enqueued == []
    eve = signed_in(site, sim, "eve")
    assert "no installation" in eve.get("/").text and eve.get(f"/installations/{GLOBEX}").status_code == 404


def test_a_security_reviewer_sees_prs_waiting_for_their_team(world: tuple[GitHubSim, Site, list[str]]) -> None:
    sim, site, _ = world
    sam = signed_in(site, sim, "sam")  # in acme/security, so a member of acme
    home = sam.get("/")
    waiting = home.text.split('id="waiting"', 1)[1].split('id="installations"', 1)[0]
    assert "acme/payments#7" in waiting and "1 more of @acme/security" in waiting and "bbbbbbb" in waiting
    assert "acme/site#2" not in waiting  # approved since
    assert "globex" not in waiting  # names @acme/security, but sam cannot see globex
    alice = signed_in(site, sim, "alice")
    assert "Nothing is waiting for you" in alice.get("/").text  # carol's request is on an older head


def test_pages_need_a_session_and_expired_ones_are_dropped(world: tuple[GitHubSim, Site, list[str]]) -> None:
    _sim, site, _ = world
    anonymous = Client(Starlette(routes=site.routes()), base_url=PUBLIC)
    page = anonymous.get(f"/installations/{ACME}")
    assert page.status_code == 303 and page.headers["location"] == f"/auth/login?next=/installations/{ACME}"
    assert anonymous.post(f"/installations/{ACME}/deliveries/acme-failed-1/rerun").status_code == 401
    anonymous.cookies.set("ghapp_session", "forged", domain="ptp.acme.test")
    assert 'href="/auth/login"' in anonymous.get("/").text


def test_sign_in_failures_explain(world: tuple[GitHubSim, Site, list[str]]) -> None:
    _sim, site, _ = world
    client = Client(Starlette(routes=site.routes()), base_url=PUBLIC)
    assert client.get("/auth/callback?code=x&state=y").status_code == 400  # not started in this browser
    start = client.get("/auth/login")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    failed = client.get(f"/auth/callback?code=never-issued&state={state}")
    assert failed.status_code == 502 and "incorrect or expired" in failed.text
    unconfigured = Site(site.auth.settings.with_overrides(oauth_client_id=""), recording_rerun(site.dashboard.db, []))
    assert Client(Starlette(routes=unconfigured.routes())).get("/auth/login").status_code == 503


def test_logout_clears_the_session(world: tuple[GitHubSim, Site, list[str]]) -> None:
    sim, site, _ = world
    client = signed_in(site, sim, "alice")
    token = csrf_of(client.get("/").text)
    out = client.post("/auth/logout", data={"csrf_token": token})
    assert out.status_code == 303
    assert 'href="/auth/login"' in client.get("/").text


def test_fresh_install_sends_the_dashboard_to_setup(world: tuple[GitHubSim, Site, list[str]], db: Database) -> None:
    _sim, site, _ = world
    fresh = Site(
        site.auth.settings.with_overrides(app_id="", private_key="", webhook_secret=""), recording_rerun(db, [])
    )
    answer = Client(Starlette(routes=fresh.routes())).get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/setup"
