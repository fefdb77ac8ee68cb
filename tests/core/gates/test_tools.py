"""Tool gates: changed-line filtering, severity thresholds, fail closed, and summaries a human can act on."""

from __future__ import annotations

import pytest

from ghapp.core.decisions import Conclusion, Finding, Gate, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.core.gates.tools import tool_gate
from ghapp.core.policy.model import GateSettings

LINT = GateSettings(Gate.LINT)
FILES = (
    ChangedFile("src/app.py", added_lines=frozenset({10, 11, 12})),
    ChangedFile("src/new.py", status="added", added_lines=frozenset(range(1, 30))),
    ChangedFile("src/big.py", patch_missing=True),
    ChangedFile("src/old.py", status="removed"),
    ChangedFile("logo.png", binary=True, patch_missing=True),
)


def _f(path: str, line: int, rule: str = "F401", severity: str = "error", end_line: int | None = None) -> Finding:
    return Finding(path, line, rule, f"message for {rule}", severity, end_line)  # type: ignore[arg-type]


def _report(*findings: Finding, gate: Gate = Gate.LINT, **kw: object) -> ToolReport:
    return ToolReport(
        gate, "ruff", "0.17.6", findings=findings, files=("src/app.py", "src/new.py"), rules=("E", "F"), **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("finding", "counted"),
    [
        (_f("src/app.py", 11), True),  # an added line
        (_f("src/app.py", 9), False),  # a line the PR did not change
        (_f("src/app.py", 8, end_line=10), True),  # spans an added line
        (_f("src/app.py", 13, end_line=12), False),  # a bogus end before the start is the start alone
        (_f("src/app.py", 0), True),  # file-level
        (_f("src/new.py", 29), True),
        (_f("src/big.py", 500), True),  # no diff from GitHub: the whole file counts
        (_f("src/old.py", 1), False),  # deleted
        (_f("elsewhere.py", 1), False),  # not in the PR
    ],
)
def test_only_findings_on_changed_lines_count(finding: Finding, counted: bool) -> None:
    result = tool_gate(LINT, [_report(finding)], FILES, is_ai=True)
    assert result.annotations == ((finding,) if counted else ())
    assert result.conclusion is (Conclusion.FAILURE if counted else Conclusion.SUCCESS)


def test_whole_file_counts_every_finding_in_changed_files() -> None:
    settings = GateSettings(Gate.TYPES, whole_file=True)
    findings = (_f("src/app.py", 1, "arg-type"), _f("src/app.py", 11, "arg-type"), _f("x.py", 1, "arg-type"))
    result = tool_gate(settings, [_report(*findings, gate=Gate.TYPES)], FILES, is_ai=True)
    assert result.annotations == findings[:2]
    assert result.title == "2 findings in changed files, 2 blocking"
    assert "1 finding in files this PR does not change" in result.summary


def test_dependency_audit_counts_findings_anywhere_in_a_changed_dependency_file() -> None:
    files = (ChangedFile("requirements.txt", added_lines=frozenset({3})),)
    findings = (_f("requirements.txt", 7, "GHSA-aaaa"), _f("requirements-dev.txt", 2, "GHSA-bbbb"))
    report = ToolReport(Gate.DEPENDENCY_AUDIT, "pip-audit", "2.10.1", findings=findings, files=("requirements.txt",))
    result = tool_gate(GateSettings(Gate.DEPENDENCY_AUDIT), [report], files, is_ai=True)
    assert result.annotations == findings[:1]
    assert result.conclusion is Conclusion.FAILURE
    assert "GHSA-aaaa" in result.summary and "pip-audit 2.10.1 on 1 file" in result.summary


