"""A world for the what-if: the simulator's `acme/payments` with an AI-written pull request on billing (the
end-to-end world), the App's records of it (installation, repository, the head's details page), and users of
each permission: ada administers the repository, walt writes, rita reads, olga sees nothing of acme."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import insert

from ghapp.enforcement.records import details_page
from ghapp.store import details
from ghapp.store.database import Database
from ghapp.store.installations import INSTALLATIONS, REPOSITORIES
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world
from tests.ghsim import GitHubSim
from tests.ghsim.oauth import oauth_of
from tests.web.world import T0, judged_decision


def whatif_world(sim: GitHubSim, db: Database) -> Any:
    """Returns the pull request (its head is the page's head)."""
    installation_id = build_world(sim)
    pull = sim.state.create_pull(
        REPO, changes={"billing/charge.py": CHARGE_AI}, messages=[AI_MESSAGE], body=AI_BODY, user="mallory"
    )
    oauth = oauth_of(sim.state)
    for login in ("ada", "walt", "rita"):
        oauth.add_member("acme", login)
    oauth.set_role(REPO, "ada", "admin")
    oauth.set_role(REPO, "walt", "write")
    with db.write() as conn:
        conn.execute(
            insert(INSTALLATIONS),
            [
                {
                    "id": installation_id,
                    "account_login": "acme",
                    "account_type": "Organization",
                    "suspended": False,
                    "created_at": T0,
                    "updated_at": T0,
                }
            ],
        )
        conn.execute(
            insert(REPOSITORIES),
            [{"id": 1, "installation_id": installation_id, "full_name": REPO, "private": True, "removed": False}],
        )
        decision = replace(judged_decision(), head_sha=pull.head_sha)
        document = details_page(
            decision, [g.gate for g in decision.gates], author="mallory", sources=("policies/default.yml",), said=[]
        )
        details.save(conn, REPO, pull.number, pull.head_sha, document)
    return pull
