"""Review requests: once per head, never to the author, not to whoever GitHub lists as requested, team slugs
without the org, one by one when GitHub refuses the whole request."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ghapp.core.decisions import CategoryResult
from ghapp.github.review_requests import Requested, ReviewRequester, wanted
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

    def ask(*, force: bool = False) -> Requested:
        repo = sim.state.repo("acme/payments")
        data = render.pull(sim.state, repo, pull)

        async def main() -> Requested:
            async with sim.github_app() as app:
                api = app.installation(next(iter(sim.state.installations)))
                return await ReviewRequester(api, db, "acme", "payments").request(data, [BILLING], force=force)

        return asyncio.run(main())

    first = ask()
    assert first == Requested(("dave",), ("billing",), ())
    assert (pull.requested_users, pull.requested_teams) == (["dave"], ["billing"])
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
    db.engine.dispose()
