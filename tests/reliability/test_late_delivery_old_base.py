"""A pull request retargeted from a lax branch to `main` is judged under `main`'s policy by the `edited`
delivery of the retarget. A delivery GitHub sent before the retarget (its copy of the PR still names the old
base) that arrives, or is retried, after it must not judge the head again under the old base's policy: GitHub
does not promise the order of deliveries."""

from __future__ import annotations

from pathlib import Path

from ghapp.core.decisions import Finding
from ghapp.github.policy_source import POLICY_PATH
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim
from tests.reliability.test_two_prs_one_head import deliver, head_runs

STRICT = "mode: enforce\ngates:\n  lint:\n    applies_to: all\n"
LAX = "mode: report\n"
FINDING = Finding("billing/charge.py", 3, "S105", "possible hardcoded password")


def test_a_late_delivery_naming_the_old_base_does_not_rejudge_a_retargeted_pr(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, policy=STRICT)
    state = ghsim.state
    repo = state.repo(REPO)
    state.commit(repo, {POLICY_PATH: LAX}, branch="release", parent=repo.branches["main"], message="report only")
    pull = state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        base="release",
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Refund fee",
    )
    head = pull.head_sha
    with running_app(ghsim, tmp_path, runners=fake_runners(lint=[FINDING])) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        assert head_runs(ghsim, head)["lint"].conclusion == "neutral"  # release: report only

        # a label added while the PR was still into release: GitHub's payload names base=release
        stale = ghsim.payloads.pull_request(REPO, pull.number, "labeled", label="refund", sender="alice")

        # the retarget to main: judged under main's policy, the lint finding fails the head
        with state.lock:
            pull.base_ref, pull.base_sha = "main", repo.branches["main"]
        state.clock.advance(1)
        edited = ghsim.payloads.pull_request(REPO, pull.number, "edited")
        edited["changes"] = {"base": {"ref": {"from": "release"}, "sha": {"from": repo.branches["release"]}}}
        deliver(ghsim, app, "pull_request", edited)
        assert head_runs(ghsim, head)["lint"].conclusion == "failure"

        # the label delivery arrives (or is retried) after the retarget was processed
        deliver(ghsim, app, "pull_request", stale)
        runs = head_runs(ghsim, head)
        # SAFE: the PR is into main now; its head must still fail main's lint gate
        assert runs["lint"].conclusion == "failure", (runs["lint"].conclusion, runs["lint"].output.get("title"))
        assert runs["approvals"].conclusion == "action_required", runs["approvals"].conclusion
