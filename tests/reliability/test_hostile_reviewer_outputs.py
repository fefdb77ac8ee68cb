"""Attacks on what the App puts where reviewers look, end to end on the simulator. Fail closed: nothing wrong is
ever posted or uploaded, and neither the uploads nor the suggestions change a conclusion.

- A PR whose content makes ruff's fix for a finding on an added line rewrite lines the PR did not write (and
  that lie outside the diff): no suggestion for it, and GitHub is never sent a comment it would refuse.
- A tool's report naming other files, paths outside the repository, and edits outside the file: the upload
  names only the PR's own files, and the review carries only the one fix that can be placed exactly.
- More findings than GitHub takes in one run: the upload keeps 25,000, says so in the run, and GitHub
  processes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ghapp.core.decisions import Edit, Finding, Fix, Gate, ToolReport
from ghapp.runners import RunContext, Runner, ToolRun
from ghapp.runners.ruff import Ruff
from tests.core.test_sarif import valid
from tests.e2e.harness import REPO, build_world, fake_runners, running_app
from tests.e2e.test_pull_request_flow import ai_pull, deliver, runs
from tests.ghsim import GitHubSim

POLICY = "gates:\n  lint:\n    suggestions: true\n"
NAMES = [f"name{i}" for i in range(8)]
# `from os import (...)` with eight names the module uses; the PR adds an unused one at the end of the list
IMPORTS = "from os import (\n" + "".join(f"    {n},\n" for n in NAMES) + ")\n\nprint(" + ", ".join(NAMES) + ")\n"
IMPORTS_PR = IMPORTS.replace(f"    {NAMES[-1]},\n", f"    {NAMES[-1]},\n    sep,\n")
ONE = "import os\nimport sys\n\nprint(sys.argv)\n"


@dataclass(frozen=True)
class Claiming:
    """A lint runner whose report says whatever the test wants, for whichever files it is given."""

    name: str
    findings: tuple[Finding, ...] = ()
    fixes: tuple[Fix, ...] = ()
    gate: Gate = Gate.LINT
    dist: str = "prompt-to-pr"
    needs_network: bool = False
    env: dict[str, str] = field(default_factory=dict)

    def applies_to(self, path: str) -> bool:
        return path.endswith(".py")

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return {}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        return ["/bin/true"]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        return ToolReport(gate=self.gate, tool=self.name, findings=self.findings, fixes=self.fixes)


def judge(sim: GitHubSim, tmp_path: Path, runners: Sequence[Any], changes: dict[str, str | None]) -> dict[str, str]:
    inst = build_world(sim, policy=POLICY, files={"app/imports.py": IMPORTS})
    sim.state.installations[inst].permissions["security_events"] = "write"
    pull = ai_pull(sim, changes)
    with running_app(sim, tmp_path, runners=runners) as app:
        deliver(sim, app, "pull_request", sim.payloads.pull_request(REPO, pull.number, "opened"))
        conclusions = {gate: run.conclusion or "" for gate, run in runs(sim, pull.head_sha).items()}
    assert not [r for r in sim.state.requests(None, r"/reviews$|/code-scanning/") if r.status >= 400]
    return conclusions


def others() -> list[Runner]:
    return [r for r in fake_runners() if r.gate is not Gate.LINT]


@pytest.mark.tools
def test_a_fix_that_would_rewrite_lines_the_pr_did_not_write_is_not_suggested(ghsim: GitHubSim, tmp_path: Path) -> None:
    conclusions = judge(ghsim, tmp_path, [Ruff(), *others()], {"app/imports.py": IMPORTS_PR, "app/one.py": ONE})
    assert conclusions["lint"] == "failure"  # the unused `sep` on its added line still counts
    (review,) = ghsim.state.repo(REPO).pull(1).reviews  # type: ignore[union-attr]
    # ruff's fix for `sep` rewrites the whole statement from line 1, far outside the diff: only app/one.py's
    assert [(c["path"], c["line"]) for c in review.comments] == [("app/one.py", 1)]


def test_a_report_claiming_other_files_and_impossible_edits_posts_only_what_is_exact(
    ghsim: GitHubSim, tmp_path: Path
) -> None:
    findings = (
        Finding("app/one.py", 1, "F401", "`os` imported but unused"),
        Finding("/etc/passwd", 1, "X1", "absolute"),
        Finding("../outside.py", 1, "X2", "outside the repository"),
        Finding("app/imports.py", 1, "X3", "a file the PR does not change"),
    )
    fixes = (
        Fix("app/one.py", 1, "F401", "Remove unused import", "safe", (Edit(1, 1, 2, 1, ""),)),
        Fix("app/one.py", 3, "X4", "past the end", "safe", (Edit(999, 1, 999, 2, "boom"),)),
        Fix("app/one.py", 2, "X5", "past the line", "safe", (Edit(2, 1, 2, 400, "boom"),)),
        Fix("../outside.py", 1, "X6", "outside", "safe", (Edit(1, 1, 1, 2, "boom"),)),
        Fix("app/imports.py", 1, "X7", "not changed", "safe", (Edit(1, 1, 1, 2, "boom"),)),
        Fix("/etc/passwd", 1, "X8", "absolute", "safe", (Edit(1, 1, 1, 2, "boom"),)),
    )
    conclusions = judge(ghsim, tmp_path, [Claiming("claims", findings, fixes), *others()], {"app/one.py": ONE})
    assert conclusions["lint"] == "failure"
    for upload in ghsim.state.sarif_uploads:
        for result in valid(upload.sarif)["runs"][0]["results"]:
            assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/one.py"
    (review,) = ghsim.state.repo(REPO).pull(1).reviews  # type: ignore[union-attr]
    assert [(c["path"], c["line"], c["body"].count("boom")) for c in review.comments] == [("app/one.py", 1, 0)]


@pytest.mark.slow
def test_more_findings_than_github_takes_are_cut_to_its_limit(ghsim: GitHubSim, tmp_path: Path) -> None:
    def many(prefix: str) -> tuple[Finding, ...]:
        return tuple(
            Finding("app/one.py", 1, f"{prefix}{i}", "m", severity=("error", "note")[i % 2]) for i in range(9_000)
        )

    lint = [Claiming(f"lint{n}", many(f"R{n}-")) for n in range(3)]  # 27,000 findings on one added line
    conclusions = judge(ghsim, tmp_path, [*lint, *others()], {"app/one.py": ONE})
    assert conclusions["lint"] == "failure"
    (upload,) = [
        u
        for u in ghsim.state.sarif_uploads
        if u.sarif["runs"][0]["automationDetails"]["id"].startswith("prompt-to-pr/lint")
    ]
    run = upload.sarif["runs"][0]
    assert len(run["results"]) == 25_000 and upload.processing_status == "complete"
    assert run["properties"]["truncated"] is True and run["properties"]["resultsTotal"] == 27_000
    assert upload.gzip_bytes <= 10 * 1024 * 1024
