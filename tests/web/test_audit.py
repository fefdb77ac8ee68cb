"""The audit trail on the web (in-process; Chromium drives the same page in test_browser): each user sees and
exports only the repositories they can see, filters narrow, CSV cannot smuggle a formula, and the SIEM
endpoint answers only a token an admin made and not revoked."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from starlette.applications import Starlette

from ghapp.store.audit_tokens import create_token, list_tokens, revoke_token
from ghapp.store.database import Database
from ghapp.web.site import Site
from tests.ghsim import GitHubSim
from tests.web.asgi import Client
from tests.web.test_dashboard import PUBLIC, signed_in
from tests.web.world import recording_rerun, seed, settings_for, simulator_world


@pytest.fixture
def world(ghsim_inprocess: GitHubSim, db: Database, tmp_path: Path) -> tuple[GitHubSim, Site]:
    simulator_world(ghsim_inprocess)
    seed(db)
    site = Site(
        settings_for(ghsim_inprocess, tmp_path, PUBLIC),
        recording_rerun(db, []),
        github_transport=ghsim_inprocess.transport(),
    )
    return ghsim_inprocess, site


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_an_admin_sees_and_filters_their_repositories_events(world: tuple[GitHubSim, Site]) -> None:
    sim, site = world
    alice = signed_in(site, sim, "alice")
    page = alice.get("/audit")
    assert page.status_code == 200
    assert page.text.count('class="event ') == 5 and "globex" not in page.text
    billing = alice.get("/audit?category=billing&verdict=ai")
    assert billing.text.count('class="event ') == 2 and "satisfied (approved by sam)" in billing.text
    assert alice.get("/audit?person=mallory&kind=direct_push").text.count('class="event ') == 1
    assert alice.get("/audit?since=2026-05-01T12:03:00Z").text.count('class="event ') == 2
    assert alice.get("/audit?since=yesterday-ish").status_code == 400


def test_the_export_is_scoped_and_safe_for_spreadsheets(world: tuple[GitHubSim, Site]) -> None:
    sim, site = world
    alice = signed_in(site, sim, "alice")
    exported = alice.get("/audit/export?format=csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert 'filename="audit.csv"' in exported.headers["content-disposition"]
    rows = _rows(exported.text)
    assert [r["kind"] for r in rows] == ["decision", "review_request", "override", "approval", "direct_push"]
    assert {r["repository"] for r in rows} == {"acme/payments", "acme/site"}
    assert rows[2]["summary"].startswith("'=HYPERLINK")  # read as text, not run as a formula
    assert rows[0]["tools"] == "Claude Code" and rows[0]["categories"] == "billing"
    lines = alice.get("/audit/export?format=jsonl&repo=acme/site").text.splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["direct_push"]


def test_a_user_without_access_gets_nothing_of_the_repository(world: tuple[GitHubSim, Site]) -> None:
    sim, site = world
    gabe = signed_in(site, sim, "gabe")  # globex only
    page = gabe.get("/audit?repo=acme/payments")
    assert page.status_code == 200 and "No events match" in page.text and "Approvals missing" not in page.text
    assert gabe.get("/audit").text.count('class="event ') == 1
    assert _rows(gabe.get("/audit/export?format=csv&repo=acme/payments").text) == []
    assert {r["repository"] for r in _rows(gabe.get("/audit/export?format=csv").text)} == {"globex/secret-plans"}
    eve = signed_in(site, sim, "eve")  # sees no installation
    assert _rows(eve.get("/audit/export").text) == []
    anonymous = Client(Starlette(routes=site.routes()), base_url=PUBLIC)
    for path in ("/audit", "/audit/export?format=csv"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/auth/login")


def test_the_siem_endpoint_needs_a_token_in_force(world: tuple[GitHubSim, Site], db: Database) -> None:
    _sim, site = world
    client = Client(Starlette(routes=site.routes()), base_url=PUBLIC)
    token = create_token(db, "siem")
    for headers in (
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer ptpa_guess"},
        {"Authorization": f"Basic {token}"},
        {"Authorization": f"Bearer {token}x"},
    ):
        refused = client.get("/api/audit", headers=headers)
        assert refused.status_code == 401 and "Claude" not in refused.text
        assert refused.headers["www-authenticate"].startswith("Bearer")
    auth = {"Authorization": f"Bearer {token}"}
    events = [json.loads(line) for line in client.get("/api/audit", headers=auth).text.splitlines()]
    assert len(events) == 6 and "globex/secret-plans" in {e["repository"] for e in events}  # every repository
    newer = client.get(f"/api/audit?after={events[3]['id']}", headers=auth).text.splitlines()
    assert [json.loads(line)["id"] for line in newer] == [events[4]["id"], events[5]["id"]]
    billing = client.get("/api/audit?format=csv&category=billing&since=2026-05-01", headers=auth)
    assert [r["repository"] for r in _rows(billing.text)] == ["acme/payments", "acme/payments", "globex/secret-plans"]
    assert client.get("/api/audit?after=-1", headers=auth).status_code == 400
    assert client.get("/api/audit?format=xml", headers=auth).status_code == 400
    revoke_token(db, list_tokens(db)[0].id)
    assert client.get("/api/audit", headers=auth).status_code == 401
