"""The policy and CODEOWNERS come from the base BRANCH. Git resolves a bare name as a tag before a branch
(gitrevisions: refs/tags/<name> comes before refs/heads/<name>), and GitHub's `object(expression:)` takes a
rev-parse expression: whoever may push a tag named `main` (tags are seldom protected) would choose the policy
a PR into `main` is judged by, unless the App names the branch by its full ref."""

from __future__ import annotations

from pathlib import Path

from ghapp.core.decisions import Finding
from ghapp.github.contents import revision
from ghapp.github.policy_source import POLICY_PATH
from ghapp.github.pull_query import _expression
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim
from tests.reliability.test_two_prs_one_head import deliver, head_runs

STRICT = "mode: enforce\ngates:\n  lint:\n    applies_to: all\n"
LAX = "mode: report\napprovals: null\n"
FINDING = Finding("billing/charge.py", 3, "S105", "possible hardcoded password")


def test_a_branch_is_named_by_its_full_ref_and_a_commit_by_its_sha() -> None:
    assert revision("main") == "refs/heads/main"
    assert revision("release/2.x") == "refs/heads/release/2.x"
    assert revision("refs/heads/main") == "refs/heads/main"
    assert revision("a" * 40) == "a" * 40
    assert revision(None) is None
    assert _expression("main", "/.github/prompt-to-pr.yml") == "refs/heads/main:.github/prompt-to-pr.yml"
    assert _expression(None, "CODEOWNERS") == "HEAD:CODEOWNERS"


def test_the_simulator_resolves_a_bare_name_as_git_does(ghsim: GitHubSim) -> None:
    build_world(ghsim, policy=STRICT)
    repo = ghsim.state.repo(REPO)
    branch = repo.branches["main"]
    tagged = ghsim.state.commit(repo, {POLICY_PATH: LAX}, branch="lax", parent=branch, message="lax")
    repo.tags["main"] = tagged
    assert repo.resolve("main") == tagged  # a tag first, as rev-parse
    assert repo.resolve("refs/heads/main") == repo.resolve("heads/main") == branch
    assert repo.resolve("refs/tags/main") == tagged
    assert repo.resolve(None) == branch  # the default branch


def test_a_tag_named_like_the_base_branch_does_not_choose_the_policy(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, policy=STRICT)
    state = ghsim.state
    repo = state.repo(REPO)
    # a commit with a lax policy, on no protected branch, tagged `main`
    lax = state.commit(repo, {POLICY_PATH: LAX}, branch="lax", parent=repo.branches["main"], message="lax")
    with state.lock:
        repo.tags["main"] = lax
    pull = state.create_pull(
        REPO, changes={"billing/charge.py": CHARGE_AI}, messages=[AI_MESSAGE], body=AI_BODY, user="alice"
    )
    with running_app(ghsim, tmp_path, runners=fake_runners(lint=[FINDING])) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        runs = head_runs(ghsim, pull.head_sha)
    # judged by main's policy: the lint finding fails the head, billing/ needs its owners
    assert runs["lint"].conclusion == "failure", (runs["lint"].conclusion, runs["lint"].output.get("title"))
    assert runs["approvals"].conclusion == "action_required", runs["approvals"].conclusion
