"""The launcher of an agent (whoever assigned the PR to it) may not approve the agent's PR. The App learns who
launched it from the PR's events, read oldest first up to 3,000 (ISSUE_EVENTS_CAP): anyone who may label the PR
could push the `assigned` event past that read by adding a label 3,000 times first. With the events read to the
cap, who took part is unknown and an approval of a matched category cannot pass."""

from __future__ import annotations

from pathlib import Path

from ghapp.github.api import ISSUE_EVENTS_CAP
from tests.e2e.harness import CHARGE_AI, REPO, build_world, fake_runners, running_app
from tests.e2e.test_separation_of_duties import deliver, review
from tests.ghsim import GitHubSim


def test_a_launcher_hidden_past_the_event_cap_still_cannot_approve(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    pull = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=["Add a refund fee"],
        body="Adds the refund fee.",
        user="copilot-swe-agent[bot]",
        title="Refund fee",
    )
    for _ in range(ISSUE_EVENTS_CAP):  # label noise: `labeled` events the App reads before the assignment
        ghsim.state.label_by_hand(REPO, pull.number, "wip", "bob")
    ghsim.state.assign(REPO, pull.number, "Copilot", by="bob")  # bob (billing owner) launches the agent
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        check = review(ghsim, app, pull.number, "bob")
    assert (check.conclusion, check.output["title"]) == (
        "failure",
        "The event list is incomplete: who took part is unknown",
    ), check.output["summary"]


def test_control_the_launcher_is_seen_without_the_noise(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    pull = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=["Add a refund fee"],
        body="Adds the refund fee.",
        user="copilot-swe-agent[bot]",
        title="Refund fee",
    )
    for _ in range(10):
        ghsim.state.label_by_hand(REPO, pull.number, "wip", "bob")
    ghsim.state.assign(REPO, pull.number, "Copilot", by="bob")
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        check = review(ghsim, app, pull.number, "bob")
    assert check.conclusion == "action_required", check.output["summary"]
