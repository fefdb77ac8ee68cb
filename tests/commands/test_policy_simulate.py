"""`ghapp policy simulate`: the decision on a real (simulated) GitHub pull request with approvals added or another
policy file, as a function over HTTP; GitHub gets no write, and a simulated approval is judged like a real one
(the author's and a non-member's do not count)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ghapp.cli import main
from ghapp.store.database import open_database
from ghapp.store.migrations import upgrade
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world
from tests.ghsim import GitHubSim


@pytest.fixture
def pull(ghsim: GitHubSim, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("GHAPP_")]:
        monkeypatch.delenv(key)
    settings = ghsim.settings()
    monkeypatch.setenv("GHAPP_APP_ID", settings.app_id)
    monkeypatch.setenv("GHAPP_PRIVATE_KEY", settings.private_key)
    monkeypatch.setenv("GHAPP_GITHUB_API_URL", settings.github_api_url)
    monkeypatch.setenv("GHAPP_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("GHAPP_DATA_DIR", str(tmp_path / "var"))
    db = open_database(os.environ["GHAPP_DATABASE_URL"])
    upgrade(db)
    db.engine.dispose()
    build_world(ghsim)
    created = ghsim.state.create_pull(
        REPO, changes={"billing/charge.py": CHARGE_AI}, messages=[AI_MESSAGE], body=AI_BODY, user="alice"
    )
    return created.number


def simulated(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    main(["policy", "simulate", "--repo", REPO, *args, "--format", "json"])
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def gate(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(g for g in data["decision"]["gates"] if g["gate"] == name)


def test_approvals_are_simulated_as_github_would_judge_them(
    ghsim: GitHubSim, pull: int, capsys: pytest.CaptureFixture[str]
) -> None:
    as_is = simulated(capsys, "--pr", str(pull))
    assert as_is["published"] is False and as_is["decision"]["verdict"]["verdict"] == "ai"
    assert gate(as_is, "approvals")["conclusion"] == "action_required"
    assert sorted(as_is["not_run"]) == ["dependency-audit", "lint", "semgrep", "types"]  # no stored report
    with_bob = simulated(capsys, "--pr", str(pull), "--approve", "bob")
    assert gate(with_bob, "approvals")["conclusion"] == "success"
    assert with_bob["decision"]["approvals"][0]["approved_by"] == ["bob"]
    for who in ("alice", "carol"):  # the author; someone outside @acme/billing
        refused = simulated(capsys, "--pr", str(pull), "--approve", who)
        assert gate(refused, "approvals")["conclusion"] == "action_required", who
    writes = [r for r in ghsim.state.requests() if r.method != "GET" and not r.path.endswith("/access_tokens")]
    assert writes == []  # nothing was published: no check run, review request, label or comment
    assert ghsim.state.check_runs_for(REPO, ghsim.state.repo(REPO).pull(pull).head_sha) == []


def test_another_policy_file_and_the_text_report(pull: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "relaxed.yml"
    policy.write_text("mode: report\n")
    report = simulated(capsys, "--pr", str(pull), "--policy", str(policy))
    assert gate(report, "approvals")["conclusion"] == "neutral" and report["policy_file"] == str(policy)
    assert main(["policy", "simulate", "--repo", REPO, "--pr", str(pull), "--approve", "bob"]) == 1
    text = capsys.readouterr().out
    assert "with approvals from @bob (simulated: nothing was published)" in text
    assert "category billing: approved; approved by @bob" in text and "(now" not in text
    broken = tmp_path / "broken.yml"
    broken.write_text("mode: sometimes\n")
    invalid = simulated(capsys, "--pr", str(pull), "--policy", str(broken))
    assert gate(invalid, "policy")["conclusion"] == "failure"
    assert main(["policy", "simulate", "--repo", "nonsense", "--pr", "1"]) == 2
    assert main(["policy", "simulate", "--repo", REPO, "--pr", "1", "--policy", str(tmp_path / "none.yml")]) == 2
