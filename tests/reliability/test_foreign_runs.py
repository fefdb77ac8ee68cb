"""A check run with the App's name that someone else made is never taken for the App's own.

Anyone who can run a workflow on a repository (GitHub Actions' token has `checks: write`) can put a run named
`prompt-to-pr / approvals`, concluded `success`, on a pull request's head before the App judges it, even with
the `external_id` the App uses. The App lists the head's runs with its own `app_id` (as GitHub documents for
"List check runs for a Git reference") and creates its own run for every gate; the foreign run is left as it
is, and the App's runs say what the App found."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ghapp.github.errors import GitHubError
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim

GATES = {"provenance", "lint", "types", "semgrep", "dependency-audit", "approvals"}


def test_a_workflow_run_named_like_the_apps_is_not_adopted(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    pull = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Refund fee",
    )
    # the attack: a workflow of the PR's author posts green runs under the App's names before the App acts
    forged = {
        gate: ghsim.state.add_check_run(
            REPO,
            pull.head_sha,
            f"prompt-to-pr / {gate}",
            conclusion="success",
            external_id=f"pr:{pull.number}",
            title="All good",
        )
        for gate in ("approvals", "lint")
    }
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        delivery = ghsim.send_webhook(app.url, "pull_request", ghsim.payloads.pull_request(REPO, pull.number))
        assert delivery.status_code == 202
        app.idle()

    own = {
        run.name.removeprefix("prompt-to-pr / "): run
        for run in ghsim.state.check_runs_for(REPO, pull.head_sha)
        if run.app_id == ghsim.state.app_id
    }
    assert set(own) == GATES, "the App published its own run for every gate"
    assert own["approvals"].conclusion == "action_required"  # billing/ still needs the billing team
    assert own["lint"].conclusion == "success"
    for gate, run in forged.items():
        assert run.conclusion == "success" and run.output["title"] == "All good", f"{gate}: the forged run changed"
        assert not ghsim.state.requests("PATCH", rf"/check-runs/{run.id}$"), f"{gate}: the App wrote to the run"
    # nothing of the App's could be on the head yet, so nothing was listed; a list, when made, asks for the App's
    listed = ghsim.state.requests("GET", r"/commits/[0-9a-f]+/check-runs$")
    assert all(r.query.get("app_id") == str(ghsim.state.app_id) for r in listed)


def test_the_simulator_lists_by_app_and_refuses_updates_to_another_apps_run(ghsim_inprocess: GitHubSim) -> None:
    """GitHub's behaviour the test above relies on: `app_id` filters the list, and only the App that created a
    run may update it (403 "Resource not accessible by integration")."""
    sim = ghsim_inprocess
    inst = build_world(sim)
    head = sim.state.repo(REPO).branches["main"]
    foreign = sim.state.add_check_run(REPO, head, "prompt-to-pr / lint")

    async def main() -> tuple[list[int], list[int], str]:
        async with sim.github_app() as gh:
            api = gh.installation(inst)
            created = await api.create_check_run("acme", "payments", {"name": "prompt-to-pr / lint", "head_sha": head})
            everyone = [r["id"] for r in await api.list_check_runs_for_ref("acme", "payments", head)]
            ours = [
                r["id"] for r in await api.list_check_runs_for_ref("acme", "payments", head, app_id=sim.state.app_id)
            ]
            assert ours == [created["id"]]
            try:
                await api.update_check_run("acme", "payments", foreign.id, {"conclusion": "failure"})
            except GitHubError as exc:
                return everyone, ours, str(exc)
            return everyone, ours, ""

    everyone, ours, refused = asyncio.run(main())
    assert sorted(everyone) == sorted([foreign.id, *ours])  # `latest` is per App: both runs of the name are listed
    assert "403" in refused and foreign.conclusion == "success"
