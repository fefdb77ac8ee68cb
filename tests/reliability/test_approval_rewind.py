"""Rewind: an owner approves commit A, then the branch is force-pushed back to an older commit C. The three-dot
compare `A...C` lists no files (C is A's ancestor), yet C is not what the owner approved: the approval must be
stale. The App on the simulator, end to end."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE, REPO, build_world, fake_runners, running_app
from tests.e2e.test_pull_request_flow import deliver, runs
from tests.ghsim import GitHubSim

RISKY = CHARGE.replace("return amount", "return amount * 0  # free for everyone")


def test_a_force_push_back_to_an_older_commit_makes_the_approval_stale(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    # C: a risky billing change; A: the risk taken out again. The owner approves A.
    pull = ghsim.state.create_pull(
        REPO,
        commits=[{"billing/charge.py": RISKY}, {"billing/charge.py": CHARGE + "\n"}],
        messages=[AI_MESSAGE, AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Fees",
    )
    older, approved = pull.commits
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        assert runs(ghsim, approved)["approvals"].conclusion == "action_required"
        bob = ghsim.state.add_review(REPO, pull.number, "bob", commit_id=approved)
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, bob.id))
        assert runs(ghsim, approved)["approvals"].conclusion == "success"

        # the attack: force-push the branch back to C, which the compare A...C shows as "behind" with no files
        ghsim.state.force_push(REPO, pull.number, older)
        deliver(
            ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize", before=approved)
        )
        compared = ghsim.state.requests("GET", rf"/compare/{approved}\.\.\.{older}$")
        assert compared, "the App asked GitHub how the head relates to the approved commit"
        approvals = runs(ghsim, older)["approvals"]
    assert approvals.conclusion == "action_required", approvals.output
    assert "Stale" in approvals.output["summary"] and "@bob" in approvals.output["summary"]


def test_an_approval_stays_fresh_when_later_commits_leave_the_category_alone(ghsim: GitHubSim, tmp_path: Path) -> None:
    """The control: the head descends from the approved commit (compare `ahead`) and no billing file changed."""
    build_world(ghsim)
    pull = ghsim.state.create_pull(
        REPO, changes={"billing/charge.py": RISKY}, messages=[AI_MESSAGE], body=AI_BODY, user="alice", title="Fees"
    )
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        bob = ghsim.state.add_review(REPO, pull.number, "bob")
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, bob.id))
        head = ghsim.state.push(REPO, pull.number, {"README.md": "# payments, with fees\n"}, message=AI_MESSAGE)
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize"))
        approvals = runs(ghsim, head)["approvals"]
    assert approvals.conclusion == "success", approvals.output
