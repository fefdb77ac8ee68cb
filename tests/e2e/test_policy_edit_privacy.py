"""End to end on the simulator: a pull request that edits the policy to `_extends` a private file of the org
learns whether that file resolves and is valid, never what it holds."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import REPO, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim

SECRET = "db_password: hunter2\napprovals:\n  payroll:\n    paths: [payroll/]\n    owners: ['@acme/hr-leads']\n"


def test_a_policy_edit_extending_a_private_file_gets_no_content_of_it(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    ghsim.state.create_repo("acme/hr-config", files={"policy.yml": SECRET}, private=True)
    ghsim.state.create_repo("acme/shared", files={"base.yml": "mode: enforce\n"}, private=True)
    edits = {
        "private": "mode: enforce\n_extends: hr-config:policy.yml\n",
        "valid": "_extends: shared:base.yml\n",
        "missing": "_extends: nowhere:policy.yml\n",
    }
    pulls = {
        name: ghsim.state.create_pull(
            REPO,
            changes={".github/prompt-to-pr.yml": text},
            user="mallory",
            head=f"mallory/{name}",
            messages=[f"Policy: {name}"],
        )
        for name, text in edits.items()
    }
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        for pull in pulls.values():
            assert (
                ghsim.send_webhook(
                    app.url, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened")
                ).status_code
                == 202
            )
            app.idle()

    def policy_check(name: str) -> tuple[str | None, str]:
        run = next(
            r for r in ghsim.state.check_runs_for(REPO, pulls[name].head_sha) if r.name == "prompt-to-pr / policy"
        )
        return run.conclusion, run.output["title"] + "\n" + run.output["summary"]

    conclusion, shown = policy_check("private")
    assert conclusion == "failure"
    assert ".github/prompt-to-pr.yml:2:11: the policy files this one is layered with" in shown
    assert "do not all resolve to valid policy files: 1 problem there, not shown" in shown
    for secret in ("db_password", "hunter2", "payroll", "hr-leads", "hr-config:policy.yml:"):
        assert secret not in shown, secret
    assert policy_check("valid") == ("success", policy_check("valid")[1])
    assert "The edited policy is valid" in policy_check("valid")[1]
    conclusion, shown = policy_check("missing")
    assert conclusion == "failure"  # what the PR itself wrote may be quoted: the name it gave does not resolve
    assert (
        ".github/prompt-to-pr.yml:1:11: _extends: acme/nowhere:policy.yml does not exist or the App cannot "
        "read it" in shown
    )
