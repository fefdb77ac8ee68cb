"""Before the tools run: only the files the head keeps are looked at, only runners with such files have work, and
a clean stored report is completed with the files it did not look at."""

from __future__ import annotations

from ghapp.core.decisions import Gate, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.enforcement.tool_plan import busy, checkable, completions
from tests.e2e.harness import FakeRunner
from tests.enforcement.test_tools import FILES


def test_only_files_the_head_keeps_are_checked() -> None:
    assert [f.path for f in checkable(FILES)] == ["billing/charge.py", "logo.py", "requirements.txt"]
    ruff, audit = FakeRunner("ruff", Gate.LINT), FakeRunner("pip-audit", Gate.DEPENDENCY_AUDIT, suffixes=(".lock",))
    assert busy([ruff, audit], FILES) == [ruff]


def test_completions_name_the_files_a_clean_stored_report_did_not_look_at() -> None:
    ruff, mypy, semgrep = (
        FakeRunner("ruff", Gate.LINT),
        FakeRunner("mypy", Gate.LINT),
        FakeRunner("semgrep", Gate.LINT),
    )
    stored = (
        ToolReport(Gate.LINT, "ruff", considered=("billing/charge.py",)),
        ToolReport(Gate.LINT, "mypy", status="error", considered=("billing/charge.py", "new.py")),
    )
    files = (*FILES, ChangedFile("new.py"))
    found = completions([ruff, mypy, semgrep], stored, files)
    assert found == {"ruff": (stored[0], ["logo.py", "new.py"])}  # mypy failed and semgrep has no report: all again
