"""End to end on the simulator: nobody who took part in a change approves it (co-authors, an agent's launcher,
pushers), and an owner's change request blocks the category until that owner approves or it is dismissed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ghapp.github.api import ISSUE_EVENTS_CAP
from tests.e2e.harness import (
    AI_BODY,
    AI_MESSAGE,
    CHARGE_AI,
    ORG,
    REPO,
    AppServer,
    build_world,
    fake_runners,
    running_app,
)
from tests.ghsim import GitHubSim
from tests.ghsim.state import CheckRun, Pull


def deliver(sim: GitHubSim, app: AppServer, event: str, payload: dict[str, Any]) -> None:
    delivery = sim.send_webhook(app.url, event, payload)
    assert delivery.status_code == 202, delivery.response_body
    app.idle()


def approvals(sim: GitHubSim, head: str) -> CheckRun:
    return next(run for run in sim.state.check_runs_for(REPO, head) if run.name == "prompt-to-pr / approvals")


def review(sim: GitHubSim, app: AppServer, number: int, login: str, state: str = "APPROVED") -> CheckRun:
    submitted = sim.state.add_review(REPO, number, login, state)
    deliver(sim, app, "pull_request_review", sim.payloads.pull_request_review(REPO, number, submitted.id))
    pull = sim.state.repo(REPO).pull(number)
    assert pull is not None
    return approvals(sim, pull.head_sha)


def test_a_co_authors_approval_does_not_count(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    ghsim.state.add_team_member(ORG, "billing", "bea")
    message = AI_MESSAGE + "\nCo-authored-by: Bob <4175913+bob@users.noreply.github.com>"
    pull = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=[message],
        body=AI_BODY,
        user="alice",
        title="Refund fee",
    )
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        check = review(ghsim, app, pull.number, "bob")  # bob is in the billing team, and co-wrote the change
        assert check.conclusion == "action_required"
        summary = check.output["summary"]
        assert "Not counted: @bob: is named in a Co-authored-by trailer of a commit" in summary
        assert "Cannot approve, having taken part in the change: @bob" in summary
        assert "Claude" not in summary.split("Cannot approve", 1)[1]  # an AI co-author is not a person
        assert review(ghsim, app, pull.number, "bea").conclusion == "success"


def test_an_agents_launcher_and_a_pusher_cannot_approve(ghsim: GitHubSim, tmp_path: Path) -> None:
    """Copilot opens the PR after bob assigned it the work; then pat pushes a fix to its branch."""
    build_world(ghsim)
    ghsim.state.add_team_member(ORG, "billing", "pat")
    ghsim.state.add_team_member(ORG, "billing", "bea")
    pull = _copilots_pull(ghsim)
    ghsim.state.assign(REPO, pull.number, "Copilot", by="bob")
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        check = review(ghsim, app, pull.number, "bob")
        assert check.conclusion == "action_required"
        assert "Not counted: @bob: assigned the pull request to an agent" in check.output["summary"]

        ghsim.state.push(
            REPO, pull.number, {"billing/charge.py": CHARGE_AI + "\nLIMIT = 10\n"}, author="pat", message="Cap the fee"
        )
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize", sender="pat"))
        check = review(ghsim, app, pull.number, "pat")
        assert check.conclusion == "action_required"
        assert (
            "Not counted: @pat: authored or committed a commit of the pull request; pushed to the pull request's branch"
        ) in check.output["summary"]
        assert "@bob: assigned the pull request to an agent" in check.output["summary"]
        assert review(ghsim, app, pull.number, "bea").conclusion == "success"


def test_a_pusher_who_wrote_no_commit_still_cannot_approve(ghsim: GitHubSim, tmp_path: Path) -> None:
    """Pushing someone else's commits (a rebase, a cherry-pick) is taking part too."""
    build_world(ghsim)
    ghsim.state.add_team_member(ORG, "billing", "bea")
    pull = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=["Add a refund fee"],
        body="Adds the refund fee.",
        user="alice",
    )
    ghsim.state.push(REPO, pull.number, {"billing/charge.py": CHARGE_AI + "\n"}, author="alice", message="Tidy")
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize", sender="bob"))
        check = review(ghsim, app, pull.number, "bob")
        assert check.conclusion == "action_required"
        assert "Not counted: @bob: pushed to the pull request's branch" in check.output["summary"]


def test_an_owners_change_request_blocks_until_they_approve(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    ghsim.state.add_team_member(ORG, "billing", "bea")
    pull = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=["Add a refund fee"],
        body="Adds the refund fee.",
        user="alice",
    )
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        assert review(ghsim, app, pull.number, "bea", "CHANGES_REQUESTED").conclusion == "action_required"
        check = review(ghsim, app, pull.number, "bob")  # another owner's approval does not outvote bea
        assert check.conclusion == "action_required"
        assert "@bea requested changes" in check.output["summary"] and "Approved by: @bob" in check.output["summary"]
        assert review(ghsim, app, pull.number, "carol", "CHANGES_REQUESTED").conclusion == "action_required"
        assert review(ghsim, app, pull.number, "bea").conclusion == "success"  # carol owns nothing here


def _copilots_pull(ghsim: GitHubSim) -> Pull:
    return ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=["Add a refund fee"],
        body="Adds the refund fee.",
        user="copilot-swe-agent[bot]",
        title="Refund fee",
    )


def _launchers_review(ghsim: GitHubSim, tmp_path: Path, labels: int) -> CheckRun:
    """bob (a billing owner) labels Copilot's PR `labels` times, assigns it to Copilot, then approves it."""
    build_world(ghsim)
    pull = _copilots_pull(ghsim)
    for _ in range(labels):  # `labeled` events the App reads before the assignment
        ghsim.state.label_by_hand(REPO, pull.number, "wip", "bob")
    ghsim.state.assign(REPO, pull.number, "Copilot", by="bob")
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        return review(ghsim, app, pull.number, "bob")


def test_a_launcher_hidden_past_the_events_the_app_reads_still_cannot_approve(ghsim: GitHubSim, tmp_path: Path) -> None:
    """The App reads a PR's events oldest first up to ISSUE_EVENTS_CAP: 3,000 labels added first would push the
    assignment past that read. With the events read to the cap, who took part is unknown."""
    check = _launchers_review(ghsim, tmp_path, ISSUE_EVENTS_CAP)
    assert (check.conclusion, check.output["title"]) == (
        "failure",
        "The event list is incomplete: who took part is unknown",
    ), check.output["summary"]


def test_a_launcher_behind_a_few_labels_is_seen(ghsim: GitHubSim, tmp_path: Path) -> None:
    assert _launchers_review(ghsim, tmp_path, 10).conclusion == "action_required"