@pytest.mark.parametrize(
    ("block_on", "severities", "conclusion", "title"),
    [
        ("error", ["warning", "note"], Conclusion.SUCCESS, "2 findings on changed lines, none blocking"),
        ("error", ["error", "warning"], Conclusion.FAILURE, "2 findings on changed lines, 1 blocking"),
        ("warning", ["warning", "note"], Conclusion.FAILURE, "2 findings on changed lines, 1 blocking"),
        ("note", ["note"], Conclusion.FAILURE, "1 finding on changed lines, 1 blocking"),
        ("error", [], Conclusion.SUCCESS, "No findings on changed lines"),
    ],
)
def test_block_on_sets_the_least_severe_blocking_finding(
    block_on: str, severities: list[str], conclusion: Conclusion, title: str
) -> None:
    settings = GateSettings(Gate.SEMGREP, block_on=block_on)  # type: ignore[arg-type]
    findings = [_f("src/app.py", 10 + i, f"r{i}", sev) for i, sev in enumerate(severities)]
    result = tool_gate(settings, [_report(*findings, gate=Gate.SEMGREP)], FILES, is_ai=True)
    assert (result.conclusion, result.title) == (conclusion, title)


def test_ignored_rules_never_count_and_are_listed() -> None:
    settings = GateSettings(Gate.LINT, ignore=("S101",))
    result = tool_gate(
        settings, [_report(_f("src/app.py", 10, "S101"), _f("src/app.py", 11, "S101"))], FILES, is_ai=True
    )
    assert result.conclusion is Conclusion.SUCCESS and result.annotations == ()
    assert "2 findings of `S101`, ignored by the policy (`gates.lint.ignore`)" in result.summary


@pytest.mark.parametrize(
    ("reports", "truncated", "title"),
    [
        ([], False, "The tool did not report on this head, so nothing was checked"),
        ([_report(status="timeout", error="killed after 120 s")], False, "ruff timed out: killed after 120 s"),
        ([_report(status="timeout")], False, "ruff timed out"),
        (
            [_report(status="error", error="exit 2: config | <!-- x")],
            False,
            "ruff failed: exit 2: config \\| &lt;\\!-- x",
        ),
        ([_report(status="error")], False, "ruff failed"),
        (
            [_report(unaudited=("foo", "bar"))],
            False,
            "2 changed files could not be checked by ruff (`foo`, `bar`); what was not checked may hide a problem",
        ),
        (
            [_report()],
            True,
            "GitHub listed only part of the PR's files, so some changed files were not checked; split the PR",
        ),
        ([_report(status="error", error="boom", unaudited=("x",))], True, "ruff failed: boom (and 2 more problems)"),
        (
            [_report(unaudited=("a.py: a symbolic link (to `b`) in the commit",))],
            False,
            "1 changed file could not be checked by ruff (`a.py: a symbolic link (to 'b') in the commit`); what "
            "was not checked may hide a problem",
        ),
    ],
)
def test_the_gate_fails_closed(reports: list[ToolReport], truncated: bool, title: str) -> None:
    result = tool_gate(LINT, reports, FILES, is_ai=True, files_truncated=truncated)
    assert result.conclusion is Conclusion.FAILURE
    assert result.title == title[:200]
    assert "### Why this check cannot pass" in result.summary


def test_an_unaudited_package_fails_the_dependency_audit() -> None:
    report = ToolReport(Gate.DEPENDENCY_AUDIT, "pip-audit", unaudited=("foo", "bar"))
    result = tool_gate(GateSettings(Gate.DEPENDENCY_AUDIT), [report], FILES, is_ai=True)
    assert result.conclusion is Conclusion.FAILURE
    assert result.title == "2 packages could not be audited (`foo`, `bar`); an unaudited package may be vulnerable"


def test_a_disabled_gate_is_skipped_with_the_reason() -> None:
    result = tool_gate(GateSettings(Gate.SEMGREP, enabled=False), [], FILES, is_ai=True)
    assert (result.conclusion, result.title) == (Conclusion.SKIPPED, "Disabled by the policy")
    assert "`gates.semgrep.enabled: false`" in result.summary


