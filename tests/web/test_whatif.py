"""What-if on the details page (in-process; Chromium drives it in test_browser): a repository admin gets the form
and a hypothetical decision beside the recorded one, from the simulate code path; nobody else gets either, a
forged or oversized POST is refused, and a run publishes nothing and records no decision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from ghapp.core.policy.located_yaml import MAX_BYTES
from ghapp.github.client import GitHubApp
from ghapp.store.audit import Filters, export
from ghapp.store.database import Database
from ghapp.store.schema import TABLES
from ghapp.web.site import Site
from ghapp.web.whatif import FORM_MAX_BYTES, parse_approvers
from tests.e2e.harness import REPO
from tests.ghsim import GitHubSim
from tests.ghsim.oauth import oauth_of
from tests.web.asgi import Client
from tests.web.test_dashboard import PUBLIC, csrf_of, signed_in
from tests.web.whatif_world import whatif_world
from tests.web.world import recording_rerun, settings_for

World = tuple[GitHubSim, Site, Any]


@pytest.fixture
def world(ghsim_inprocess: GitHubSim, db: Database, tmp_path: Path) -> Iterator[World]:
    pull = whatif_world(ghsim_inprocess, db)
    app = ghsim_inprocess.github_app()
    site = Site(
        settings_for(ghsim_inprocess, tmp_path, PUBLIC),
        recording_rerun(db, []),
        github_transport=ghsim_inprocess.transport(),
        github=lambda: app,
    )
    yield ghsim_inprocess, site, pull


def page_of(pull: Any) -> str:
    return f"/pulls/{REPO}/{pull.number}/{pull.head_sha}"


def rows(db: Database) -> dict[str, int]:
    with db.read() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0) for t in TABLES}


def writes(sim: GitHubSim) -> list[str]:
    """Every request that could change something on GitHub (a new installation token changes nothing, nor does
    a GraphQL query: only a mutation would)."""
    return [
        f"{r.method} {r.path}"
        for r in sim.state.requests()
        if r.method != "GET"
        and "/access_tokens" not in r.path
        and not (r.path == "/graphql" and not str(r.body.get("query", "")).lstrip().startswith("mutation"))
    ]


def run(client: Client, pull: Any, csrf: str | None, **fields: str) -> Any:
    data = {**({"csrf_token": csrf} if csrf is not None else {}), **fields}
    return client.post(f"{page_of(pull)}/what-if", data=data)


def test_an_admin_sees_the_hypothetical_decision_beside_the_recorded_one(world: World, db: Database) -> None:
    sim, site, pull = world
    ada = signed_in(site, sim, "ada")
    view = ada.get(page_of(pull))
    assert view.status_code == 200 and 'id="whatif-form"' in view.text
    before, asked = rows(db), len(sim.state.requests())
    answer = run(ada, pull, csrf_of(view.text), approvers="@bob, carol")
    assert answer.status_code == 200, answer.text
    result = answer.text.split('id="whatif-result"', 1)[1].split("</div>", 1)[0]
    assert "Hypothetical decision" in result and "Nothing was published" in result
    assert "with approvals from @bob, @carol" in result
    approvals = result.split('data-gate="approvals"', 1)[1].split("</tr>", 1)[0]
    assert "action_required" in approvals.split('class="hypothetical', 1)[0]  # recorded: still waiting
    assert "conclusion-success" in approvals.split('class="hypothetical', 1)[1]  # bob of @acme/billing approves
    assert "Category <strong>billing</strong>" in result and "approved by @bob</p>" in result  # carol: no owner
    assert "Not run for this head (no stored report): dependency-audit, lint, semgrep, types" in result
    assert writes(sim) == []  # no check run, review request, label or comment
    assert len(sim.state.requests()) > asked  # it did ask GitHub (the PR, the reviews, the policy...)
    after = rows(db)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"audit_events": 1}
    [event] = export(db, Filters(kind="what_if"))
    assert event.people == ("ada",) and event.outcome == "would block" and event.head_sha == pull.head_sha
    assert event.detail["approvers"] == ["bob", "carol"] and event.detail["published"] is False


def test_a_relaxed_policy_text_and_a_malformed_one(world: World) -> None:
    sim, site, pull = world
    ada = signed_in(site, sim, "ada")
    csrf = csrf_of(ada.get(page_of(pull)).text)
    relaxed = run(ada, pull, csrf, policy="mode: report\n")
    assert relaxed.status_code == 200
    assert "with the policy text below" in relaxed.text and 'id="whatif-issues"' not in relaxed.text
    assert ">mode: report\n</textarea>" in relaxed.text  # the form keeps what was sent
    broken = run(ada, pull, csrf, policy="mode: report\ngates:\n  lint:\n    sometimes: true\n")
    assert broken.status_code == 200
    issues = broken.text.split('id="whatif-issues"', 1)[1].split("</ul>", 1)[0]
    assert "<code>4:5</code>" in issues and "sometimes" in issues  # line:col of the unknown key
    assert writes(sim) == []


@pytest.mark.parametrize("login", ["walt", "rita"])
def test_a_writer_or_reader_sees_no_form_and_a_direct_post_is_refused(world: World, db: Database, login: str) -> None:
    sim, site, pull = world
    user = signed_in(site, sim, login)
    view = user.get(page_of(pull))
    assert view.status_code == 200 and "whatif" not in view.text  # the page, not the form
    before, asked, questions = rows(db), len(sim.state.requests()), site.access.asked
    refused = run(user, pull, csrf_of(view.text), approvers="bob")
    assert refused.status_code == 403 and "Only an admin" in refused.text
    assert site.access.asked == questions + 1  # the user's permissions, asked afresh with their token
    assert sim.state.requests()[asked:] == []  # nothing asked with the App's credentials
    assert rows(db) == before and writes(sim) == []


def test_a_forged_post_without_or_with_a_wrong_csrf_token_is_refused(world: World, db: Database) -> None:
    sim, site, pull = world
    ada = signed_in(site, sim, "ada")
    before, asked = rows(db), len(sim.state.requests())
    for csrf in (None, "", "not-the-token", csrf_of(signed_in(site, sim, "walt").get(page_of(pull)).text)):
        refused = run(ada, pull, csrf, approvers="bob")
        assert refused.status_code == 403 and "security token" in refused.text, csrf
    assert not [r for r in sim.state.requests()[asked:] if "/pulls/" in r.path]  # simulate never ran
    assert rows(db) == before and writes(sim) == []


def test_a_user_without_access_gets_the_pages_404_and_a_stranger_401(world: World) -> None:
    sim, site, pull = world
    olga = signed_in(site, sim, "olga")
    view = olga.get(page_of(pull))
    assert view.status_code == 404
    refused = run(olga, pull, csrf_of(olga.get("/").text), approvers="bob")  # her own, valid token
    assert refused.status_code == 404 and refused.text == view.text
    anonymous = Client(Starlette(routes=site.routes()), base_url=PUBLIC)
    assert anonymous.post(f"{page_of(pull)}/what-if", data={"approvers": "bob"}).status_code == 401
    ada = signed_in(site, sim, "ada")
    csrf = csrf_of(ada.get(page_of(pull)).text)
    assert run(ada, pull, csrf).status_code == 200
    assert ada.post(f"/pulls/{REPO}/{pull.number}/{'d' * 40}/what-if", data={"csrf_token": csrf}).status_code == 404
    assert writes(sim) == []


def test_huge_inputs_are_bounded_before_github_is_asked(world: World, db: Database) -> None:
    sim, site, pull = world
    ada = signed_in(site, sim, "ada")
    csrf = csrf_of(ada.get(page_of(pull)).text)
    before, asked = rows(db), len(sim.state.requests())
    over = run(ada, pull, csrf, policy="a" * (MAX_BYTES + 1))  # within the form's bound, over the policy cap
    assert over.status_code == 400 and "over 256 KiB" in over.text
    huge = run(ada, pull, csrf, policy="%" * FORM_MAX_BYTES)  # over the form's own bound: not even read whole
    assert huge.status_code == 413
    many = run(ada, pull, csrf, approvers=" ".join(f"u{i}" for i in range(30)))
    assert many.status_code == 400 and "At most 20" in many.text
    assert run(ada, pull, csrf, approvers="bob;rm -rf").status_code == 400
    assert not [r for r in sim.state.requests()[asked:] if "/pulls/" in r.path]
    assert rows(db) == before and writes(sim) == []


def test_the_view_costs_no_github_call_for_the_form(world: World) -> None:
    sim, site, pull = world
    ada = signed_in(site, sim, "ada")
    assert 'id="whatif-form"' in ada.get(page_of(pull)).text  # the first view asks GitHub (then cached)
    asked, questions = len(sim.state.requests()), site.access.asked
    assert 'id="whatif-form"' in ada.get(page_of(pull)).text
    assert (len(sim.state.requests()), site.access.asked) == (asked, questions)


def test_without_the_apps_credentials_the_run_says_so(world: World, tmp_path: Path) -> None:
    sim, site, pull = world
    bare = Site(site.auth.settings, recording_rerun(site.details.db, []), github_transport=sim.transport())
    ada = signed_in(bare, sim, "ada")
    answer = run(ada, pull, csrf_of(ada.get(page_of(pull)).text), approvers="bob")
    assert answer.status_code == 503 and "not configured" in answer.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ((), "")),
        ("@bob, carol  bob", (("bob", "carol"), "")),
        ("renovate[bot]", (("renovate[bot]",), "")),
        ("-bob", ((), "Not a GitHub login: '-bob'.")),
        ("a--b", ((), "Not a GitHub login: 'a--b'.")),
        ("x" * 40, ((), f"Not a GitHub login: {'x' * 40!r}.")),
    ],
)
def test_approvers_are_github_logins(text: str, expected: tuple[tuple[str, ...], str]) -> None:
    assert parse_approvers(text) == expected


def test_the_client_is_the_processes_own(world: World) -> None:
    _, site, _ = world
    assert isinstance(site.whatif._github(), GitHubApp)


def test_an_admin_demoted_on_github_is_refused_at_once(world: World) -> None:
    sim, site, pull = world
    ada = signed_in(site, sim, "ada")
    view = ada.get(page_of(pull))
    assert 'id="whatif-form"' in view.text
    oauth_of(sim.state).set_role(REPO, "ada", "write")
    assert 'id="whatif-form"' in ada.get(page_of(pull)).text  # the view's cached answer (60 s) still says admin
    refused = run(ada, pull, csrf_of(view.text), approvers="bob")  # a run asks GitHub afresh
    assert refused.status_code == 403 and writes(sim) == []
