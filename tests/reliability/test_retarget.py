"""Retarget: tool reports are stored per head commit. A PR into `release` is checked (its diff: one harmless
file); then it is retargeted to `main`, and its diff gains a risky file that `release` already had. The stored
report of the head must not speak for the new diff: the tool runs again and finds the risky file. The App on
the simulator, end to end."""

from __future__ import annotations

from pathlib import Path

from ghapp.core.decisions import Finding
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
        with state.lock:
            pull.base_ref, pull.base_sha = "main", repo.branches["main"]
        payload = ghsim.payloads.pull_request(REPO, pull.number, "edited")
        payload["changes"] = {"base": {"ref": {"from": "release"}, "sha": {"from": repo.branches["release"]}}}
        deliver(ghsim, app, "pull_request", payload)
        assert lint.calls == [("app/small.py",), ("app/risky.py",)]  # the tool ran on the file it had not seen
        checked = runs(ghsim, pull.head_sha)["lint"]
        assert checked.conclusion == "failure", checked.output
        assert any(a["path"] == "app/risky.py" for a in checked.annotations)
        assert "on 2 files" in checked.output["summary"]  # the stored run and the new one, joined

        # retargeted back to release: the joined report covers that diff, so nothing runs again
        with state.lock:
            pull.base_ref, pull.base_sha = "release", repo.branches["release"]
        payload = ghsim.payloads.pull_request(REPO, pull.number, "edited")
        payload["changes"] = {"base": {"ref": {"from": "main"}, "sha": {"from": repo.branches["main"]}}}
        deliver(ghsim, app, "pull_request", payload)
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
    pull = state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        base="release",
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Refund fee",
    )
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        bob = state.add_review(REPO, pull.number, "bob", commit_id=pull.head_sha)
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, bob.id))
        assert runs(ghsim, pull.head_sha)["approvals"].conclusion == "success"

        state.clock.advance(60)
        old = state.retarget(REPO, pull.number, "main")
        edited = ghsim.payloads.pull_request(REPO, pull.number, "edited")
        edited["changes"] = {"base": {"ref": {"from": old}, "sha": {"from": repo.branches[old]}}}
        deliver(ghsim, app, "pull_request", edited)
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
