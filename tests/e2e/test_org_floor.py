"""End to end on the simulator: the org's `.github` policy sets a floor; a repository file that relaxes it keeps
the org's values and the `policy` check names the relaxing line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghapp.core.decisions import Finding
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim

UNUSED = Finding("billing/charge.py", 3, "F841", "local variable `fee` is assigned to but never used")


@pytest.mark.parametrize("floor", [True, False])
def test_a_repository_in_report_mode_under_an_enforcing_org_stays_enforced(
    ghsim: GitHubSim, tmp_path: Path, floor: bool
) -> None:
    build_world(ghsim, policy="mode: report\napprovals:\n  billing: null\n")
    ghsim.state.create_repo(
        "acme/.github", files={".github/prompt-to-pr.yml": "floor: [mode, approvals]\n" if floor else "mode: enforce\n"}
    )
    pull = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Refund fee",
    )
    with running_app(ghsim, tmp_path, runners=fake_runners(lint=[UNUSED])) as app:
        delivery = ghsim.send_webhook(app.url, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        assert delivery.status_code == 202
        app.idle()
    checks = {run.name.removeprefix("prompt-to-pr / "): run for run in ghsim.state.check_runs_for(REPO, pull.head_sha)}
    if not floor:  # the org enforces but sets no floor: the repository's report mode and removal stand
        assert "policy" not in checks
        assert checks["lint"].conclusion == "neutral" and checks["approvals"].conclusion == "neutral"
        return
    assert checks["lint"].conclusion == "failure"  # judged in the org's enforce mode
    assert checks["approvals"].conclusion == "action_required"  # billing kept, so the billing team must approve
    policy = checks["policy"]
    assert policy.conclusion == "neutral"
    summary = policy.output["summary"]
    assert ".github/prompt-to-pr.yml:1:7: mode: report is less strict than the org's enforce" in summary
    assert ".github/prompt-to-pr.yml:3:3: approvals.billing: the org's floor keeps this category" in summary
