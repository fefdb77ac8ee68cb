"""The details page of a pull request head (in-process; Chromium opens it in test_browser): everything the
decision recorded, from one stored document, only for users who can see the repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from ghapp.store.database import Database
from ghapp.web.render import markdown
from ghapp.web.site import Site
from tests.ghsim import GitHubSim
from tests.web.asgi import Client
from tests.web.test_dashboard import PUBLIC, signed_in
from tests.web.world import HEAD, recording_rerun, seed, settings_for, simulator_world

PAGE = f"/pulls/acme/payments/7/{HEAD}"


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


def section(html: str, start: str, end: str) -> str:
    return html.split(f'id="{start}"', 1)[1].split(f'id="{end}"', 1)[0]


def test_the_page_shows_what_the_decision_recorded(world: tuple[GitHubSim, Site]) -> None:
    sim, site = world
    alice = signed_in(site, sim, "alice")
    page = alice.get(PAGE)
    assert page.status_code == 200
    html = page.text
    gates = section(html, "gates", "verdict")
    order = [gates.index(f'data-gate="{name}"') for name in ("provenance", "approvals", "lint", "semgrep")]
    assert order == sorted(order)
    assert "AI-generated: Claude Code" in gates
    assert "<strong>Verdict:</strong> AI-generated (Claude Code)" in gates  # the summary as GitHub renders it
    verdict = section(html, "verdict", "categories")
    assert "Claude-Session: https://claude.ai/code/session_01" in verdict and "🤖 Generated with Claude Code" in verdict
    billing = html.split('data-category="billing"', 1)[1].split('data-category="auth"', 1)[0]
    for text in (
        "billing/refund.py",
        "1 more of @acme/security",
        "@acme/security",
        "@bob",
        "@carol (files changed since)",
        "@mallory: opened the pull request",
        "@mallory: is the author",
    ):
        assert text in billing, text
    assert '<dd class="vetoing">@sam</dd>' in html.split('data-category="auth"', 1)[1]
    findings = section(html, "findings", "overrides")
    assert findings.count('class="finding"') == 2 and "python.secrets.hardcoded-key" in findings
    assert findings.index("line 3") < findings.index("line 12")  # by line within the file
    overrides = section(html, "overrides", "policy")
    assert "generated file, checked by hand" in overrides and "accepted" in overrides
    layers = html.split('id="layers"', 1)[1]
    assert layers.index("policies/default.yml") < layers.index("acme/.github") < layers.index("acme/payments:")
    # without a head, the newest head recorded
    assert alice.get("/pulls/acme/payments/7").text == html


def test_summaries_render_as_markdown_and_text_from_a_pull_request_stays_text() -> None:
    html = str(markdown("| a | b |\n|---|---|\n| <script>x</script> | [x](javascript:alert(1)) |\n\n**bold** &lt;"))
    assert "<table>" in html and "<strong>bold</strong>" in html and "&lt;script&gt;" in html
    assert "<script>" not in html
    assert 'href="javascript' not in html


def test_one_stored_document_and_no_github_call(world: tuple[GitHubSim, Site], db: Database) -> None:
    sim, site = world
    alice = signed_in(site, sim, "alice")
    before = len(sim.state.requests())
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert alice.get(PAGE).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    details_reads = [s for s in statements if "pull_details" in s]
    assert len(details_reads) == 1
    assert len(sim.state.requests()) == before


def test_a_user_who_cannot_see_the_repository_gets_404(world: tuple[GitHubSim, Site]) -> None:
    sim, site = world
    gabe = signed_in(site, sim, "gabe")
    refused = gabe.get(PAGE)
    assert refused.status_code == 404 and "Claude" not in refused.text and "billing" not in refused.text
    assert refused.text == gabe.get("/pulls/acme/payments/999").text  # the same as a PR never judged
    assert gabe.get("/pulls/globex/secret-plans/3").status_code == 200
    alice = signed_in(site, sim, "alice")
    assert alice.get("/pulls/globex/secret-plans/3").status_code == 404
    assert alice.get(f"/pulls/acme/payments/7/{'d' * 40}").status_code == 404  # a head never judged
    anonymous = Client(Starlette(routes=site.routes()), base_url=PUBLIC)
    answer = anonymous.get(PAGE)
    assert answer.status_code == 303 and answer.headers["location"] == f"/auth/login?next={PAGE}"