def test_a_human_pr_skips_an_ai_only_gate_and_says_how_to_change_it() -> None:
    result = tool_gate(GateSettings(Gate.DEPENDENCY_AUDIT), [], FILES, is_ai=False)
    assert (result.conclusion, result.title) == (Conclusion.SKIPPED, "Not required: the PR is not judged AI-written")
    assert "`gates.dependency_audit.applies_to: all`" in result.summary


def test_the_summary_has_a_table_the_tools_and_what_was_not_analysed() -> None:
    findings = [_f("src/app.py", 10, "E501", "error"), _f("src/app.py", 3, "F841")]
    result = tool_gate(LINT, [_report(*findings)], FILES, is_ai=True, files_truncated=False)
    assert "| `src/app.py:10` | `E501` | error | message for E501 |" in result.summary
    assert "ruff 0.17.6 on 2 files; rules: `E`, `F`" in result.summary
    assert (
        "1 finding on lines this PR did not change (set `gates.lint.whole_file: true` to count them)" in result.summary
    )
    for line in (
        "`src/old.py`: deleted",
        "`logo.png`: GitHub sent no diff, so every finding in the file counts",
        "`src/big.py`: GitHub sent no diff, so every finding in the file counts",
    ):
        assert line in result.summary


def test_the_summary_notes_a_cut_short_file_list_and_caps_the_table() -> None:
    files = (ChangedFile("a.py", status="added", added_lines=frozenset(range(1, 100))),)
    findings = [_f("a.py", i) for i in range(1, 80)]
    report = ToolReport(Gate.LINT, "ruff", findings=tuple(findings))
    result = tool_gate(LINT, [report], files, is_ai=True, files_truncated=True)
    assert "files beyond the list GitHub returned" in result.summary
    assert "_…and 29 more in the annotations._" in result.summary
    assert len(result.annotations) == 79
    assert "- ruff on 0 files" in result.summary


def test_annotations_are_sorted_by_place() -> None:
    findings = [_f("src/new.py", 5), _f("src/app.py", 12), _f("src/app.py", 10, "E1"), _f("src/app.py", 10, "A1")]
    result = tool_gate(LINT, [_report(*findings)], FILES, is_ai=True)
    assert [(f.path, f.line, f.rule) for f in result.annotations] == [
        ("src/app.py", 10, "A1"),
        ("src/app.py", 10, "E1"),
        ("src/app.py", 12, "F401"),
        ("src/new.py", 5, "F401"),
    ]


def test_several_reports_for_one_gate_are_combined() -> None:
    one = _report(_f("src/app.py", 10, "A"))
    two = ToolReport(Gate.LINT, "ruff-format", findings=(_f("src/new.py", 1, "B"),))
    result = tool_gate(LINT, [one, two], FILES, is_ai=True)
    assert len(result.annotations) == 2
    assert "- ruff-format on 0 files" in result.summary


@pytest.mark.parametrize(
    ("branches", "base", "governed"),
    [
        ((), "feature", True),
        (("main", "release/*"), "main", True),
        (("main", "release/*"), "release/2.0", True),
        (("main", "release/*"), "release", False),
        (("main", "release/*"), "Main", False),  # branch names are case-sensitive
        (("main",), "develop", False),
        (("main",), None, True),  # unknown base: a branch-scoped gate fails closed and judges
        (("main",), "", True),
    ],
)
def test_a_branch_scoped_gate_judges_only_prs_into_its_branches(
    branches: tuple[str, ...], base: str | None, governed: bool
) -> None:
    settings = GateSettings(Gate.SEMGREP, applies_to="all", branches=branches)
    result = tool_gate(settings, [_report(gate=Gate.SEMGREP)], FILES, is_ai=False, base=base)
    assert (result.conclusion is Conclusion.SKIPPED) is not governed
    assert settings.applies(False, base) is governed
    if not governed:
        assert result.title == "Not required on this base branch"
        assert f"`{base}`" in result.summary and "`gates.semgrep.branches`" in result.summary
