"""A check-run create whose answer is lost, then the job's retry: exactly one run per gate, and a workflow's
run named like the App's is still never adopted.

The App lists a head's runs only for a gate whose create it started (a mark in its ledger, written before
the request) and never recorded, so the normal path costs no list call; after a lost answer the retry finds
the mark, lists the head's runs filtered by the App's id, adopts the one GitHub made and creates the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world, fake_runners
from tests.ghsim import GitHubSim
from tests.ghsim.server import ServerThread
from tests.reliability.app_under_test import serving, settle
from tests.reliability.test_github_faults import GATES, LostAnswers


@pytest.fixture
def sim() -> Iterator[tuple[GitHubSim, LostAnswers]]:
    simulator = GitHubSim()
    lost = LostAnswers(simulator.asgi)
    simulator.server = ServerThread(lost).start()
    simulator.state.api_url = simulator.api_url
    build_world(simulator)
    yield simulator, lost
    simulator.stop()


@pytest.mark.parametrize("lost_creates", [1, 3, 6])
def test_creates_whose_answers_were_lost_leave_one_run_per_gate_after_the_retry(
    sim: tuple[GitHubSim, LostAnswers], tmp_path: Path, lost_creates: int
) -> None:
    simulator, lost = sim
    pull = simulator.state.create_pull(
        REPO, changes={"billing/charge.py": CHARGE_AI}, messages=[AI_MESSAGE], body=AI_BODY, user="alice"
    )
    forged = simulator.state.add_check_run(  # a workflow's green run under the App's name, there before the App
        REPO, pull.head_sha, "prompt-to-pr / approvals", conclusion="success", external_id=f"pr:{pull.number}"
    )
    with serving(simulator, tmp_path, runners=fake_runners(), workers=1, checks_grace_s=3600.0) as app:
        lost.arm("POST", r"/check-runs$", lost_creates)  # GitHub creates the runs; the App never hears of it
        assert simulator.send_webhook(app.url, "pull_request", simulator.payloads.pull_request(REPO, pull.number))
        settle(app)
        assert lost.lost == lost_creates
        counts = app.app.state.inbox.counts()
        assert counts["failed"] == 0 and counts["pending"] == 0, counts
    own = [r for r in simulator.state.check_runs_for(REPO, pull.head_sha) if r.app_id == simulator.state.app_id]
    assert Counter(r.name.removeprefix("prompt-to-pr / ") for r in own) == dict.fromkeys(GATES, 1)
    assert {r.status for r in own} == {"completed"}
    assert forged.conclusion == "success" and not simulator.state.requests("PATCH", rf"/check-runs/{forged.id}$")
    listed = simulator.state.requests("GET", r"/commits/[0-9a-f]+/check-runs$")
    assert listed and all(r.query.get("app_id") == str(simulator.state.app_id) for r in listed)
    assert len(listed) <= lost_creates  # once per attempt after a lost answer, never on the first attempt


def test_no_list_call_when_nothing_was_lost(sim: tuple[GitHubSim, LostAnswers], tmp_path: Path) -> None:
    simulator, _ = sim
    pull = simulator.state.create_pull(
        REPO, changes={"billing/charge.py": CHARGE_AI}, messages=[AI_MESSAGE], body=AI_BODY, user="alice"
    )
    with serving(simulator, tmp_path, runners=fake_runners(), workers=1) as app:
        assert simulator.send_webhook(app.url, "pull_request", simulator.payloads.pull_request(REPO, pull.number))
        settle(app)
    assert len(simulator.state.check_runs_for(REPO, pull.head_sha)) == len(GATES)
    assert not simulator.state.requests("GET", r"/check-runs$")
