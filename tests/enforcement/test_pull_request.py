"""Pull request events through the handlers: drafts, label events, edits, a PR closed or superseded mid-run
(within the check-run grace and past it), report mode, PRs over GitHub's file and commit caps, deleted and
binary files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ghapp.core.decisions import Finding, Gate
from ghapp.enforcement.notes import DRAFT_NOTE
from ghapp.runners import RunContext
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, FakeRunner, build_world, fake_runners
from tests.enforcement.conftest import Driver
from tests.ghsim.state import CheckRun, Pull


def runs(driver: Driver, head: str) -> dict[str, CheckRun]:
    return {r.name.removeprefix("prompt-to-pr / "): r for r in driver.sim.state.check_runs_for(REPO, head)}


def ai_pull(driver: Driver, changes: dict[str, Any] | None = None, **kwargs: Any) -> Pull:
    return driver.sim.state.create_pull(
        REPO,
        changes=changes or {"billing/charge.py": CHARGE_AI},
        messages=[AI_MESSAGE],
        body=kwargs.pop("body", AI_BODY),
        user="alice",
        **kwargs,
    )


def opened(driver: Driver, pull: Pull, action: str = "opened", **kwargs: Any) -> dict[str, Any]:
    return driver.sim.payloads.pull_request(REPO, pull.number, action, **kwargs)


def test_a_draft_is_checked_but_reviews_are_asked_only_once_it_is_ready(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver, draft=True)
    driver.handle("pull_request", opened(driver, pull))
    checks = runs(driver, pull.head_sha)
    assert checks["lint"].conclusion == "success"  # the tools ran on the draft
    assert checks["approvals"].conclusion == "action_required"
    assert DRAFT_NOTE in checks["approvals"].output["summary"]
    assert not driver.sim.state.requests("POST", "/requested_reviewers$")
    pull.draft = False
    driver.handle("pull_request", opened(driver, pull, "ready_for_review"))
    assert driver.sim.state.repo(REPO).pull(pull.number).requested_teams == ["billing"]  # type: ignore[union-attr]
    assert DRAFT_NOTE not in runs(driver, pull.head_sha)["approvals"].output["summary"]
    assert len(driver.sim.state.requests("GET", "/tarball/")) == 1


def test_the_apps_own_label_changes_are_ignored_and_a_removed_label_comes_back(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    calls = len(driver.sim.state.log)
    own = opened(driver, pull, "labeled", label="ai-generated", sender="prompt-to-pr[bot]")
    driver.handle("pull_request", own)  # GitHub created the label, grey: it is given its look, nothing judged
    new = [(r.method, r.path) for r in driver.sim.state.log[calls:] if not r.path.startswith("/app/")]
    assert new == [("PATCH", f"/repos/{REPO}/labels/ai-generated")]
    assert driver.sim.state.repo(REPO).labels["ai-generated"] == "d93f0b"
    calls = len(driver.sim.state.log)
    driver.handle("pull_request", opened(driver, pull, "labeled", label="ai-generated", sender="prompt-to-pr[bot]"))
    assert len(driver.sim.state.log) == calls  # dressed already: nothing to do
    driver.sim.state.repo(REPO).issues[pull.number].labels.remove("ai-generated")
    driver.handle("pull_request", opened(driver, pull, "unlabeled", label="ai-generated", sender="alice"))
    assert "ai-generated" in driver.sim.state.repo(REPO).issues[pull.number].labels
    assert len(driver.sim.state.requests("GET", "/tarball/")) == 1  # the head's tool reports were reused


def test_a_verdict_label_a_maintainer_adds_is_kept_and_judged_as_theirs(driver: Driver) -> None:
    build_world(driver.sim)
    pull = driver.sim.state.create_pull(
        REPO, changes={"app/util.py": "VALUE = 2\n"}, messages=["Change util"], body="Plain change.", user="alice"
    )
    driver.handle("pull_request", opened(driver, pull))
    assert runs(driver, pull.head_sha)["provenance"].conclusion == "success"  # no AI signal: human
    driver.sim.state.label_by_hand(REPO, pull.number, "ai-generated", "maria")
    driver.handle("pull_request", opened(driver, pull, "labeled", label="ai-generated", sender="maria"))
    provenance = runs(driver, pull.head_sha)["provenance"]
    assert (provenance.conclusion, provenance.output["title"]) == ("failure", "AI-written: the prompt is missing")
    assert "`maintainer-label`" in provenance.output["summary"]
    assert "ai-generated \\(added by @\u2060maria\\)" in provenance.output["summary"]  # evidence is escaped
    assert "ai-generated" in driver.sim.state.repo(REPO).issues[pull.number].labels  # never removed by the App


def test_editing_the_description_re_judges_provenance_without_running_the_tools(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver, body="Adds a fee.")
    driver.handle("pull_request", opened(driver, pull))
    assert runs(driver, pull.head_sha)["provenance"].conclusion == "failure"
    assert "## Prompt" in runs(driver, pull.head_sha)["provenance"].output["summary"]
    pull.body = AI_BODY
    payload = opened(driver, pull, "edited")
    payload["changes"] = {"body": {"from": "Adds a fee."}}
    driver.handle("pull_request", payload)
    assert runs(driver, pull.head_sha)["provenance"].conclusion == "success"
    assert len(driver.sim.state.requests("GET", "/tarball/")) == 1
    payload["changes"] = {"assignees": {}}
    calls = len(driver.sim.state.log)
    driver.handle("pull_request", payload)  # nothing the policy reads changed
    assert len(driver.sim.state.log) == calls


@dataclass(frozen=True)
class MeanwhileRunner(FakeRunner):
    """Records another delivery while the tools run (the PR is closed or pushed to meanwhile)."""

    meanwhile: list[Any] = field(default_factory=list)

    def command(self, ctx: RunContext, files: Any) -> list[str]:
        for action in self.meanwhile:
            action()
        return super().command(ctx, files)


@pytest.mark.parametrize("grace", [3600.0, 0.0], ids=["within the grace", "past the grace"])
def test_a_pull_request_closed_while_the_tools_run_leaves_no_check_in_progress(driver: Driver, grace: float) -> None:
    """Within the grace the tool gates' runs were never created, and none is: nothing to cancel. Past it they
    were shown in progress, and are cancelled."""
    driver.settings = driver.settings.with_overrides(checks_grace_s=grace)
    build_world(driver.sim)
    pull = ai_pull(driver)
    closed = opened(driver, pull, "closed")
    lint = MeanwhileRunner("ruff", Gate.LINT, meanwhile=[lambda: driver.record("pull_request", closed)])
    driver.use((lint, *fake_runners()[1:]))
    driver.handle("pull_request", opened(driver, pull))
    checks = runs(driver, pull.head_sha)
    assert {r.status for r in checks.values()} == {"completed"}
    assert checks["provenance"].conclusion == "success"
    if grace:
        assert not {"lint", "types", "semgrep"} & set(checks)
    else:
        assert {checks[g].conclusion for g in ("lint", "types", "semgrep")} == {"cancelled"}
        assert "closed" in checks["lint"].output["title"]


@pytest.mark.parametrize("grace", [3600.0, 0.0], ids=["within the grace", "past the grace"])
def test_a_head_superseded_while_the_tools_run_leaves_no_check_in_progress(driver: Driver, grace: float) -> None:
    driver.settings = driver.settings.with_overrides(checks_grace_s=grace)
    build_world(driver.sim)
    pull = ai_pull(driver)
    old_head = pull.head_sha

    def push() -> None:
        driver.sim.state.push(REPO, pull.number, {"app/util.py": "VALUE = 2\n"})
        driver.record("pull_request", opened(driver, pull, "synchronize"))

    driver.use((MeanwhileRunner("ruff", Gate.LINT, meanwhile=[push]), *fake_runners()[1:]))
    driver.handle("pull_request", driver.sim.payloads.pull_request(REPO, pull.number, "opened"))
    checks = runs(driver, old_head)
    assert {r.status for r in checks.values()} == {"completed"}
    assert checks["approvals"].conclusion == "action_required"  # published before the tools ran
    if grace:
        assert "lint" not in checks
    else:
        assert checks["lint"].conclusion == "cancelled" and "newer commit" in checks["lint"].output["title"]


def test_report_mode_concludes_neutral_and_says_what_enforce_would_do(driver: Driver) -> None:
    build_world(driver.sim, policy="mode: report\n")
    pull = ai_pull(driver)
    driver.use(fake_runners(lint=[Finding("billing/charge.py", 4, "B001", "risky")]))
    driver.handle("pull_request", opened(driver, pull))
    checks = runs(driver, pull.head_sha)
    assert checks["lint"].conclusion == "neutral"
    assert "would conclude **failure**" in checks["lint"].output["summary"]
    assert checks["approvals"].conclusion == "neutral"
    assert any(a["identifier"] == "rerun" for a in checks["lint"].actions)


def test_deleted_files_are_never_given_to_a_tool_and_files_without_a_diff_are(driver: Driver) -> None:
    """GitHub sends no diff for content it calls binary (one NUL byte is enough): the tool judges the file."""
    build_world(driver.sim, policy="gates:\n  lint:\n    applies_to: all\n")
    pull = driver.sim.state.create_pull(
        REPO,
        changes={"app/util.py": None, "logo.py": b"\x89PNG\x00\xff\xfe", "billing/charge.py": CHARGE_AI},
        user="alice",
    )
    lint = FakeRunner("ruff", Gate.LINT)
    driver.use((lint, *fake_runners()[1:]))
    driver.handle("pull_request", opened(driver, pull))
    assert lint.calls == [("billing/charge.py", "logo.py")]
    summary = runs(driver, pull.head_sha)["lint"].output["summary"]
    assert "`app/util.py`: deleted" in summary
    assert "`logo.py`: GitHub sent no diff, so every finding in the file counts" in summary


def test_a_pull_request_over_3000_files_is_not_scanned_and_fails_closed(driver: Driver) -> None:
    build_world(driver.sim)
    changes: dict[str, Any] = {f"gen/f{i}.py": "x = 1\n" for i in range(3001)}
    changes["billing/charge.py"] = CHARGE_AI
    pull = ai_pull(driver, changes)
    driver.handle("pull_request", opened(driver, pull))
    checks = runs(driver, pull.head_sha)
    assert checks["lint"].conclusion == "failure"
    assert "over 3,000" in checks["lint"].output["summary"]
    assert checks["approvals"].conclusion == "failure"
    assert "incomplete" in checks["approvals"].output["title"]
    assert not driver.sim.state.requests("GET", "/tarball/")


def test_a_pull_request_over_250_commits_says_the_later_ones_were_not_inspected(driver: Driver) -> None:
    build_world(driver.sim)
    commits: list[dict[str, str | bytes | None]] = [{f"notes/{i}.md": f"{i}\n"} for i in range(251)]
    pull = driver.sim.state.create_pull(REPO, commits=commits, user="alice", body="Notes.")
    driver.handle("pull_request", opened(driver, pull))
    provenance = runs(driver, pull.head_sha)["provenance"]
    assert "first 250 commits" in provenance.output["summary"] and "251" in provenance.output["summary"]


def test_a_policy_fixed_on_the_base_branch_clears_the_failing_policy_check(driver: Driver) -> None:
    build_world(driver.sim, policy="mode: sometimes\n")
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    assert runs(driver, pull.head_sha)["policy"].conclusion == "failure"
    repo = driver.sim.state.repo(REPO)
    driver.sim.state.commit(repo, {".github/prompt-to-pr.yml": "mode: enforce\n"}, branch="main")
    driver.handle("pull_request", opened(driver, pull, "reopened"))
    checks = runs(driver, pull.head_sha)
    assert checks["policy"].conclusion == "success"
    assert checks["lint"].conclusion == "success" and checks["approvals"].conclusion == "action_required"


def test_closing_a_pull_request_cancels_checks_left_waiting(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    reopened = opened(driver, pull, "reopened")
    lint = MeanwhileRunner("ruff", Gate.LINT, meanwhile=[lambda: driver.record("pull_request", reopened)])
    driver.use((lint, *fake_runners()[1:]))  # a newer delivery arrives: this run stops with its checks in progress
    driver.settings = driver.settings.with_overrides(checks_grace_s=0.0)  # shown in progress at once
    driver.handle("pull_request", opened(driver, pull))
    assert runs(driver, pull.head_sha)["lint"].status == "in_progress"
    driver.handle("pull_request", opened(driver, pull, "closed"))
    checks = runs(driver, pull.head_sha)
    assert {checks[g].conclusion for g in ("lint", "types", "semgrep")} == {"cancelled"}
    assert checks["provenance"].conclusion == "success"
    calls = len(driver.sim.state.log)
    driver.handle("pull_request", opened(driver, pull, "closed"))  # nothing left waiting: no call
    assert len(driver.sim.state.log) == calls


def test_a_comment_review_changes_nothing_and_costs_nothing(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    review = driver.sim.state.add_review(REPO, pull.number, "bob", "COMMENTED", body="nice")
    calls = len(driver.sim.state.log)
    driver.handle("pull_request_review", driver.sim.payloads.pull_request_review(REPO, pull.number, review.id))
    assert len(driver.sim.state.log) == calls
    dismissed = driver.sim.state.add_review(REPO, pull.number, "bob")
    driver.handle("pull_request_review", driver.sim.payloads.pull_request_review(REPO, pull.number, dismissed.id))
    assert runs(driver, pull.head_sha)["approvals"].conclusion == "success"
    dismissed.state = "DISMISSED"
    driver.handle(
        "pull_request_review", driver.sim.payloads.pull_request_review(REPO, pull.number, dismissed.id, "dismissed")
    )
    assert runs(driver, pull.head_sha)["approvals"].conclusion == "action_required"
