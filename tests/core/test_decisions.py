"""A stored tool report speaks only for the diff it looked at."""

from __future__ import annotations

import dataclasses

import pytest

from ghapp.core.decisions import Edit, Finding, Fix, Gate, ToolReport

REPORT = ToolReport(Gate.SEMGREP, "semgrep", files=("a.py",), considered=("a.py", "README.md", "bin/run"))


@pytest.mark.parametrize(
    ("needed", "expected"),
    [
        ((), True),
        (("a.py",), True),
        (("a.py", "bin/run"), True),  # looked at, even though the tool read only a.py
        (("a.py", "b.py"), False),  # a file the diff gained since (a retargeted PR)
    ],
)
def test_a_report_covers_only_what_its_run_looked_at(needed: tuple[str, ...], expected: bool) -> None:
    assert REPORT.covers(needed) is expected


def test_a_report_from_before_coverage_was_recorded_covers_nothing() -> None:
    assert not ToolReport(Gate.LINT, "ruff", files=("a.py",)).covers(["a.py"])
    assert ToolReport(Gate.LINT, "ruff").covers([])


def test_a_report_joined_with_a_run_on_more_files_speaks_for_both() -> None:
    first = ToolReport(
        Gate.LINT,
        "ruff",
        "1.0",
        findings=(),
        files=("a.py",),
        rules=("E",),
        duration_s=1.0,
        considered=("a.py", "README.md"),
        unaudited=("x: y",),
    )
    more = ToolReport(
        Gate.LINT,
        "ruff",
        "",
        findings=(Finding("b.py", 1, "E1", "m"),),
        files=("b.py", "a.py"),
        duration_s=0.5,
        considered=("b.py",),
    )
    joined = first.joined(more)
    assert joined.status == "ok" and joined.version == "1.0" and joined.rules == ("E",)
    assert joined.files == ("a.py", "b.py") and joined.considered == ("README.md", "a.py", "b.py")
    assert joined.findings == more.findings and joined.unaudited == ("x: y",) and joined.duration_s == 1.5
    failed = first.joined(ToolReport(Gate.LINT, "ruff", "2.0", status="timeout", error="slow", rules=("F",)))
    assert (failed.status, failed.error, failed.version, failed.rules) == ("timeout", "slow", "2.0", ("F",))


def test_fixes_travel_with_their_reports_and_back_from_json() -> None:
    fix = Fix("a.py", 1, "F401", "Remove unused import", "safe", (Edit(1, 1, 2, 1, ""),))
    joined = ToolReport(Gate.LINT, "ruff", fixes=(fix,)).joined(ToolReport(Gate.LINT, "ruff", fixes=(fix,)))
    assert joined.fixes == (fix, fix)
    assert Fix.from_json(dataclasses.asdict(fix)) == fix
