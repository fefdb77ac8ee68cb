"""A pull request cannot relax its own policy: the policy is read from the base branch. A PR that switches its
repository's policy to report mode, turns the gates off, drops the billing approvals and points `_extends`
at a lax file is still judged by the base branch's policy; its edit is only validated, as the `policy` check.
Also the org's file cannot be bypassed by a repository file that `_extends` nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ghapp.core.decisions import Finding
from ghapp.core.policy.load import POLICY_PATH
from ghapp.github.policy_source import PolicySource
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim

STRICT = "mode: enforce\ngates:\n  lint:\n    applies_to: all\n"
RELAXED = (
    "mode: report\n_extends: lax\ngates:\n  lint: {enabled: false}\n  types: {enabled: false}\n"
    "  semgrep: {enabled: false}\n  dependency_audit: {enabled: false}\napprovals: null\n"
)


def test_the_policy_source_reads_the_base_branch_not_the_head(ghsim_inprocess: GitHubSim) -> None:
    sim = ghsim_inprocess
    inst = build_world(sim, policy=STRICT)
    sim.state.create_repo("acme/lax", files={POLICY_PATH: "mode: report\n"})
    pull = sim.state.create_pull(REPO, changes={POLICY_PATH: RELAXED}, user="alice")

    async def load(ref: str) -> str:
        async with sim.github_app() as app:
            loaded = await PolicySource().load(app.installation(inst), "acme", "payments", ref)
            assert loaded.policy is not None, loaded.issues
            return loaded.policy.mode

    assert asyncio.run(load(pull.base_ref)) == "enforce"
    assert asyncio.run(load(pull.head_ref)) == "report"  # what it would be, were the head trusted


def test_a_pr_relaxing_its_policy_is_still_judged_by_the_base_policy(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, policy=STRICT)
    ghsim.state.create_repo("acme/lax", files={POLICY_PATH: "mode: report\n"})
    finding = Finding("billing/charge.py", 3, "S105", "possible hardcoded password")
    pull = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI, POLICY_PATH: RELAXED},
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Relax and change",
    )
    with running_app(ghsim, tmp_path, runners=fake_runners(lint=[finding])) as app:
        assert (
            ghsim.send_webhook(app.url, "pull_request", ghsim.payloads.pull_request(REPO, pull.number)).status_code
            == 202
        )
        app.idle()
    runs = {r.name.removeprefix("prompt-to-pr / "): r for r in ghsim.state.check_runs_for(REPO, pull.head_sha)}
    assert runs["lint"].conclusion == "failure", runs["lint"].output  # enforce mode, gate on: the base policy
    assert runs["approvals"].conclusion != "success"  # billing approvals still required
    assert "policy" in runs  # the edit is validated and shown, not applied
    requested = [r for r in ghsim.state.requests("POST") if r.path.endswith("/requested_reviewers")]
    assert requested, "the billing team is still asked to review"
    contents = [r for r in ghsim.state.requests("GET") if "/contents/" in r.path and r.path.endswith(POLICY_PATH)]
    own = [r.query.get("ref") for r in contents if r.path.startswith(f"/repos/{REPO}/")]
    for query in ghsim.state.requests("POST", "^/graphql$"):  # the evaluation's one query reads the policy file
        variables = query.body["variables"]
        if f"{variables['owner']}/{variables['repo']}" == REPO:
            own += [
                value.rsplit(":", 1)[0]
                for name, value in variables.items()
                if name.startswith("e") and value.endswith(":" + POLICY_PATH)
            ]
    # read at the base (to judge; the branch by its full ref, which no tag can shadow) and at the head (only to
    # validate the edit, shown in the `policy` check)
    assert set(own) == {f"refs/heads/{pull.base_ref}", pull.head_sha}, own
