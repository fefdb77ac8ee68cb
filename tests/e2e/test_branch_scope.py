"""End to end on the simulator: `branches:` scopes a gate and a category to the base branches an org governs;
`exclude:` leaves files out of a category."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import CHARGE_AI, REPO, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim

POLICY = (
    "gates:\n  semgrep:\n    branches: [main, 'release/*']\n"
    "approvals:\n  billing:\n    branches: [main, 'release/*']\n    exclude: ['billing/tests/']\n"
)


def test_a_branch_scoped_gate_and_category_skip_another_base(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, policy=POLICY)
    repo = ghsim.state.repo(REPO)
    repo.branches["develop"] = repo.branches["release/1"] = repo.branches["main"]
    pulls = {
        base: ghsim.state.create_pull(
            REPO,
            changes={"billing/charge.py": CHARGE_AI},
            user="alice",
            base=base,
            head=f"alice/fee-{base}",
            messages=["Add a refund fee"],
        )
        for base in ("main", "develop", "release/1")
    }
    tests_only = ghsim.state.create_pull(
        REPO,
        changes={"billing/tests/test_charge.py": "def test_x() -> None: ...\n"},
        user="alice",
        messages=["Test the fee"],
    )
    runners = fake_runners()
    with running_app(ghsim, tmp_path, runners=runners) as app:
        for pull in (*pulls.values(), tests_only):
            assert (
                ghsim.send_webhook(
                    app.url, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened")
                ).status_code
                == 202
            )
            app.idle()

    def checks(number: int) -> dict[str, tuple[str | None, str]]:
        pull = repo.pull(number)
        assert pull is not None
        return {
            run.name.removeprefix("prompt-to-pr / "): (run.conclusion, run.output["title"])
            for run in ghsim.state.check_runs_for(REPO, pull.head_sha)
        }

    for base in ("main", "release/1"):
        governed = checks(pulls[base].number)
        assert governed["semgrep"][0] == "success" and governed["approvals"][0] == "action_required", base
    develop = checks(pulls["develop"].number)
    assert develop["semgrep"] == ("skipped", "Not required on this base branch")
    assert develop["approvals"][0] == "success"
    assert develop["dependency-audit"][0] == "success"  # not scoped: still judged on develop
    semgrep = next(r for r in runners if r.name == "semgrep")
    assert len(semgrep.calls) == 3  # main, release/1 and the tests-only PR into main; never develop
    assert checks(tests_only.number)["approvals"] == ("success", "No sensitive paths changed")
