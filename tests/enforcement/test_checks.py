"""Re-runs and buttons: check_suite / check_run `rerequested` and `requested_action`, including fork PRs whose
check events carry no pull requests."""

from __future__ import annotations

from ghapp.core.decisions import Gate
from tests.e2e.harness import REPO, build_world
from tests.enforcement.conftest import Driver
from tests.enforcement.test_pull_request import ai_pull, opened, runs


def test_rerunning_one_tool_check_runs_that_tool_again_and_nothing_else(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    lint = runs(driver, pull.head_sha)["lint"]
    payload = driver.sim.payloads.check_run(REPO, lint.id, "rerequested")
    payload["check_run"]["pull_requests"] = []  # as for a fork's PR: the run's external_id names the PR
    assert payload["check_run"]["external_id"] == f"pr:{pull.number}"
    ruff, mypy = driver.runners[0], driver.runners[1]
    driver.handle("check_run", payload)
    assert len(ruff.calls) == 2 and len(mypy.calls) == 1  # type: ignore[attr-defined]
    statuses = [r.body.get("status") for r in driver.sim.state.requests("PATCH", f"/check-runs/{lint.id}$")]
    assert statuses[-2:] == ["in_progress", "completed"]
    assert len(runs(driver, pull.head_sha)) == 6


def test_rerunning_the_suite_runs_every_tool_again(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    driver.handle(
        "check_suite", driver.sim.payloads.check_suite(REPO, pull.head_sha, "rerequested", pulls=[pull.number])
    )
    assert [len(r.calls) for r in driver.runners[:3]] == [2, 2, 2]  # type: ignore[attr-defined]
    assert len(driver.sim.state.requests("GET", "/tarball/")) == 2


def test_a_suite_without_pull_requests_finds_the_pr_from_its_commit(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    payload = driver.sim.payloads.check_suite(REPO, pull.head_sha, "rerequested")
    assert payload["check_suite"]["pull_requests"] == []
    driver.handle("check_suite", payload)
    assert len(driver.sim.state.requests("GET", "/tarball/")) == 2


def test_the_request_reviews_button_asks_again_even_on_the_same_head(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    approvals = runs(driver, pull.head_sha)["approvals"]
    assert [a["identifier"] for a in approvals.actions] == ["request-reviews", "rerun"]
    live = driver.sim.state.repo(REPO).pull(pull.number)
    assert live is not None
    live.requested_teams.clear()  # someone removed the request
    driver.handle("pull_request", opened(driver, pull, "reopened"))
    assert live.requested_teams == []  # asked once per head: not again on its own
    driver.handle(
        "check_run", driver.sim.payloads.check_run(REPO, approvals.id, "requested_action", identifier="request-reviews")
    )
    assert live.requested_teams == ["billing"]
    assert len(driver.sim.state.requests("POST", "/requested_reviewers$")) == 2


def test_check_events_of_other_apps_and_unknown_buttons_do_nothing(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    lint = runs(driver, pull.head_sha)["lint"]
    calls = len(driver.sim.state.log)
    other = driver.sim.payloads.check_run(REPO, lint.id, "rerequested")
    other["check_run"]["app"]["id"] = 99
    driver.handle("check_run", other)
    driver.handle("check_run", driver.sim.payloads.check_run(REPO, lint.id, "requested_action", identifier="nope"))
    foreign = driver.sim.payloads.check_run(REPO, lint.id, "rerequested")
    foreign["check_run"]["name"] = "ci / build"
    driver.handle("check_run", foreign)
    assert len(driver.sim.state.log) == calls
    assert Gate.LINT.value in lint.name
