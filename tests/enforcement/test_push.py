"""Direct pushes: which branches are watched, a cut-short commit list re-read through compare, report mode,
and "Re-run" on a push's check judging it again under the current policy."""

from __future__ import annotations

import pytest

from ghapp.enforcement import push as push_module
from tests.e2e.harness import AI_MESSAGE, CHARGE_AI, REPO, build_world
from tests.enforcement.conftest import Driver
from tests.enforcement.test_pull_request import runs


def _push(driver: Driver, branch: str = "main", *, human_first: bool = False) -> tuple[str, str]:
    repo = driver.sim.state.repo(REPO)
    before = repo.branches.get(branch) or repo.branches["main"]
    if human_first:
        driver.sim.state.commit(
            repo, {"README.md": "# x\n"}, branch=branch, message="Docs", author="alice", parent=before
        )
    after = driver.sim.state.commit(
        repo,
        {"billing/charge.py": CHARGE_AI},
        branch=branch,
        message=AI_MESSAGE,
        author="alice",
        parent=repo.branches.get(branch, before),
    )
    return before, after


@pytest.mark.parametrize(
    ("policy", "branch", "flagged"),
    [
        ("", "main", True),
        ("", "feature/x", False),
        ("direct_push:\n  branches: ['release/*']\n", "release/1.2", True),
        ("direct_push:\n  enabled: false\n", "main", False),
        ("direct_push:\n  default_branch: false\n", "main", False),
    ],
)
def test_which_branches_are_watched(driver: Driver, policy: str, branch: str, flagged: bool) -> None:
    build_world(driver.sim, policy=policy or None)
    before, after = _push(driver, branch)
    driver.handle("push", driver.sim.payloads.push(REPO, branch, before, after, sender="alice"))
    assert bool(driver.sim.state.check_runs_for(REPO, after)) is flagged
    assert not [i for i in driver.sim.state.repo(REPO).issues.values() if i.title.startswith("prompt-to-pr")]


def test_a_cut_short_commit_list_is_read_again_through_compare(driver: Driver, monkeypatch: pytest.MonkeyPatch) -> None:
    build_world(driver.sim)
    before, after = _push(driver, human_first=True)
    payload = driver.sim.payloads.push(REPO, "main", before, after, sender="alice")
    payload["commits"] = payload["commits"][:1]  # only the human commit is listed
    monkeypatch.setattr(push_module, "PUSH_COMMITS_CAP", 1)
    driver.handle("push", payload)
    assert driver.sim.state.requests("GET", "/compare/")
    assert runs(driver, after)["provenance"].conclusion == "failure"


def test_report_mode_marks_the_push_neutral(driver: Driver) -> None:
    build_world(driver.sim, policy="mode: report\n")
    before, after = _push(driver)
    driver.handle("push", driver.sim.payloads.push(REPO, "main", before, after, sender="alice"))
    check = runs(driver, after)["provenance"]
    assert check.conclusion == "neutral" and "would conclude **failure**" in check.output["summary"]


def test_rerunning_a_push_check_judges_it_by_the_policy_that_governed_the_push(driver: Driver) -> None:
    build_world(driver.sim)
    before, after = _push(driver)
    driver.handle("push", driver.sim.payloads.push(REPO, "main", before, after, sender="alice"))
    check = runs(driver, after)["provenance"]
    assert check.conclusion == "failure" and check.external_id == f"push:{after}"
    driver.handle("check_run", driver.sim.payloads.check_run(REPO, check.id, "rerequested"))
    assert runs(driver, after)["provenance"].conclusion == "failure"  # still a violation
    repo = driver.sim.state.repo(REPO)
    driver.sim.state.commit(
        repo,
        {".github/prompt-to-pr.yml": "direct_push:\n  enabled: false\n"},
        branch="main",
        message="Stop watching pushes",
    )
    payload = driver.sim.payloads.check_run(REPO, check.id, "rerequested")
    driver.handle("check_run", payload)
    assert runs(driver, after)["provenance"].conclusion == "failure"  # judged by the policy before the push
