"""GitHub asking to wait becomes `Retry(after_s)`; a failure on the final attempt still publishes an outcome."""

from __future__ import annotations

import pytest

from ghapp.github.errors import GitHubError
from ghapp.runtime.jobs import Retry
from tests.e2e.harness import REPO, build_world
from tests.enforcement.conftest import Driver
from tests.enforcement.test_pull_request import ai_pull, opened, runs


def test_a_rate_limit_reschedules_the_delivery(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.sim.faults.add("/pulls/1/files", "primary", reset_in=120)
    with pytest.raises(Retry) as caught:
        driver.handle("pull_request", opened(driver, pull))
    assert 60 <= caught.value.after_s <= 121
    assert not driver.sim.state.check_runs_for(REPO)


@pytest.mark.parametrize("route", ["/graphql", "/pulls/1/files"])
def test_an_outage_reschedules_without_publishing(driver: Driver, route: str) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.sim.faults.add(route, "5xx", count=None, status=503)
    with pytest.raises(Retry):
        driver.handle("pull_request", opened(driver, pull), final=True)
    assert not driver.sim.state.check_runs_for(REPO)


def test_a_failure_on_the_final_attempt_publishes_an_error_outcome(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.sim.faults.add("/pulls/1/files", "5xx", status=410)
    with pytest.raises(GitHubError):
        driver.handle("pull_request", opened(driver, pull))  # not the last try: nothing published yet
    assert not driver.sim.state.check_runs_for(REPO)
    driver.sim.faults.add("/pulls/1/files", "5xx", status=410)
    with pytest.raises(GitHubError):
        driver.handle("pull_request", opened(driver, pull), final=True)
    checks = runs(driver, pull.head_sha)
    assert set(checks) == {"provenance", "lint", "types", "semgrep", "dependency-audit", "approvals"}
    assert {c.conclusion for c in checks.values()} == {"failure"}
    assert "410" in checks["lint"].output["summary"]
    assert [a["identifier"] for a in checks["lint"].actions] == ["rerun"]


def test_a_failed_review_event_leaves_completed_checks_alone(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    review = driver.sim.state.add_review(REPO, pull.number, "bob")
    driver.sim.faults.add("/graphql", "5xx", status=410)  # GraphQL failing: the reviews are read through REST
    driver.sim.faults.add("/pulls/1/reviews", "5xx", status=410)
    with pytest.raises(GitHubError):
        driver.handle(
            "pull_request_review", driver.sim.payloads.pull_request_review(REPO, pull.number, review.id), final=True
        )
    checks = runs(driver, pull.head_sha)
    assert checks["approvals"].conclusion == "failure"
    assert checks["lint"].conclusion == "success"
