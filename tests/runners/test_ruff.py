"""The lint runner: argv, parse() on captured output, and the real ruff on fixture repositories."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from ghapp.core.decisions import Edit, Finding, Fix
from ghapp.runners.base import RunContext, RunnerError, ToolRun
from ghapp.runners.process import run
from ghapp.runners.ruff import Ruff
from tests.runners.conftest import DATA

CTX = RunContext(root=Path("/ROOT"), scratch=Path("/SCRATCH"), ruff_select=("E", "F"))


def test_command_is_isolated_with_explicit_rules() -> None:
    argv = Ruff().command(CTX, ["a.py", "-weird.py"])
    assert argv[1:3] == ["check", "--isolated"]
    assert argv[argv.index("--select") + 1] == "E,F"
    assert argv[-3:] == ["--", "a.py", "-weird.py"]
    assert Ruff().applies_to("x/y.pyi") and not Ruff().applies_to("x/y.js")


def test_parse_captured_output() -> None:
    out = (DATA / "ruff.bad.json").read_text()
    report = Ruff().parse(ToolRun(argv=(), returncode=1, stdout=out, stderr=""), CTX)
    assert report.status == "ok" and report.rules == ("E", "F")
    assert [(f.path, f.line, f.column, f.rule) for f in report.findings] == [
        ("app.py", 1, 8, "F401"),
        ("app.py", 10, 5, "S602"),
        ("app.py", 11, 5, "F841"),
    ]
    assert report.findings[0].message == "`os` imported but unused (F401)"
    # the fixes ruff offers travel with the report, each with its applicability and edits, as ruff said them
    assert report.fixes == (
        Fix("app.py", 1, "F401", "Remove unused import: `os`", "safe", (Edit(1, 1, 2, 1, ""),)),
        Fix("app.py", 11, "F841", "Remove assignment to unused variable `unused`", "unsafe", (Edit(11, 1, 12, 1, ""),)),
    )


def test_parse_syntax_errors_without_a_code() -> None:
    out = (
        '[{"code": null, "filename": "/ROOT/s.py", "location": {"row": 1, "column": 7}, "end_location": null,'
        ' "message": "Expected a parameter"}]'
    )
    (finding,) = Ruff().parse(ToolRun(argv=(), returncode=1, stdout=out, stderr=""), CTX).findings
    assert finding == Finding("s.py", 1, "invalid-syntax", "Expected a parameter", column=7)


@pytest.mark.parametrize(("code", "out"), [(2, "[]"), (0, "not json"), (0, '[{"location": {}}]')])
def test_parse_refuses_what_it_cannot_trust(code: int, out: str) -> None:
    with pytest.raises(RunnerError):
        Ruff().parse(ToolRun(argv=(), returncode=code, stdout=out, stderr="error: bad"), CTX)


@pytest.mark.tools
def test_real_ruff_on_good_and_bad_code(repo: Callable[..., RunContext]) -> None:
    bad = repo("bad")
    report = asyncio.run(run(Ruff(), bad, ["app.py"], timeout_s=60))
    assert report.status == "ok"
    assert {f.rule for f in report.findings} == {"F401", "S602", "F841"}
    assert {(f.rule, f.applicability) for f in report.fixes} >= {("F401", "safe")}  # kept through the run


@pytest.mark.tools
def test_real_ruff_on_clean_code(repo: Callable[..., RunContext]) -> None:
    report = asyncio.run(run(Ruff(), repo("good"), ["app.py"], timeout_s=60))
    assert report.status == "ok" and report.findings == () and report.version


@pytest.mark.tools
def test_real_ruff_ignores_the_repositorys_config(repo: Callable[..., RunContext]) -> None:
    # hostile/pyproject.toml ignores E and F and extends a file outside the checkout
    ctx = repo("hostile", ruff_select=("E", "F", "S"))
    report = asyncio.run(run(Ruff(), ctx, ["app.py", "evil_plugin.py"], timeout_s=60))
    assert report.status == "ok"
    assert ("evil_plugin.py", "E501") in {(f.path, f.rule) for f in report.findings}
