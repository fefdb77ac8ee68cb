"""End to end on the simulator, with the real ruff: where reviewers look. With `security_events` granted, each
tool gate's SARIF is uploaded for the PR head (valid SARIF 2.1.0, the PR's paths only); with
`gates.lint.suggestions: true`, ruff's safe fixes arrive as one review with a suggested change per file. Without
the permission nothing is uploaded; with code scanning off the upload is refused once; neither changes a check."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghapp.core.decisions import Gate
from ghapp.runners.ruff import Ruff
from tests.core.test_sarif import valid
from tests.e2e.harness import REPO, build_world, fake_runners, running_app
from tests.e2e.test_pull_request_flow import ai_pull, deliver, runs
from tests.ghsim import GitHubSim

pytestmark = [pytest.mark.tools]

POLICY = "gates:\n  lint:\n    suggestions: true\n"
ONE = "import os\nimport sys\n\nprint(sys.argv)\n"
TWO = "import json\nimport re\n\nVALUE = re.escape('x')\n"
TOOL_GATES = {"lint", "types", "semgrep", "dependency-audit"}


def runners() -> tuple[object, ...]:
    return (Ruff(), *(r for r in fake_runners() if r.gate is not Gate.LINT))


def judge(sim: GitHubSim, tmp_path: Path, *, granted: bool, code_scanning: str = "on") -> tuple[str, dict[str, str]]:
    inst = build_world(sim, policy=POLICY)
    if granted:
        sim.state.installations[inst].permissions["security_events"] = "write"
    sim.state.repo(REPO).code_scanning = code_scanning
    pull = ai_pull(sim, {"app/one.py": ONE, "app/two.py": TWO})
    with running_app(sim, tmp_path, runners=runners()) as app:  # type: ignore[arg-type]
        deliver(sim, app, "pull_request", sim.payloads.pull_request(REPO, pull.number, "opened"))
        conclusions = {gate: run.conclusion or "" for gate, run in runs(sim, pull.head_sha).items()}
        failed = app.app.state.inbox.counts()
    assert all(count == 0 for state, count in failed.items() if state.value == "failed"), failed
    return pull.head_sha, conclusions


def test_sarif_per_tool_gate_and_one_review_of_suggestions(ghsim: GitHubSim, tmp_path: Path) -> None:
    head, conclusions = judge(ghsim, tmp_path, granted=True)
    assert conclusions["lint"] == "failure"  # two unused imports on added lines
    uploads = ghsim.state.sarif_uploads
    categories = {u.sarif["runs"][0]["automationDetails"]["id"] for u in uploads}
    assert categories == {f"prompt-to-pr/{gate}/" for gate in TOOL_GATES} and len(uploads) == 4
    for upload in uploads:
        valid(upload.sarif)
        assert (upload.commit_sha, upload.ref, upload.processing_status) == (head, "refs/pull/1/head", "complete")
    (lint,) = [u for u in uploads if u.sarif["runs"][0]["automationDetails"]["id"] == "prompt-to-pr/lint/"]
    located = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in lint.sarif["runs"][0]["results"]
    }
    assert {("lint/F401", "app/one.py"), ("lint/F401", "app/two.py")} <= located

    (review,) = ghsim.state.repo(REPO).pull(1).reviews  # type: ignore[union-attr]
    assert review.state == "COMMENTED" and review.commit_id == head and review.user == "prompt-to-pr[bot]"
    assert [(c["path"], c["line"]) for c in review.comments] == [("app/one.py", 1), ("app/two.py", 1)]
    assert all("```suggestion\n```" in c["body"] for c in review.comments)  # each removes its unused import


def test_without_the_permission_nothing_is_uploaded_and_nothing_fails(ghsim: GitHubSim, tmp_path: Path) -> None:
    _, conclusions = judge(ghsim, tmp_path, granted=False)
    assert ghsim.state.requests("POST", r"/code-scanning/sarifs$") == [] and ghsim.state.sarif_uploads == []
    assert conclusions["lint"] == "failure" and set(conclusions) >= TOOL_GATES
    assert len(ghsim.state.repo(REPO).pull(1).reviews) == 1  # suggestions need no extra permission  # type: ignore[union-attr]


def test_a_refused_upload_is_tried_once_and_changes_no_check(ghsim: GitHubSim, tmp_path: Path) -> None:
    _, refused = judge(ghsim, tmp_path, granted=True, code_scanning="off")
    assert len(ghsim.state.requests("POST", r"/code-scanning/sarifs$")) == 1  # 404: the other gates not tried
    assert ghsim.state.sarif_uploads == []
    assert refused["lint"] == "failure" and refused["approvals"] and refused["provenance"]
