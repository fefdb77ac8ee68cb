"""The dependency-audit runner: pins in, advisories out on the requirement's line; skipped is never clean."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ghapp.runners.base import RunContext, RunnerError, ToolRun
from ghapp.runners.pip_audit import PipAudit
from ghapp.runners.process import run
from tests.osv_server import OsvIndex
from tests.runners.conftest import DATA

CTX = RunContext(root=Path("/ROOT"), scratch=Path("/S"), osv_url="http://osv.invalid/v1/query")


def _captured(name: str) -> ToolRun:
    inputs = json.loads((DATA / f"pip-audit.{name}.inputs.json").read_text())
    return ToolRun(
        argv=(), returncode=1, stdout=(DATA / f"pip-audit.{name}.json").read_text(), stderr="", inputs=inputs
    )


def test_command_installs_nothing_and_uses_the_configured_service() -> None:
    argv = PipAudit().command(CTX, ["requirements.txt"])
    assert {"--no-deps", "--disable-pip"} <= set(argv)
    assert argv[argv.index("-r") + 1] == "/S/pip-audit/requirements.audit.txt"
    assert argv[argv.index("-s") + 1] == "osv"
    assert argv[argv.index("--osv-url") + 1] == "http://osv.invalid/v1/query"
    assert "requirements.txt" not in argv  # the PR's file is never handed to pip-audit


def test_prepare_writes_pins_and_keeps_origins(repo: Callable[..., RunContext]) -> None:
    ctx = repo("bad")
    inputs = PipAudit().prepare(ctx, ["requirements.txt", "pyproject.toml"])
    assert inputs["requirements.audit.txt"] == "jinja2==2.10\npyyaml==5.3\nrequests==2.19.0\n"
    origins = json.loads(inputs["origins.json"])
    assert {
        "name": "requests",
        "version": "2.19.0",
        "path": "requirements.txt",
        "line": 2,
        "reason": "",
        "ecosystem": "PyPI",
        "via": "",
    } in origins


def test_prepare_turns_unreadable_files_into_unaudited(tmp_path: Path) -> None:
    root = tmp_path / "head"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project\n")
    (root / "requirements.txt").symlink_to("/etc/hostname")
    inputs = PipAudit().prepare(RunContext(root=root, scratch=tmp_path), ["pyproject.toml", "requirements.txt"])
    reasons = [o["reason"] for o in json.loads(inputs["origins.json"])]
    assert reasons[0].startswith("cannot parse the file") and "link" in reasons[1]
    assert inputs["requirements.audit.txt"] == ""


def test_parse_captured_output() -> None:
    report = PipAudit().parse(_captured("bad"), CTX)
    by_line = {(f.path, f.line, f.rule) for f in report.findings}
    assert ("requirements.txt", 2, "PYSEC-2018-28") in by_line
    assert ("requirements.txt", 3, "PYSEC-2020-96") in by_line
    assert ("pyproject.toml", 5, "PYSEC-2019-217") in by_line
    assert ("requirements.txt", 4, "unaudited") in by_line
    assert report.unaudited == (
        "flask (pyproject.toml:6): not pinned to one version (>=1.0)",
        "flask (requirements.txt:4): not pinned to one version (>=2.0)",
        "./local-package (requirements.txt:5): installed from a URL or path, not from the index",
    )
    (requests_2018,) = [f for f in report.findings if f.rule == "PYSEC-2018-28"]
    assert "CVE-2018-18074" in requests_2018.message and "fixed in 2.20.0" in requests_2018.message


def test_parse_treats_skipped_and_missing_packages_as_unaudited() -> None:
    origins = [
        {"name": "a", "version": "1.0", "path": "r.txt", "line": 1, "reason": ""},
        {"name": "b", "version": "2.0", "path": "r.txt", "line": 2, "reason": ""},
        {"name": "c", "version": "3.0", "path": "r.txt", "line": 3, "reason": ""},
    ]
    out = {
        "dependencies": [
            {"name": "A", "version": "1.0", "skip_reason": "could not query the service"},
            {
                "name": "c",
                "version": "3.0",
                "vulns": [{"id": "PYSEC-1", "fix_versions": [], "aliases": [], "description": "x" * 400}],
            },
        ]
    }
    tool_run = ToolRun(
        argv=(), returncode=1, stdout=json.dumps(out), stderr="", inputs={"origins.json": json.dumps(origins)}
    )
    report = PipAudit().parse(tool_run, CTX)
    assert report.unaudited == (
        "a (r.txt:1): could not query the service",
        "b (r.txt:2): missing from pip-audit's report",
    )
    assert [f.rule for f in report.findings] == ["unaudited", "unaudited", "PYSEC-1"]
    assert "no fixed version yet" in report.findings[2].message and report.findings[2].message.endswith("…")


@pytest.mark.parametrize("stdout", ["", "Traceback: boom", '{"fixes": []}'])
def test_parse_refuses_what_it_cannot_trust(stdout: str) -> None:
    tool_run = ToolRun(argv=(), returncode=1, stdout=stdout, stderr="ConnectionError", inputs={"origins.json": "[]"})
    with pytest.raises(RunnerError):
        PipAudit().parse(tool_run, CTX)


@pytest.mark.tools
def test_real_pip_audit_finds_the_advisories_of_a_vulnerable_pin(
    repo: Callable[..., RunContext], osv: tuple[str, OsvIndex]
) -> None:
    url, index = osv
    ctx = repo("bad", osv_url=f"{url}/v1/query")
    report = asyncio.run(run(PipAudit(), ctx, ["requirements.txt"], timeout_s=120))
    assert report.status == "ok", report.error
    found = {(f.line, f.rule) for f in report.findings}
    assert {(2, "PYSEC-2018-28"), (2, "PYSEC-2023-74"), (3, "PYSEC-2020-96"), (3, "PYSEC-2021-142")} <= found
    assert (4, "unaudited") in found and len(report.unaudited) == 2
    assert {"name": "requests", "ecosystem": "PyPI"} in [q["package"] for q in index.queries]


@pytest.mark.tools
def test_real_pip_audit_clean_pins(repo: Callable[..., RunContext], osv: tuple[str, OsvIndex]) -> None:
    url, _ = osv
    report = asyncio.run(run(PipAudit(), repo("good", osv_url=f"{url}/v1/query"), ["requirements.txt"], timeout_s=120))
    assert report.status == "ok" and report.findings == () and report.unaudited == ()


@pytest.mark.tools
def test_real_pip_audit_with_the_service_down_is_not_a_pass(repo: Callable[..., RunContext]) -> None:
    ctx = repo("good", osv_url="http://127.0.0.1:9/v1/query")
    report = asyncio.run(run(PipAudit(), ctx, ["requirements.txt"], timeout_s=120))
    assert report.status == "error" or report.unaudited
    assert report.status != "ok" or report.findings
