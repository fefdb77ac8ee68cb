"""Requested reviewers kept in step over real HTTP: a push that no longer touches billing takes back the App's
request of the billing team and a later push that touches it again asks once more; on a push after a category
was approved the App withdraws only its own requests of people who never reviewed, never a request a person
made (even of the same reviewer); the normal path never reads the requested reviewers."""

from __future__ import annotations

from pathlib import Path

from ghapp.store.audit import Filters, export
from ghapp.store.database import open_database
from tests.e2e.harness import AI_MESSAGE, CHARGE, CHARGE_AI, CODEOWNERS, REPO, build_world, fake_runners, running_app
from tests.e2e.test_pull_request_flow import ai_pull, deliver, runs
from tests.ghsim import GitHubSim


def _withdrawals(ghsim: GitHubSim, number: int) -> list[dict[str, object]]:
    return [r.body for r in ghsim.state.requests("DELETE", rf"/pulls/{number}/requested_reviewers$")]


def _events(ghsim: GitHubSim, number: int, event: str) -> list[tuple[str, str | None]]:
    pull = ghsim.state.repo(REPO).pull(number)
    assert pull is not None
    return [(e.actor, e.reviewer or e.team) for e in pull.events if e.event == event]


def test_a_push_that_drops_billing_withdraws_the_request_and_one_that_brings_it_back_asks_once(
    ghsim: GitHubSim, tmp_path: Path
) -> None:
    build_world(ghsim)
    pull = ai_pull(ghsim)
    live = ghsim.state.repo(REPO).pull(pull.number)
    assert live is not None
    opened = pull.head_sha
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        assert live.requested_teams == ["billing"]
        # the billing change is undone: the PR now only touches app/util.py
        dropped = ghsim.state.push(
            REPO, pull.number, {"billing/charge.py": CHARGE, "app/util.py": "VALUE = 2\n"}, message=AI_MESSAGE
        )
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize"))
        assert "approvals" not in runs(ghsim, dropped) or runs(ghsim, dropped)["approvals"].conclusion == "success"
        assert live.requested_teams == []
        assert _withdrawals(ghsim, pull.number) == [{"reviewers": [], "team_reviewers": ["billing"]}]
        back = ghsim.state.push(REPO, pull.number, {"billing/charge.py": CHARGE_AI}, message=AI_MESSAGE)
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize"))
        assert runs(ghsim, back)["approvals"].conclusion == "action_required"
    assert live.requested_teams == ["billing"]  # present, once
    bot = f"{ghsim.state.app_slug}[bot]"
    assert _events(ghsim, pull.number, "review_requested") == [(bot, "billing"), (bot, "billing")]
    assert _events(ghsim, pull.number, "review_request_removed") == [(bot, "billing")]
    assert len(_withdrawals(ghsim, pull.number)) == 1
    assert ghsim.state.requests("GET", r"/requested_reviewers$") == []  # first attempts: no safety read
    db = open_database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        asked = [(e.outcome, e.head_sha) for e in export(db, Filters(kind="review_request"))]
        assert asked == [("team", opened), ("withdrawn", dropped), ("team", back)]
    finally:
        db.engine.dispose()


def test_only_the_apps_own_requests_of_people_who_never_reviewed_are_withdrawn(
    ghsim: GitHubSim, tmp_path: Path
) -> None:
    build_world(ghsim, files={".github/CODEOWNERS": CODEOWNERS.replace("@acme/billing", "@bob @carol @dave @erin")})
    pull = ai_pull(ghsim)
    live = ghsim.state.repo(REPO).pull(pull.number)
    assert live is not None
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        assert sorted(live.requested_users) == ["bob", "carol", "dave", "erin"]
        carol = ghsim.state.add_review(REPO, pull.number, "carol", "COMMENTED")  # she leaves the list
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, carol.id))
        # the author asks carol again: from now on the request is the author's, not the App's
        ghsim.state.request_review(REPO, pull.number, "carol", by="alice")
        # she also takes erin's request back and asks her again in the sidebar: erin never reviewed, and her
        # request is the author's now
        ghsim.state.request_review(REPO, pull.number, "erin", by="alice", remove=True)
        ghsim.state.request_review(REPO, pull.number, "erin", by="alice")
        bob = ghsim.state.add_review(REPO, pull.number, "bob")
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, bob.id))
        assert runs(ghsim, pull.head_sha)["approvals"].conclusion == "success"
        assert _withdrawals(ghsim, pull.number) == []  # a review re-judges the approvals gate only
        # a push that leaves billing alone: bob's approval holds, so billing is satisfied on the new head
        head = ghsim.state.push(REPO, pull.number, {"app/util.py": "VALUE = 2\n"}, message=AI_MESSAGE)
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize"))
        assert runs(ghsim, head)["approvals"].conclusion == "success"
        # dave's request (the App's, unanswered) is withdrawn; carol's and erin's (the author's) stay
        assert sorted(live.requested_users) == ["carol", "erin"]
        assert _withdrawals(ghsim, pull.number) == [{"reviewers": ["dave"], "team_reviewers": []}]
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "edited"))
    assert sorted(live.requested_users) == ["carol", "erin"] and len(_withdrawals(ghsim, pull.number)) == 1
    db = open_database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        withdrawn = [e for e in export(db, Filters(kind="review_request")) if e.outcome == "withdrawn"]
        assert [e.people for e in withdrawn] == [("dave",)]
    finally:
        db.engine.dispose()
