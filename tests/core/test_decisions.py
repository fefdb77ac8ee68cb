"""A stored tool report speaks only for the diff it looked at."""

from __future__ import annotations

import pytest

from ghapp.core.decisions import Gate, ToolReport

REPORT = ToolReport(Gate.SEMGREP, "semgrep", files=("a.py",), considered=("a.py", "README.md", "bin/run"))


@pytest.mark.parametrize(("needed", "expected"), [
    ((), True),
    (("a.py",), True),
    (("a.py", "bin/run"), True),            # looked at, even though the tool read only a.py
    (("a.py", "b.py"), False),              # a file the diff gained since (a retargeted PR)
])
def test_a_report_covers_only_what_its_run_looked_at(needed: tuple[str, ...], expected: bool) -> None:
    assert REPORT.covers(needed) is expected


def test_a_report_from_before_coverage_was_recorded_covers_nothing() -> None:
    assert not ToolReport(Gate.LINT, "ruff", files=("a.py",)).covers(["a.py"])
    assert ToolReport(Gate.LINT, "ruff").covers([])
