"""Merge queues: the required checks must appear on the merge group's commit, and say something true about it.

A repository that requires the App's checks and merges through a merge queue gets a `merge_group`
`checks_requested` delivery per group (a commit on `gh-readonly-queue/main/pr-<N>-<base sha>` holding every
queued PR's changes on top of `main`). The App publishes every gate on that commit: it passes only when each PR
in the group passes the gate at its current head, judged again now, and the tools pass on the group's own diff.
Before, `merge_group` was not subscribed at all: a queue with these checks required never merged anything, and
nothing stopped a PR whose approval had been withdrawn (the dismissal not yet handled) from being merged by it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from ghapp.enforcement.merge_group import members
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, AppServer, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim
from tests.ghsim.state import CheckRun
from tests.paths import ROOT

GATES = {"provenance", "lint", "types", "semgrep", "dependency-audit", "approvals"}


def deliver(sim: GitHubSim, app: AppServer, event: str, payload: dict[str, Any]) -> None:
    assert sim.send_webhook(app.url, event, payload).status_code == 202
    app.idle()


def runs_on(sim: GitHubSim, sha: str) -> dict[str, CheckRun]:
    own = [r for r in sim.state.check_runs_for(REPO, sha) if r.app_id == sim.state.app_id]
    return {r.name.removeprefix("prompt-to-pr / "): r for r in own}


def test_a_merge_group_gets_every_gate_and_passes_only_what_each_pr_passes_now(
    ghsim: GitHubSim, tmp_path: Path
) -> None:
    manifest = yaml.safe_load((ROOT / "app.yml").read_text())
    assert "merge_group" in manifest["default_events"]
    assert manifest["default_permissions"]["merge_queues"] == "read"  # GitHub's condition for the event

    build_world(ghsim)
    human = ghsim.state.create_pull(REPO, changes={"app/util.py": "VALUE = 2\n"}, user="dana", title="Bump")
    ai = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Refund fee",
    )
    runners = fake_runners()
    lint = runners[0]
    with running_app(ghsim, tmp_path, runners=runners) as app:
        for pull in (human, ai):
            deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number))
        approval = ghsim.state.add_review(REPO, ai.number, "bob")
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, ai.number, approval.id))
        assert runs_on(ghsim, ai.head_sha)["approvals"].conclusion == "success"

        # both PRs queued: one group commit holding both changes
        group = ghsim.state.create_merge_group(REPO, [human.number, ai.number])
        calls = len(lint.calls)
        deliver(ghsim, app, "merge_group", ghsim.payloads.merge_group(REPO, group))
        runs = runs_on(ghsim, group.head_sha)
        assert set(runs) == GATES, "every required check is on the group's commit"
        # each gate passes (lint and types show the human PR's `skipped`: they judge only AI-written PRs there)
        assert {g: r.conclusion for g, r in runs.items() if g not in ("lint", "types")} == dict.fromkeys(
            GATES - {"lint", "types"}, "success"
        )
        assert {runs["lint"].conclusion, runs["types"].conclusion} <= {"success", "skipped"}
        assert ("app/util.py", "billing/charge.py") in {tuple(sorted(c)) for c in lint.calls[calls:]}, (
            "lint ran on the group's own diff"
        )
        assert f"#{human.number}" in runs["approvals"].output["summary"]

        # the attack: the billing approval is withdrawn and the queue builds the next group before the App
        # hears of it; the group is judged on the PRs as they are now, not on what their heads showed
        approval.state = "DISMISSED"
        regroup = ghsim.state.create_merge_group(REPO, [human.number, ai.number])
        deliver(ghsim, app, "merge_group", ghsim.payloads.merge_group(REPO, regroup))
        runs = runs_on(ghsim, regroup.head_sha)
        assert runs["approvals"].conclusion == "action_required", runs["approvals"].output
        assert f"#{ai.number}" in runs["approvals"].output["title"]
        assert runs["lint"].conclusion in ("success", "skipped")
        # the PR's own head says so too now
        assert runs_on(ghsim, ai.head_sha)["approvals"].conclusion == "action_required"

        # a group that is merged or thrown away needs nothing more
        deliver(ghsim, app, "merge_group", ghsim.payloads.merge_group(REPO, group, "destroyed", reason="invalidated"))
        assert app.app.state.inbox.counts()["failed"] == 0


def test_a_group_changing_files_no_pr_of_it_changes_fails_closed(ghsim: GitHubSim, tmp_path: Path) -> None:
    """Whatever put it there, a change in the group's diff that no PR of the group made was never judged."""
    build_world(ghsim)
    human = ghsim.state.create_pull(REPO, changes={"app/util.py": "VALUE = 2\n"}, user="dana", title="Bump")
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, human.number))
        group = ghsim.state.create_merge_group(REPO, [human.number])
        repo = ghsim.state.repo(REPO)
        ref = group.head_ref.removeprefix("refs/heads/")
        smuggled = ghsim.state.commit(
            repo, {"billing/refund.py": "FEE = 0\n"}, branch=ref, parent=group.head_sha, message="Tidy up"
        )
        deliver(ghsim, app, "merge_group", ghsim.payloads.merge_group(REPO, replace(group, head_sha=smuggled)))
        runs = runs_on(ghsim, smuggled)
        for gate in ("provenance", "approvals"):
            assert runs[gate].conclusion == "failure" and "billing/refund.py" in runs[gate].output["summary"]


def test_the_pull_requests_of_a_group_are_read_from_its_commits_and_ref() -> None:
    commits = [
        {"commit": {"message": "Merge pull request #12 from acme/fee\n\nRefund fee"}},
        {"commit": {"message": "Bump the version (#14)"}},
        {"commit": {"message": "Fix #15 in passing"}},
    ]
    assert members("refs/heads/gh-readonly-queue/main/pr-14-" + "a" * 40, commits) == [12, 14]
    assert members("refs/heads/gh-readonly-queue/main/pr-99-" + "b" * 40, []) == [99]
    assert members("refs/heads/feature", []) == []


def test_a_group_diff_longer_than_github_compares_is_not_passed_on_its_first_300_files(
    ghsim: GitHubSim, tmp_path: Path
) -> None:
    """GitHub's compare lists at most 300 files: the tools cannot see the whole group, so they do not pass it."""
    build_world(ghsim, policy="gates:\n  lint:\n    applies_to: all\n")
    many = {f"app/gen_{i:03}.py": f"V = {i}\n" for i in range(301)}
    pull = ghsim.state.create_pull(REPO, changes=many, user="dana", title="Generated")
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number))
        assert runs_on(ghsim, pull.head_sha)["lint"].conclusion == "success"  # the PR's own list is complete
        group = ghsim.state.create_merge_group(REPO, [pull.number])
        deliver(ghsim, app, "merge_group", ghsim.payloads.merge_group(REPO, group))
        assert runs_on(ghsim, group.head_sha)["lint"].conclusion == "failure"
