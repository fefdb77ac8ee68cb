"""GitHub failing during every step of a pull-request job (token, policy load, facts, check-run create and
update, review request, labels, tarball download): 5xx bursts, secondary and primary rate limits, 429s,
slow answers, dropped connections, and answers lost after GitHub acted. Once the fault clears, every
accepted delivery is done exactly once in effect: one check run per head and gate with the conclusion a
fault-free run gives, one review request, no annotation twice. The simulator's log and state are the judge.

One App and one simulator serve a whole step; each fault gets a fresh pull request (a fresh head)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from ghapp.core.decisions import Finding
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, AppServer, build_world, fake_runners
from tests.ghsim import GitHubSim
from tests.ghsim.app import DropLayer
from tests.ghsim.server import ServerThread
from tests.reliability.app_under_test import serving, settle

GATES = {"provenance", "lint", "types", "semgrep", "dependency-audit", "approvals"}
FINDING = Finding("billing/charge.py", 3, "S105", "possible hardcoded password")

# step -> (method, path regex): the calls one pull-request job makes, in order
STEPS: dict[str, tuple[str, str]] = {
    "token": ("POST", r"^/app/installations/\d+/access_tokens$"),
    "policy and facts query": ("POST", r"^/graphql$"),  # policy files, commits, reviews, events: one query
    "facts": ("GET", r"/pulls/\d+/(commits|files|reviews)$"),
    "check-run create": ("POST", r"/check-runs$"),
    "review request": ("POST", r"/requested_reviewers$"),
    "labels": ("POST", r"/labels$"),
    "check-run update": ("PATCH", r"/check-runs/\d+$"),
    "tarball": ("GET", r"/tarball/|/_codeload/"),
}
# fault -> Faults.add arguments (count: how many matching requests fail)
FAULTS: dict[str, dict[str, Any]] = {
    "5xx burst": {"kind": "5xx", "count": 4, "status": 502},
    "secondary limit": {"kind": "secondary", "count": 2, "retry_after": 1},
    "primary limit exhausted": {"kind": "primary", "count": 1, "reset_in": 900},
    "429 with retry-after": {"kind": "429", "count": 2, "retry_after": 1},
    "slow answers": {"kind": "slow", "count": 2, "delay": 0.3},
    "dropped connections": {"kind": "drop", "count": 3},
}


class LostAnswers:
    """ASGI wrapper: the next `count` matching requests are carried out, then the connection is closed
    before the answer goes out (GitHub acted; the App never hears of it)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.rule: tuple[str, re.Pattern[str]] | None = None
        self.left = 0
        self.lost = 0
        self._lock = threading.Lock()

    def arm(self, method: str, pattern: str, count: int) -> None:
        with self._lock:
            self.rule, self.left = (method, re.compile(pattern)), count

    def _take(self, scope: Scope) -> bool:
        with self._lock:
            if self.rule is None or self.left <= 0 or scope["method"] != self.rule[0]:
                return False
            if not self.rule[1].search(scope["path"]):
                return False
            self.left -= 1
            self.lost += 1
            return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._take(scope):

            async def swallow(message: Any) -> None:
                return None

            await self.inner(scope, receive, swallow)
            await DropLayer._drop(receive, send)
            return
        await self.inner(scope, receive, send)


@pytest.fixture
def sim() -> Iterator[tuple[GitHubSim, LostAnswers]]:
    simulator = GitHubSim()
    lost = LostAnswers(simulator.asgi)
    simulator.server = ServerThread(lost).start()
    simulator.state.api_url = simulator.api_url
    build_world(simulator, policy="mode: enforce\n")  # a file of its own: read (conditionally) on every job
    yield simulator, lost
    simulator.stop()


def open_pull(sim: GitHubSim, app: AppServer, title: str) -> Any:
    pull = sim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI + f"# {title}\n"},
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title=title,
    )
    delivery = sim.send_webhook(app.url, "pull_request", sim.payloads.pull_request(REPO, pull.number))
    assert delivery.status_code == 202
    return pull


def outcome(sim: GitHubSim, pull: Any) -> dict[str, Any]:
    """What GitHub shows for the pull request: its runs by gate, review requests carried out, annotations."""
    runs = sim.state.check_runs_for(REPO, pull.head_sha)
    names = Counter(r.name.removeprefix("prompt-to-pr / ") for r in runs)
    requests = [r for r in sim.state.requests("POST", rf"/pulls/{pull.number}/requested_reviewers$") if r.status == 201]
    notes = Counter((r.name, a["path"], a["start_line"], a["message"]) for r in runs for a in r.annotations)
    return {
        "runs": dict(names),
        "conclusions": {r.name.removeprefix("prompt-to-pr / "): r.conclusion for r in runs},
        "status": {r.status for r in runs},
        "review requests": len(requests),
        "repeated annotations": [k for k, n in notes.items() if n > 1],
        "labels": sorted(sim.state.repo(REPO).pull(pull.number).labels),
    }  # type: ignore[union-attr]


def assert_once_in_effect(sim: GitHubSim, app: AppServer, pull: Any, baseline: dict[str, Any], what: str) -> None:
    seen = outcome(sim, pull)
    assert seen["runs"] == dict.fromkeys(GATES, 1), f"{what}: {seen['runs']}"
    assert seen["status"] == {"completed"}, what
    assert seen["conclusions"] == baseline["conclusions"], what
    assert seen["review requests"] == 1, f"{what}: {seen['review requests']} review requests"
    assert seen["repeated annotations"] == [], what
    assert seen["labels"] == baseline["labels"], what
    counts = app.app.state.inbox.counts()
    assert counts["failed"] == 0 and counts["pending"] == 0, f"{what}: {counts}"


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_a_fault_during_each_step_leaves_one_result_per_head_and_gate(
    sim: tuple[GitHubSim, LostAnswers], tmp_path: Path, step: str
) -> None:
    simulator, lost = sim
    method, pattern = STEPS[step]
    # the tool gates' runs are created once, completed, when the tools finish within the grace: the update step
    # needs them shown in progress first (no grace), so that completing them is an update
    grace = 0.0 if step == "check-run update" else 3600.0
    with serving(simulator, tmp_path, runners=fake_runners(lint=[FINDING]), workers=1, checks_grace_s=grace) as app:
        first = open_pull(simulator, app, "baseline")
        settle(app)
        baseline = outcome(simulator, first)
        assert baseline["runs"] == dict.fromkeys(GATES, 1) and baseline["review requests"] == 1
        for name, fault in {**FAULTS, "answers lost after GitHub acted": {}}.items():
            before = len(simulator.state.requests())
            if fault:
                added = simulator.faults.add(pattern, method=method, **fault)
            else:
                lost.arm(method, pattern, 1)
            if step == "token":  # tokens last an hour: revoke them so the job must ask for a new one
                with simulator.state.lock:
                    simulator.state.tokens.clear()
            pull = open_pull(simulator, app, f"{step}: {name}")
            settle(app)
            hit = added.hits if fault else lost.lost
            assert hit >= 1, f"{step}: {name}: the fault was never reached"
            simulator.faults.clear()
            lost.arm(method, pattern, 0)
            lost.lost = 0
            assert_once_in_effect(simulator, app, pull, baseline, f"{step}: {name}")
            assert len(simulator.state.requests()) - before < 200, f"{step}: {name}: a retry storm"
