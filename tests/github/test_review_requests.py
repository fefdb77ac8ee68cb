"""Review requests: once per head, never to the author, not to whoever GitHub lists as requested, team slugs
without the org, one by one when GitHub refuses the whole request; no read of the requested reviewers on a first
attempt, one on a retried attempt (a lost answer); and whose request stands, from the issue events."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ghapp.core.decisions import CategoryResult
from ghapp.github.request_owners import Standing, standing
from ghapp.github.review_requests import Requested, ReviewRequester, wanted
from ghapp.store import review_requests
from ghapp.store.database import open_database
from ghapp.store.migrations import upgrade
from tests.ghsim import GitHubSim, render

BILLING = CategoryResult(
    "billing",
    ("billing/x.py",),
    False,
    request_users=("alice", "dave", "ci[bot]"),
    request_teams=("acme/billing", "other-org/finance"),
)


def test_wanted_leaves_out_the_author_bots_other_orgs_and_satisfied_categories() -> None:
    done = CategoryResult("auth", ("auth/x.py",), True, request_users=("erin",))
    assert wanted([BILLING, done], "acme", "Alice") == (["dave"], ["billing"])


def test_requests_go_once_per_head(ghsim_inprocess: GitHubSim, tmp_path: Path) -> None:
    sim = ghsim_inprocess
    sim.state.create_installation("acme")
    sim.state.create_repo("acme/payments")
    sim.state.add_team_member("acme", "billing", "bob")
    pull = sim.state.create_pull("acme/payments", user="alice")
    db = open_database(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(db)

    def ask(*, force: bool = False, retried: bool = False, payload: dict[str, Any] | None = None) -> Requested:
        repo = sim.state.repo("acme/payments")
        data = payload or render.pull(sim.state, repo, pull)

        async def main() -> Requested:
            async with sim.github_app() as app:
                api = app.installation(next(iter(sim.state.installations)))
                return await ReviewRequester(api, db, "acme", "payments").request(
                    data, [BILLING], force=force, retried=retried
                )

        return asyncio.run(main())

    as_sent = render.pull(sim.state, sim.state.repo("acme/payments"), pull)  # the event's payload: nobody pending
    first = ask(payload=as_sent)
    assert first == Requested(("dave",), ("billing",), ())
    assert (pull.requested_users, pull.requested_teams) == (["dave"], ["billing"])
    assert sim.state.requests("GET", "/requested_reviewers$") == []  # the payload and the table suffice
    # a lost answer: GitHub carried the request out, the App never recorded it
    review_requests.forget(db, "acme/payments", pull.number, pull.head_sha, [("user", "dave"), ("team", "billing")])
    assert ask(retried=True, payload=as_sent) == Requested()  # the retry asks GitHub first: both are pending
    assert len(sim.state.requests("GET", "/requested_reviewers$")) == 1
    both = [("user", "dave"), ("team", "billing")]
    review_requests.record_asked(db, "acme/payments", pull.number, pull.head_sha, both)
    pull.requested_users.clear()
    pull.requested_teams.clear()
    assert ask() == Requested()  # asked on this head already
    assert ask(force=True) == Requested(("dave",), ("billing",), ())
    assert ask(force=True) == Requested()  # GitHub lists them as requested now
    sim.state.push("acme/payments", pull.number, {"x.py": "1\n"})
    pull.requested_users.clear()
    pull.requested_teams.clear()
    sim.state.teams.pop(("acme", "billing"))  # the team is gone: GitHub refuses the whole request
    again = ask()
    assert again.users == ("dave",) and again.teams == ()
    assert again.refused and again.refused[0].startswith("@acme/billing")
    assert len(sim.state.requests("POST", "/requested_reviewers$")) == 5  # 1 + 1 (forced) + 1 refused + 2 singly
    assert len(sim.state.requests("GET", "/requested_reviewers$")) == 2  # the retry, the first forced ask
    db.engine.dispose()


APP_ID = "4242"


def requested(event: str, *, user: str | None = None, team: str | None = None, app: str | None = APP_ID) -> Any:
    data: dict[str, Any] = {
        "event": event,
        "actor": {"login": "prompt-to-pr[bot]" if app else "alice", "type": "Bot" if app else "User"},
        "performed_via_github_app": {"id": int(app), "slug": "prompt-to-pr"} if app else None,
    }
    if user:
        data["requested_reviewer"] = {"login": user}
    if team:
        data["requested_team"] = {"slug": team}
    return data


def review(login: str, state: str) -> Any:
    return {"user": {"login": login}, "state": state}


@pytest.mark.parametrize(
    ("events", "reviews", "expected"),
    [
        ([requested("review_requested", user="Dave")], [], Standing.APPS),
        ([], [], Standing.NOT_APPS),  # never seen: not the App's to withdraw
        ([requested("review_requested", user="dave", app=None)], [], Standing.NOT_APPS),  # a person's
        ([requested("review_requested", user="dave", app="999")], [], Standing.NOT_APPS),  # another App's
        (
            [requested("review_requested", user="dave"), requested("review_requested", user="dave", app=None)],
            [],
            Standing.NOT_APPS,  # re-requested by a person: theirs now
        ),
        (
            [requested("review_requested", user="dave", app=None), requested("review_requested", user="dave")],
            [],
            Standing.APPS,
        ),
        (
            [requested("review_requested", user="dave"), requested("review_request_removed", user="dave", app=None)],
            [],
            Standing.NOT_APPS,  # someone took it back
        ),
        ([requested("review_requested", user="dave")], [review("DAVE", "COMMENTED")], Standing.REVIEWED),
        ([requested("review_requested", user="dave")], [review("dave", "PENDING")], Standing.APPS),  # not submitted
        ([requested("review_requested", user="erin"), {"event": "labeled"}], [], Standing.NOT_APPS),
        ([{"event": "review_requested", "actor": {"login": "x"}}], [], Standing.NOT_APPS),  # names no reviewer
    ],
)
def test_whose_request_stands(events: list[Any], reviews: list[Any], expected: Standing) -> None:
    assert standing([("user", "dave")], events, reviews, APP_ID) == {("user", "dave"): expected}


def test_a_cut_list_of_events_makes_no_request_the_apps() -> None:
    events = [requested("review_requested", user="dave")]
    assert standing([("user", "dave")], events, [], APP_ID, complete=False) == {("user", "dave"): Standing.NOT_APPS}


def test_a_team_request_stands_by_its_last_event() -> None:
    events = [requested("review_requested", team="billing"), requested("review_requested", user="billing", app=None)]
    assert standing([("team", "billing")], events, [{"user": {"login": "billing"}}], APP_ID) == {
        ("team", "billing"): Standing.APPS
    }
    assert standing([("team", "billing")], events, [], "") == {("team", "billing"): Standing.NOT_APPS}
