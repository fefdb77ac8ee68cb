"""GraphQL answering less than everything: a connection cut by GitHub's resource limits (partial data and an
error), its points spent (`RATE_LIMITED` in a 200), a 404 (a GitHub without GraphQL), an error it calls
permanent. None of it may read as "no commits" (AI detection evaded) or "no reviews": the App reads REST
instead and publishes exactly what a fault-free run publishes. The App on the simulator, end to end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.harness import AI_MESSAGE, CHARGE_AI, REPO, build_world, fake_runners, running_app
from tests.e2e.test_pull_request_flow import deliver, runs
from tests.ghsim import GitHubSim


def spend(sim: GitHubSim) -> None:
    """The installation's GraphQL points used up for the hour (REST's calls untouched)."""
    with sim.state.lock:
        for bucket in sim.state.buckets.values():
            if bucket.resource == "graphql":
                bucket.remaining = 0


SCENARIOS: dict[str, Callable[[GitHubSim], None]] = {
    "commits cut": lambda sim: sim.state.graphql_cuts.add("commits"),
    "reviews cut": lambda sim: sim.state.graphql_cuts.add("reviews"),
    "events cut": lambda sim: sim.state.graphql_cuts.add("timelineItems"),
    "points spent": spend,
    "no GraphQL (404)": lambda sim: sim.faults.add("^/graphql$", "5xx", count=None, status=404),
    "permanent error (410)": lambda sim: sim.faults.add("^/graphql$", "5xx", count=None, status=410),
}


def judged(sim: GitHubSim, app: object, number: int, head: str) -> dict[str, str | None]:
    deliver(sim, app, "pull_request", sim.payloads.pull_request(REPO, number, "opened"))  # type: ignore[arg-type]
    review = sim.state.add_review(REPO, number, "bob")
    deliver(sim, app, "pull_request_review", sim.payloads.pull_request_review(REPO, number, review.id))  # type: ignore[arg-type]
    return {gate: run.conclusion for gate, run in runs(sim, head).items()}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_an_incomplete_graphql_answer_changes_no_conclusion(ghsim: GitHubSim, tmp_path: Path, scenario: str) -> None:
    build_world(ghsim)
    # the AI evidence is in the commit alone (a plain title and body): missing commits would hide it
    first = ghsim.state.create_pull(
        REPO, changes={"billing/charge.py": CHARGE_AI}, messages=[AI_MESSAGE], body="Fees.", user="alice"
    )
    second = ghsim.state.create_pull(
        REPO, changes={"billing/charge.py": CHARGE_AI + "\n"}, messages=[AI_MESSAGE], body="Fees.", user="alice"
    )
    ghsim.state.label_by_hand(REPO, second.number, "ai-generated", "carol")
    ghsim.state.label_by_hand(REPO, first.number, "ai-generated", "carol")
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        baseline = judged(ghsim, app, first.number, first.head_sha)
        assert baseline["provenance"] != "success" and baseline["approvals"] == "success"
        SCENARIOS[scenario](ghsim)
        ghsim.state.log.clear()
        seen = judged(ghsim, app, second.number, second.head_sha)
        assert seen == baseline, scenario
        assert ghsim.state.requests("POST", "^/graphql$"), "GraphQL was never asked"
        assert ghsim.state.requests("GET", r"/pulls/\d+/reviews$"), "the reviews were not read through REST"
        labels = ghsim.state.repo(REPO).pull(second.number).labels  # type: ignore[union-attr]
        assert "ai-generated" in labels  # a hand label is never removed, events read or not
