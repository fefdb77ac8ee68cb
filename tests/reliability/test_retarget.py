"""Retargets, the App on the simulator end to end. Tool reports are stored per head commit: after a PR into
`release` is retargeted to `main`, whose diff to the same head holds a risky file `release` already had, the
stored report must not speak for the new diff. An approval given before the retarget does not approve what the
new base adds. And a delivery GitHub sent before the retarget (its copy of the PR still names the old base) that
arrives, or is retried, after it does not judge the head again under the old base's policy: GitHub does not
promise the order of deliveries."""

from __future__ import annotations

from pathlib import Path

from ghapp.core.decisions import Finding
from ghapp.github.policy_source import POLICY_PATH
from tests.e2e.harness import (
    AI_BODY,
    AI_MESSAGE,
    CHARGE_AI,
    REPO,
    FakeRunner,
    build_world,
    fake_runners,
    running_app,
)
from tests.e2e.test_pull_request_flow import deliver, runs
from tests.ghsim import GitHubSim
from tests.ghsim.state import Pull
from tests.reliability.test_two_prs_one_head import head_runs

RISK = Finding("app/risky.py", 1, "S307", "eval of input")


def test_a_retargeted_pull_request_has_the_files_its_diff_gained_checked(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, policy="gates:\n  lint:\n    applies_to: all\n")
    state = ghsim.state
    repo = state.repo(REPO)
    state.commit(
        repo,
        {"app/risky.py": "eval(input())\n"},
        branch="release",
        parent=repo.branches["main"],
        message="Risky helper",
    )
    pull = state.create_pull(
        REPO,
        changes={"app/small.py": "VALUE = 2\n"},
        base="release",
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Small change",
    )
    lint, *others = fake_runners(lint=[RISK])
    assert isinstance(lint, FakeRunner)
    with running_app(ghsim, tmp_path, runners=(lint, *others)) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        assert lint.calls == [("app/small.py",)]
        assert runs(ghsim, pull.head_sha)["lint"].conclusion == "success"

        # the attack: retarget to main, whose diff to the same head also holds app/risky.py
        deliver(ghsim, app, "pull_request", ghsim.payloads.retargeted(REPO, pull.number, "main"))
        assert lint.calls == [("app/small.py",), ("app/risky.py",)]  # the tool ran on the file it had not seen
        checked = runs(ghsim, pull.head_sha)["lint"]
        assert checked.conclusion == "failure", checked.output
        assert any(a["path"] == "app/risky.py" for a in checked.annotations)
        assert "on 2 files" in checked.output["summary"]  # the stored run and the new one, joined

        # retargeted back to release: the joined report covers that diff, so nothing runs again
        deliver(ghsim, app, "pull_request", ghsim.payloads.retargeted(REPO, pull.number, "release"))
        assert len(lint.calls) == 2
        assert runs(ghsim, pull.head_sha)["lint"].conclusion == "success"  # risky.py is not in this diff


BACKDOOR = "def charge_for(user: str, amount: int) -> int:\n    return 0 if user == 'mallory' else amount\n"


def test_an_approval_given_before_a_retarget_does_not_approve_what_the_new_base_adds(
    ghsim: GitHubSim, tmp_path: Path
) -> None:
    """bob approves a billing change into `release`, which already holds billing/backdoor.py; the PR is then
    retargeted to `main`, which does not. Same head, another diff: the backdoor file is now part of what merges,
    and bob never saw it in this PR."""
    build_world(ghsim)
    state = ghsim.state
    repo = state.repo(REPO)
    state.commit(repo, {"billing/backdoor.py": BACKDOOR}, branch="release", parent=repo.branches["main"])
    pull = _refund_into_release(ghsim)
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        bob = state.add_review(REPO, pull.number, "bob", commit_id=pull.head_sha)
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, bob.id))
        assert runs(ghsim, pull.head_sha)["approvals"].conclusion == "success"

        state.clock.advance(60)
        deliver(ghsim, app, "pull_request", ghsim.payloads.retargeted(REPO, pull.number, "main"))
        approvals = runs(ghsim, pull.head_sha)["approvals"]
        assert "billing/backdoor.py" in approvals.output["summary"]
        assert approvals.conclusion == "action_required", approvals.output["summary"]
        assert (
            "Stale (the files or the base changed after they approved; approve again): @bob"
            in (approvals.output["summary"])
        )

        state.clock.advance(60)  # bob looks at the new diff and approves again: it counts
        again = state.add_review(REPO, pull.number, "bob", commit_id=pull.head_sha)
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, again.id))
        assert runs(ghsim, pull.head_sha)["approvals"].conclusion == "success"


def _refund_into_release(ghsim: GitHubSim) -> Pull:
    """Alice's AI-written change to billing/charge.py, into `release`."""
    return ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        base="release",
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Refund fee",
    )


STRICT = "mode: enforce\ngates:\n  lint:\n    applies_to: all\n"
LAX = "mode: report\n"
FINDING = Finding("billing/charge.py", 3, "S105", "possible hardcoded password")


def test_a_late_delivery_naming_the_old_base_does_not_rejudge_a_retargeted_pr(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, policy=STRICT)
    state = ghsim.state
    repo = state.repo(REPO)
    state.commit(repo, {POLICY_PATH: LAX}, branch="release", parent=repo.branches["main"], message="report only")
    pull = _refund_into_release(ghsim)
    head = pull.head_sha
    with running_app(ghsim, tmp_path, runners=fake_runners(lint=[FINDING])) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        assert head_runs(ghsim, head)["lint"].conclusion == "neutral"  # release: report only

        # a label added while the PR was still into release: GitHub's payload names base=release
        stale = ghsim.payloads.pull_request(REPO, pull.number, "labeled", label="refund", sender="alice")

        # the retarget to main: judged under main's policy, the lint finding fails the head
        state.clock.advance(1)
        deliver(ghsim, app, "pull_request", ghsim.payloads.retargeted(REPO, pull.number, "main"))
        assert head_runs(ghsim, head)["lint"].conclusion == "failure"

        # the label delivery arrives (or is retried) after the retarget was processed
        deliver(ghsim, app, "pull_request", stale)
        runs = head_runs(ghsim, head)
        # the PR is into main now: its head still fails main's lint gate
        assert runs["lint"].conclusion == "failure", (runs["lint"].conclusion, runs["lint"].output.get("title"))
        assert runs["approvals"].conclusion == "action_required", runs["approvals"].conclusion
