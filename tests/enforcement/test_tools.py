"""Running the tool gates on a head: only the changed files the head keeps reach a tool, and what stops the tools
from judging becomes a report that cannot pass."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from ghapp.core.decisions import Finding, Gate, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.core.policy.load import load_policy
from ghapp.enforcement.tool_plan import busy
from ghapp.enforcement.tools import run_tools
from ghapp.github.policy_source import bundled_signals
from ghapp.resources import default_policy_text
from tests.e2e.harness import REPO, FakeRunner, build_world
from tests.enforcement.conftest import Driver
from tests.ghsim.gitdata import blob_sha

FILES = (
    ChangedFile("billing/charge.py"),
    ChangedFile("gone.py", status="removed"),
    ChangedFile("logo.py", patch_missing=True, binary=True),
    ChangedFile("requirements.txt"),
)


def policy(extra: str = "") -> object:
    result = load_policy(
        [("default", default_policy_text()), ("repo", extra or "mode: enforce\n")], signals=bundled_signals()
    )
    assert result.policy is not None, result.issues
    return result.policy


def _run(
    driver: Driver,
    runners: list[FakeRunner],
    extra: str = "",
    changed: tuple[ChangedFile, ...] = FILES,
    **settings: object,
) -> tuple[ToolReport, ...]:
    head = driver.sim.state.repo(REPO).branches["main"]
    tree = driver.sim.state.repo(REPO).commits[head].tree
    files = tuple(replace(f, sha=blob_sha(tree[f.path])) if f.path in tree else f for f in changed)  # as GitHub lists
    config = driver.settings.with_overrides(**settings)

    async def main() -> tuple[ToolReport, ...]:
        async with driver.sim.github_app() as app:
            return await run_tools(
                app.installation(next(iter(driver.sim.state.installations))),
                config,
                owner="acme",
                repo="payments",
                head_sha=head,
                base_ref="main",
                policy=policy(extra),
                runners=runners,
                files=files,
            )  # type: ignore[arg-type]

    return asyncio.run(main())


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


def test_what_a_file_is_comes_from_its_first_line_too(driver: Driver) -> None:
    """A `.pyw` and a Python script without a suffix reach the Python tools under an alias, and come back under
    their own names; a shell script reaches a shell reader; a notebook, and a script nothing reads, are named as
    not checked by the gates that read code. Nothing with a telling name is touched."""
    build_world(
        driver.sim,
        files={
            "gui.pyw": "import tkinter\n",
            "bin/deploy": "#!/usr/bin/env python3\nprint(1)\n",
            "bin/setup-env": "#!/bin/bash\necho hi\n",
            "bin/report": "#!/usr/bin/perl\nprint 1;\n",
            "nb.ipynb": "{}\n",
            "LICENSE": "MIT\n",
        },
    )
    ruff = FakeRunner(
        "ruff",
        Gate.LINT,
        findings=(Finding("gui_pyw.py", 1, "F401", "unused"), Finding("bin/deploy.py", 2, "T201", "print")),
    )
    shell = FakeRunner("semgrep", Gate.SEMGREP, suffixes=(".py", ".sh"))
    changed = tuple(
        ChangedFile(p)
        for p in ("gui.pyw", "bin/deploy", "bin/setup-env", "bin/report", "nb.ipynb", "LICENSE", "billing/charge.py")
    )
    assert busy([ruff, shell], (ChangedFile("LICENSE"),)) == [ruff, shell]  # its content must be looked at
    lint, scan = _run(driver, [ruff, shell], changed=changed)
    assert ruff.calls == [("billing/charge.py", "bin/deploy.py", "gui_pyw.py")]
    assert set(lint.files) == {"bin/deploy", "billing/charge.py", "gui.pyw"}
    assert {(f.path, f.rule) for f in lint.findings} >= {("gui.pyw", "F401"), ("bin/deploy", "T201")}
    assert lint.unaudited == ("nb.ipynb: a Jupyter notebook, which ruff does not read",)
    assert shell.calls == [("billing/charge.py", "bin/deploy.py", "bin/setup-env.sh", "gui_pyw.py")]
    assert "bin/report: a script for an interpreter semgrep has no rules for" in scan.unaudited
    assert set(lint.considered) == {p.path for p in changed}
