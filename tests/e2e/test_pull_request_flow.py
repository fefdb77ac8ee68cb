"""End to end over real HTTP both ways: signed webhooks POSTed by the GitHub simulator to the App's endpoint
(uvicorn, in-process worker), the App calling the simulator's REST API, and the final GitHub state asserted.
Tests taking `database_url` also run scaled out: PostgreSQL, and the queue and shared cache in Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import text

from ghapp.core.decisions import Finding
from ghapp.observability import Telemetry
from tests.e2e.harness import (
    AI_BODY,
    AI_MESSAGE,
    CHARGE_AI,
    REPO,
    AppServer,
    build_world,
    comment_payload,
    fake_runners,
    running_app,
    scaled_out,
)
from tests.ghsim import GitHubSim
from tests.ghsim.state import CheckRun

SIX = {"provenance", "lint", "types", "semgrep", "dependency-audit", "approvals"}


def runs(sim: GitHubSim, head: str) -> dict[str, CheckRun]:
    found = {run.name.removeprefix("prompt-to-pr / "): run for run in sim.state.check_runs_for(REPO, head)}
    assert len(found) == len(sim.state.check_runs_for(REPO, head)), "more than one run per gate"
    return found


def deliver(sim: GitHubSim, app: AppServer, event: str, payload: dict[str, Any], guid: str | None = None) -> None:
    delivery = sim.send_webhook(app.url, event, payload, guid=guid)
    assert delivery.status_code == 202, delivery.response_body
    app.idle()


def ai_pull(sim: GitHubSim, changes: dict[str, str | None] | None = None) -> Any:
    return sim.state.create_pull(
        REPO,
        changes=changes or {"billing/charge.py": CHARGE_AI},
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Refund fee",
    )


@pytest.mark.tools
@pytest.mark.slow
def test_an_ai_pull_request_on_billing_needs_the_billing_team_on_the_current_head(
    ghsim: GitHubSim, tmp_path: Path
) -> None:
    build_world(ghsim)
    pull = ai_pull(ghsim)
    # the real ruff, mypy, semgrep and pip-audit, within a grace they always finish in on this machine
    with running_app(ghsim, tmp_path, checks_grace_s=3600.0) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        checks = runs(ghsim, pull.head_sha)
        assert set(checks) == SIX
        assert checks["provenance"].conclusion == "success"
        assert "claude" in checks["provenance"].output["title"]
        for gate in ("lint", "types", "semgrep"):  # the gates with a changed file to run on (no dependency file)
            assert checks[gate].conclusion == "success", (gate, checks[gate].output)
        assert "ruff" in checks["lint"].output["summary"] and "mypy" in checks["types"].output["summary"]
        assert checks["approvals"].conclusion == "action_required"
        assert "billing/charge.py" in checks["approvals"].output["summary"]
        assert "@acme/billing" in checks["approvals"].output["summary"]
        # the tool gates finished within the grace: each run created once, completed (no queued, no update)
        lint_id = checks["lint"].id
        statuses = [
            r.body.get("status")
            for r in ghsim.state.requests(None, r"/check-runs(/\d+)?$")
            if isinstance(r.body, dict)
            and (r.body.get("name") == "prompt-to-pr / lint" or r.path.endswith(f"/{lint_id}"))
        ]
        assert statuses == ["completed"]
        live = ghsim.state.repo(REPO).pull(pull.number)
        assert live is not None
        assert live.requested_teams == ["billing"] and live.requested_users == []
        assert {"ai-generated", "ai:claude"} <= set(live.labels)
        assert (
            checks["approvals"].details_url == f"https://ghapp.example.test/pulls/{REPO}/{pull.number}/{pull.head_sha}"
        )

        # an approval from someone outside the billing team does not count
        outsider = ghsim.state.add_review(REPO, pull.number, "carol")
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, outsider.id))
        assert runs(ghsim, pull.head_sha)["approvals"].conclusion == "action_required"

        tarballs = len(ghsim.state.requests("GET", "/tarball/"))
        bob = ghsim.state.add_review(REPO, pull.number, "bob")
        patches_before = len(ghsim.state.requests("PATCH", "/check-runs/"))
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, bob.id))
        checks = runs(ghsim, pull.head_sha)
        assert checks["approvals"].conclusion == "success"
        assert "@bob" in checks["approvals"].output["summary"]
        patched = ghsim.state.requests("PATCH", "/check-runs/")[patches_before:]
        assert [r.path.rsplit("/", 1)[1] for r in patched] == [str(checks["approvals"].id)]  # approvals only
        assert len(ghsim.state.requests("GET", "/tarball/")) == tarballs  # reviews run no scanner

        # a new push to a billing file makes bob's approval stale
        new_head = ghsim.state.push(
            REPO, pull.number, {"billing/charge.py": CHARGE_AI + "\nLIMIT = 10\n"}, message=AI_MESSAGE
        )
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize"))
        checks = runs(ghsim, new_head)
        assert set(checks) == SIX
        assert checks["approvals"].conclusion == "action_required"
        assert "Stale" in checks["approvals"].output["summary"] and "@bob" in checks["approvals"].output["summary"]
        assert checks["lint"].conclusion == "success"


def test_a_human_pull_request_on_billing_asks_the_billing_owners_and_is_scanned(
    ghsim: GitHubSim, tmp_path: Path
) -> None:
    """Sensitive paths are governed whatever the verdict: an AI footer deleted from the commit (or a PR
    written by hand) still needs the billing owners, and the security scans still run; lint and types stay
    AI-only."""
    build_world(ghsim)
    pull = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        user="alice",
        messages=["Add a refund fee"],
        body="Adds the refund fee finance asked for.",
    )
    runners = fake_runners()
    with running_app(ghsim, tmp_path, runners=runners) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        checks = runs(ghsim, pull.head_sha)
        assert set(checks) == SIX
        assert checks["provenance"].conclusion == "success" and checks["provenance"].output["title"] == "No AI signals"
        assert checks["lint"].conclusion == "skipped" and checks["types"].conclusion == "skipped"
        assert checks["semgrep"].conclusion == "success" and checks["dependency-audit"].conclusion == "success"
        semgrep = next(r for r in runners if r.name == "semgrep")
        assert semgrep.calls == [("billing/charge.py",)]  # the scan ran on the human PR's changed file
        assert all(not r.calls for r in runners if r.name in ("ruff", "mypy"))
        assert checks["approvals"].conclusion == "action_required"
        assert "@acme/billing" in checks["approvals"].output["summary"]
        live = ghsim.state.repo(REPO).pull(pull.number)
        assert live is not None and live.requested_teams == ["billing"] and live.labels == []

        bob = ghsim.state.add_review(REPO, pull.number, "bob")
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, bob.id))
        assert runs(ghsim, pull.head_sha)["approvals"].conclusion == "success"


def test_a_human_pull_request_off_the_sensitive_paths_passes(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    pull = ghsim.state.create_pull(
        REPO,
        changes={"README.md": "# payments, documented\n"},
        user="alice",
        messages=["Document the service"],
        body="Docs only.",
    )
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
    checks = runs(ghsim, pull.head_sha)
    assert set(checks) == SIX
    assert {run.conclusion for run in checks.values()} <= {"success", "neutral", "skipped"}
    assert checks["lint"].conclusion == "skipped"  # lint and types apply to AI-written PRs by default
    assert checks["approvals"].conclusion == "success"
    live = ghsim.state.repo(REPO).pull(pull.number)
    assert live is not None and live.requested_teams == [] and live.labels == []
    assert not ghsim.state.requests("GET", "/tarball/")  # nothing the scanners read changed


def test_an_invalid_policy_on_the_base_branch_fails_the_policy_check_with_its_line(
    ghsim: GitHubSim, tmp_path: Path
) -> None:
    build_world(ghsim, policy="mode: enforce\ngates:\n  lint:\n    enabeld: true\n")
    pull = ai_pull(ghsim)
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
    checks = runs(ghsim, pull.head_sha)
    assert set(checks) == SIX | {"policy"}
    assert checks["policy"].conclusion == "failure"
    assert ".github/prompt-to-pr.yml:4:5" in checks["policy"].output["summary"]
    assert all(checks[g].conclusion == "failure" and "Not judged" in checks[g].output["title"] for g in SIX)
    assert not ghsim.state.requests("GET", "/tarball/")


def test_a_pull_request_editing_the_policy_gets_the_edit_validated(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    pull = ghsim.state.create_pull(REPO, changes={".github/prompt-to-pr.yml": "mode: sometimes\n"}, user="alice")
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
    policy = runs(ghsim, pull.head_sha)["policy"]
    assert policy.conclusion == "failure"
    assert ".github/prompt-to-pr.yml:1:7" in policy.output["summary"]


def test_a_direct_push_of_an_ai_commit_to_main_is_flagged(ghsim: GitHubSim, tmp_path: Path) -> None:
    policy = "direct_push:\n  open_issue: true\n  mention: ['@acme/security']\n"
    build_world(ghsim, policy=policy)
    repo = ghsim.state.repo(REPO)
    before = repo.branches["main"]
    after = ghsim.state.commit(
        repo, {"billing/charge.py": CHARGE_AI}, branch="main", message=AI_MESSAGE, author="alice"
    )
    payload = ghsim.payloads.push(REPO, "main", before, after, sender="alice")
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "push", payload)
        deliver(ghsim, app, "push", payload)  # the same push again: no second issue, no second run
        with app.app.state.inbox.db.engine.connect() as conn:
            recorded = conn.execute(text("select after_sha, pusher, issue_number from direct_pushes")).all()
    checks = runs(ghsim, after)
    assert set(checks) == {"provenance"}
    assert checks["provenance"].conclusion == "failure"
    assert after[:12] in checks["provenance"].output["summary"]
    assert "claude" in checks["provenance"].output["summary"]
    issues = [i for i in repo.issues.values() if i.title.startswith("prompt-to-pr")]
    assert len(issues) == 1
    assert issues[0].assignees == ["alice"] and "@acme/security" in (issues[0].body or "")
    assert recorded == [(after, "alice", issues[0].number)]


def test_a_human_push_and_a_merged_pull_request_are_not_flagged(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    repo = ghsim.state.repo(REPO)
    start = repo.branches["main"]
    human = ghsim.state.commit(repo, {"README.md": "# payments!\n"}, branch="main", message="Typo", author="alice")
    pull = ai_pull(ghsim)
    pull.merged, pull.state = True, "closed"
    repo.branches["main"] = pull.head_sha  # merged by fast-forward: the PR's commits are main's now
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "push", ghsim.payloads.push(REPO, "main", start, human, sender="alice"))
        deliver(ghsim, app, "push", ghsim.payloads.push(REPO, "main", human, pull.head_sha, sender="alice"))
    assert not ghsim.state.check_runs_for(REPO)


def test_replays_and_duplicate_events_update_the_same_runs_and_ask_for_reviews_once(
    ghsim: GitHubSim, tmp_path: Path, database_url: str
) -> None:
    build_world(ghsim)
    pull = ai_pull(ghsim)
    payload = ghsim.payloads.pull_request(REPO, pull.number, "opened")
    with running_app(ghsim, tmp_path, runners=fake_runners(), **scaled_out(database_url)) as app:
        scaled = type(app.app.state.queue.huey.storage).__name__ == "RedisStorage"
        assert scaled is not database_url.startswith("sqlite")
        deliver(ghsim, app, "pull_request", payload, guid="guid-1")
        created = len(ghsim.state.requests("POST", r"/check-runs$"))
        calls = len(ghsim.state.log)
        deliver(ghsim, app, "pull_request", payload, guid="guid-1")  # GitHub's redelivery: same guid
        assert len(ghsim.state.log) == calls  # a duplicate delivery is a no-op
        deliver(ghsim, app, "pull_request", payload, guid="guid-2")  # the same event sent twice
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "reopened"))
    assert created == 6
    assert len(ghsim.state.requests("POST", r"/check-runs$")) == 6
    assert len(runs(ghsim, pull.head_sha)) == 6
    assert len(ghsim.state.requests("POST", "/requested_reviewers$")) == 1
    assert len(ghsim.state.requests("GET", "/tarball/")) == 1  # tools ran once for the head
    assert not ghsim.state.requests("PATCH", "/check-runs/")[12:]  # unchanged results are not sent again


def test_an_override_counts_from_the_override_team_and_never_from_the_author(
    ghsim: GitHubSim, tmp_path: Path, database_url: str
) -> None:
    build_world(ghsim, policy="overrides:\n  team: '@acme/security'\n")
    pull = ai_pull(ghsim)
    finding = Finding("billing/charge.py", 4, "B001", "something risky")
    with running_app(ghsim, tmp_path, runners=fake_runners(lint=[finding]), **scaled_out(database_url)) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        assert runs(ghsim, pull.head_sha)["lint"].conclusion == "failure"
        deliver(
            ghsim,
            app,
            "issue_comment",
            comment_payload(ghsim, pull.number, "alice", "/prompt-to-pr override lint it is fine", 501),
        )
        lint = runs(ghsim, pull.head_sha)["lint"]
        assert lint.conclusion == "failure"
        assert "@alice: the PR's author cannot override its checks" in lint.output["summary"]
        deliver(
            ghsim, app, "issue_comment", comment_payload(ghsim, pull.number, "sec", "/prompt-to-pr override lint", 502)
        )
        assert runs(ghsim, pull.head_sha)["lint"].conclusion == "failure"  # no reason, no override
        deliver(
            ghsim,
            app,
            "issue_comment",
            comment_payload(ghsim, pull.number, "sec", "/prompt-to-pr override lint false positive: B001", 503),
        )
        lint = runs(ghsim, pull.head_sha)["lint"]
        with app.app.state.inbox.db.engine.connect() as conn:
            recorded = conn.execute(text("select login, gate, reason, accepted from overrides order by id")).all()
    assert lint.conclusion == "success"
    assert "Overridden" in lint.output["title"] and "false positive: B001" in lint.output["summary"]
    assert recorded == [
        ("alice", "lint", "it is fine", False),
        ("sec", "lint", "", False),
        ("sec", "lint", "false positive: B001", True),
    ]
    replies = [c.body for c in ghsim.state.repo(REPO).issues[pull.number].comments]
    assert len(replies) == 3
    assert "not accepted" in replies[0] and "author" in replies[0]
    assert "no reason given" in replies[1]
    assert "override accepted" in replies[2]
    assert len(ghsim.state.requests("GET", "/tarball/")) == 1  # overrides reuse the head's tool reports


def test_each_gate_of_an_evaluation_is_measured_once(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    pull = ai_pull(ghsim)
    settings = ghsim.settings()
    telemetry = Telemetry.create(settings, registry=CollectorRegistry())
    with running_app(ghsim, tmp_path, runners=fake_runners(), telemetry=telemetry) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
    assert len(runs(ghsim, pull.head_sha)) == 6
    registry = telemetry.metrics.registry
    for gate in ("lint", "types", "semgrep"):  # the gates with a changed file to run on (no dependency file)
        assert registry.get_sample_value("ghapp_job_duration_seconds_count", {"gate": gate}) == 1, gate
