"""Two pull requests, one head: a check run belongs to a commit, so a PR into a laxer branch must never make the
head pass the checks a PR into `main` must pass.

The attack: an AI-written change with a lint finding on `billing/` is opened into `main` (enforce mode, billing
approvals) and fails there; the same branch is then opened into `release`, whose policy is `mode: report`.
That second PR is judged neutral everywhere; when it wrote the head's runs, the head passed. Then "Re-run"
on a check followed only the PR number stored on the run. The App keeps each open PR's word per gate and shows
the strictest, re-runs judge every open PR with the head, and a closed PR stops counting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ghapp.core.decisions import Finding
from ghapp.github.policy_source import POLICY_PATH
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, AppServer, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim
from tests.ghsim.state import CheckRun

STRICT = "mode: enforce\ngates:\n  lint:\n    applies_to: all\n"
LAX = "mode: report\n"
FINDING = Finding("billing/charge.py", 3, "S105", "possible hardcoded password")


def deliver(sim: GitHubSim, app: AppServer, event: str, payload: dict[str, Any]) -> None:
    assert sim.send_webhook(app.url, event, payload).status_code == 202
    app.idle()


def head_runs(sim: GitHubSim, head: str) -> dict[str, CheckRun]:
    own = [r for r in sim.state.check_runs_for(REPO, head) if r.app_id == sim.state.app_id]
    runs = {r.name.removeprefix("prompt-to-pr / "): r for r in own}
    assert len(runs) == len(own), "one run per gate on the head"
    return runs


def test_a_pr_into_a_lax_branch_cannot_pass_the_head_of_a_pr_into_main(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, policy=STRICT)
    repo = ghsim.state.repo(REPO)
    ghsim.state.commit(
        repo, {POLICY_PATH: LAX}, branch="release", parent=repo.branches["main"], message="Release branch: report only"
    )
    into_main = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Refund fee",
    )
    into_release = ghsim.state.open_pull(
        REPO, head=into_main.head_ref, base="release", body=AI_BODY, user="alice", title="Refund fee (release)"
    )
    head = into_main.head_sha
    assert into_release.head_sha == head
    runners = fake_runners(lint=[FINDING])
    lint = runners[0]
    with running_app(ghsim, tmp_path, runners=runners) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, into_main.number))
        assert head_runs(ghsim, head)["lint"].conclusion == "failure"
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, into_release.number))

        runs = head_runs(ghsim, head)
        assert runs["lint"].conclusion == "failure", runs["lint"].output  # not the release PR's neutral
        assert runs["approvals"].conclusion == "action_required"  # the billing team must still approve
        summary = runs["lint"].output["summary"]
        assert f"#{into_main.number} (shown) | failure" in summary and f"#{into_release.number} | neutral" in summary

        # "Re-run" on the lint check, whose run the release PR wrote last: every open PR with the head is judged
        calls = len(lint.calls)
        deliver(ghsim, app, "check_run", ghsim.payloads.check_run(REPO, runs["lint"].id, "rerequested"))
        assert len(lint.calls) == calls + 2, "the tools ran again for both pull requests"
        assert head_runs(ghsim, head)["lint"].conclusion == "failure"

        # once the PR into main is closed, only the release PR speaks for the head
        into_main.state = "closed"
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, into_main.number, "closed"))
        runs = head_runs(ghsim, head)
        assert runs["lint"].conclusion == "neutral" and runs["approvals"].conclusion == "neutral"
        # and reopened, it speaks again
        into_main.state = "open"
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, into_main.number, "reopened"))
        runs = head_runs(ghsim, head)
        assert runs["lint"].conclusion == "failure" and runs["approvals"].conclusion == "action_required"


def test_a_pr_that_moves_to_another_head_stops_speaking_for_the_old_one(ghsim: GitHubSim, tmp_path: Path) -> None:
    """The strict PR pushes a fix: its old head (still the lax PR's head) shows only the lax PR's word."""
    build_world(ghsim, policy=STRICT)
    repo = ghsim.state.repo(REPO)
    ghsim.state.commit(repo, {POLICY_PATH: LAX}, branch="release", parent=repo.branches["main"])
    into_main = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        head="alice/fee",
    )
    old_head = into_main.head_sha
    repo.branches["alice/fee-release"] = old_head  # another branch at the same commit
    into_release = ghsim.state.open_pull(REPO, head="alice/fee-release", base="release", body=AI_BODY, user="alice")
    with running_app(ghsim, tmp_path, runners=fake_runners(lint=[FINDING])) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, into_main.number))
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, into_release.number))
        assert head_runs(ghsim, old_head)["lint"].conclusion == "failure"
        ghsim.state.push(REPO, into_main.number, {"app/util.py": "VALUE = 2\n"})
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, into_main.number, "synchronize"))
        assert head_runs(ghsim, old_head)["lint"].conclusion == "neutral"
        assert head_runs(ghsim, into_main.head_sha)["lint"].conclusion == "failure"
