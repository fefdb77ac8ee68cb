"""Tool gates' check runs created once: tools that finish within `checks_grace_s` get one create per gate, with
its conclusion, and no update; tools that outlast it are shown in progress while they run (visible on GitHub
before they finish), then completed with one update each. A fake runner waits on what the simulator shows,
not on a clock."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest

from ghapp.core.decisions import Gate, ToolReport
from ghapp.github.errors import GitHubError
from ghapp.runners import RunContext
from ghapp.runners.base import ToolRun
from tests.e2e.harness import REPO, FakeRunner, build_world, fake_runners
from tests.enforcement.conftest import Driver
from tests.enforcement.test_pull_request import ai_pull, opened, runs
from tests.ghsim import GitHubSim

TOOL_GATES = ("lint", "types", "semgrep")
LOOKS = 6000  # a safety net only: the runner goes on as soon as the simulator shows its run


def writes(sim: GitHubSim, head: str) -> Counter[tuple[str, str]]:
    """(method, gate) of every create and update of the head's runs."""
    by_id = {r.id: r.name.removeprefix("prompt-to-pr / ") for r in sim.state.check_runs_for(REPO, head)}
    found: Counter[tuple[str, str]] = Counter()
    for request in sim.state.requests(None, r"/check-runs(/\d+)?$"):
        if request.method == "POST" and request.body.get("head_sha") == head:
            found["POST", str(request.body["name"]).removeprefix("prompt-to-pr / ")] += 1
        elif request.method == "PATCH":
            run_id = int(request.path.rsplit("/", 1)[1])
            if run_id in by_id:
                found["PATCH", by_id[run_id]] += 1
    return found


def test_fast_tools_create_each_run_once_completed_and_never_update_it(driver: Driver) -> None:
    driver.settings = driver.settings.with_overrides(checks_grace_s=3600.0)  # the tools always finish within it
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    checks = runs(driver, pull.head_sha)
    assert len(checks) == 6 and {r.status for r in checks.values()} == {"completed"}
    assert writes(driver.sim, pull.head_sha) == Counter({("POST", gate): 1 for gate in checks})
    assert not driver.sim.state.requests("PATCH", "/check-runs/")
    assert not driver.sim.state.requests("GET", "/check-runs")  # no run of ours can exist yet: nothing listed
    created = [r.body for r in driver.sim.state.requests("POST", "/check-runs$")]
    assert all(body["status"] == "completed" and body.get("conclusion") for body in created)


@dataclass(frozen=True)
class ShownRunner(FakeRunner):
    """Finishes only once the simulator shows its gate's run in progress on the head (or gives up, saying so)."""

    sim: GitHubSim | None = None
    seen: list[str] = field(default_factory=list)

    def _shown(self) -> bool:
        assert self.sim is not None
        name = f"prompt-to-pr / {self.gate.value}"
        with self.sim.state.lock:
            return any(r.name == name and r.status == "in_progress" for r in self.sim.state.check_runs_for(REPO))

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:  # called in a thread, off the event loop
        idle = threading.Event()  # never set: a pause between looks at the simulator
        for _ in range(LOOKS):
            if self._shown():
                break
            idle.wait(0.01)
        self.seen.append("in_progress" if self._shown() else "never shown")
        return super().parse(run, ctx)


def test_slow_tools_show_their_runs_in_progress_then_complete_them_once(driver: Driver) -> None:
    driver.settings = driver.settings.with_overrides(checks_grace_s=0.01)
    build_world(driver.sim)
    pull = ai_pull(driver)
    lint = ShownRunner("ruff", Gate.LINT, sim=driver.sim)
    driver.use((lint, *fake_runners()[1:]))
    driver.handle("pull_request", opened(driver, pull))
    assert lint.seen == ["in_progress"]  # visible on GitHub while the tool ran
    checks = runs(driver, pull.head_sha)
    assert {r.status for r in checks.values()} == {"completed"}
    counted = writes(driver.sim, pull.head_sha)
    for gate in TOOL_GATES:  # created in progress, completed with one update
        assert (counted["POST", gate], counted["PATCH", gate]) == (1, 1), gate
    for gate in ("provenance", "approvals", "dependency-audit"):  # known at once: created completed
        assert (counted["POST", gate], counted["PATCH", gate]) == (1, 0), gate
    lint_run = checks["lint"]
    statuses = [
        r.body.get("status")
        for r in driver.sim.state.requests(None, rf"/check-runs(/{lint_run.id})?$")
        if r.method == "PATCH" or r.body.get("name") == lint_run.name
    ]
    assert statuses == ["in_progress", "completed"]


def test_a_failure_on_the_final_attempt_within_the_grace_still_publishes_every_tool_gate(driver: Driver) -> None:
    """The tool gates' runs were never created when the archive download failed for good: the guard creates
    them, failing, so no required check waits for ever."""
    driver.settings = driver.settings.with_overrides(checks_grace_s=3600.0)
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.sim.faults.add("/tarball/", "5xx", count=None, status=410)
    with pytest.raises(GitHubError):
        driver.handle("pull_request", opened(driver, pull), final=True)
    checks = runs(driver, pull.head_sha)
    assert {checks[g].conclusion for g in TOOL_GATES} == {"failure"}
    assert {r.status for r in checks.values()} == {"completed"}
