"""Running the tool gates on a head: only the changed files the head keeps reach a tool, and what stops the tools
from judging becomes a report that cannot pass."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from ghapp.core.decisions import Gate, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.core.policy.load import load_policy
from ghapp.enforcement.tools import busy, checkable, run_tools
from ghapp.github.policy_source import bundled_signals
from ghapp.resources import default_policy_text
from tests.e2e.harness import REPO, FakeRunner, build_world
from tests.enforcement.conftest import Driver
from tests.ghsim.gitdata import blob_sha

FILES = (ChangedFile("billing/charge.py"), ChangedFile("gone.py", status="removed"),
         ChangedFile("logo.py", patch_missing=True, binary=True), ChangedFile("requirements.txt"))


def policy(extra: str = "") -> object:
    result = load_policy([("default", default_policy_text()), ("repo", extra or "mode: enforce\n")],
                         signals=bundled_signals())
    assert result.policy is not None, result.issues
    return result.policy


def _run(driver: Driver, runners: list[FakeRunner], extra: str = "", **settings: object) -> tuple[ToolReport, ...]:
    head = driver.sim.state.repo(REPO).branches["main"]
    tree = driver.sim.state.repo(REPO).commits[head].tree
    files = tuple(replace(f, sha=blob_sha(tree[f.path])) if f.path in tree else f for f in FILES)  # as GitHub lists
    config = driver.settings.with_overrides(**settings)

    async def main() -> tuple[ToolReport, ...]:
        async with driver.sim.github_app() as app:
            return await run_tools(app.installation(next(iter(driver.sim.state.installations))), config,
                                   owner="acme", repo="payments", head_sha=head, base_ref="main",
                                   policy=policy(extra), runners=runners, files=files)  # type: ignore[arg-type]

    return asyncio.run(main())


def test_only_files_the_head_keeps_are_checked() -> None:
    assert [f.path for f in checkable(FILES)] == ["billing/charge.py", "logo.py", "requirements.txt"]
    ruff, audit = FakeRunner("ruff", Gate.LINT), FakeRunner("pip-audit", Gate.DEPENDENCY_AUDIT, suffixes=(".lock",))
    assert busy([ruff, audit], FILES) == [ruff]


def test_the_tools_see_the_head_and_the_changed_files(driver: Driver) -> None:
    build_world(driver.sim)
    ruff = FakeRunner("ruff", Gate.LINT)
    (report,) = _run(driver, [ruff])
    assert report.status == "ok" and ruff.calls == [("billing/charge.py",)]


def test_a_tarball_over_the_cap_fails_the_gates(driver: Driver) -> None:
    build_world(driver.sim)
    (report,) = _run(driver, [FakeRunner("ruff", Gate.LINT)], tarball_max_bytes=10)
    assert report.status == "error" and "over the 10 byte limit" in report.error


def test_semgrep_rule_files_missing_from_the_base_branch_fail_the_semgrep_gate(driver: Driver) -> None:
    build_world(driver.sim, files={"rules/ok.yml": "rules: []\n"})
    semgrep, ruff = FakeRunner("semgrep", Gate.SEMGREP), FakeRunner("ruff", Gate.LINT)
    reports = _run(driver, [ruff, semgrep], "gates:\n  semgrep:\n    rules: [rules/ok.yml, rules/gone.yml]\n")
    assert [r.gate for r in reports] == [Gate.LINT, Gate.SEMGREP]
    assert reports[0].status == "ok"
    assert reports[1].status == "error" and "rules/gone.yml" in reports[1].error
    assert semgrep.calls == []
