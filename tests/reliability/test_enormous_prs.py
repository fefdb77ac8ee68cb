"""Enormous pull requests and non-UTF-8 content through the pure core: 3,000 changed files (GitHub's cap),
tens of thousands of findings and a 1,000-rule CODEOWNERS through `evaluate`; patches with invalid UTF-8,
odd line separators and CRLF through `core.diff`. The answer stays correct and bounded, and the work grows
linearly with the size of the pull request (CPU time at an eighth of the size and at full size, compared)."""

from __future__ import annotations

from dataclasses import replace

from ghapp.core.decisions import Conclusion, Finding, Gate, ToolReport
from ghapp.core.detection.detect import parse_signal_table
from ghapp.core.diff import added_lines, parse_unified_diff
from ghapp.core.evaluate import evaluate
from ghapp.core.facts import Actor, ChangedFile, Commit, Facts, Person, PullRequest, Review
from ghapp.core.policy.load import load_policy
from tests.paths import ROOT
from tests.work import growth

SIGNALS = parse_signal_table((ROOT / "policies" / "ai-signals.yml").read_text(encoding="utf-8"))
DEFAULT = (ROOT / "policies" / "default.yml").read_text(encoding="utf-8")
HEAD = "f" * 40
AI_FOOTER = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n"
LINEAR = 24  # an input 8 times larger may cost at most 24 times more (linear work costs 8; quadratic, 64)


def _facts(n_files: int, findings_per_file: int) -> Facts:
    dirs = ["billing", "auth", "src/app", "docs", "secrets", "lib/core"]
    files = tuple(
        ChangedFile(
            f"{dirs[i % len(dirs)]}/m{i // len(dirs)}/file_{i}.py", additions=200, added_lines=frozenset(range(1, 201))
        )
        for i in range(n_files)
    )
    findings = tuple(
        Finding(f.path, line, "F401", f"`x{line}` imported but unused")
        for f in files
        for line in range(1, findings_per_file + 1)
    )
    reports = (
        ToolReport(Gate.LINT, "ruff", findings=findings),
        ToolReport(Gate.TYPES, "mypy"),
        ToolReport(Gate.SEMGREP, "semgrep"),
        ToolReport(Gate.DEPENDENCY_AUDIT, "pip-audit"),
    )
    codeowners = "".join(f"/src/app/m{i}/ @acme/team-{i % 40}\n" for i in range(1_000))
    person = Person("Alice", "alice@example.com", "alice")
    commits = tuple(
        Commit(f"{i:040x}", f"Change {i}" + (AI_FOOTER if i == 0 else "\n"), person, person) for i in range(250)
    )
    reviews = tuple(Review(Actor(f"user{i}"), "APPROVED", HEAD if i % 2 else "0" * 40) for i in range(100))
    return Facts(
        pull_request=PullRequest(1, Actor("alice"), title="Everything", body="", head_ref="big", head_sha=HEAD),
        commits=commits,
        files=files,
        reviews=reviews,
        codeowners=codeowners,
        team_members={f"acme/team-{i}": frozenset({f"user{i}"}) for i in range(40)},
        tool_reports=reports,
    )


def test_three_thousand_files_and_sixty_thousand_findings_evaluate_quickly() -> None:
    policy = load_policy([("default.yml", DEFAULT)], signals=SIGNALS).policy
    assert policy is not None
    facts = {n: _facts(n, 20) for n in (375, 3_000)}
    decision = evaluate(policy, facts[3_000])
    ratio = growth(lambda n: evaluate(policy, facts[n]), 375, factor=8, repeat=2)
    assert ratio < LINEAR, f"8 times the files and findings cost {ratio:.1f} times the CPU"
    assert decision.verdict.verdict == "ai"
    lint = decision.gate(Gate.LINT)
    assert lint is not None and lint.conclusion is Conclusion.FAILURE
    assert len(lint.annotations) == 60_000  # every finding on a changed line is kept for annotation batches
    approvals = decision.gate(Gate.APPROVALS)
    assert approvals is not None and approvals.conclusion is not Conclusion.SUCCESS
    assert {c.category for c in decision.approvals} >= {"billing", "auth", "secrets"}
    for gate in decision.gates:  # what the publisher must then cut to GitHub's cap stays a string
        assert isinstance(gate.summary, str) and gate.title


def test_a_truncated_file_list_never_passes() -> None:
    """GitHub lists at most 3,000 files: a PR with more cannot be judged on the files it could not see."""
    policy = load_policy([("default.yml", DEFAULT)], signals=SIGNALS).policy
    assert policy is not None
    facts = _facts(3_000, 0)
    clean = replace(
        facts,
        files_truncated=True,
        reviews=(),
        codeowners=None,
        files=tuple(ChangedFile(f"docs/page{i}.md", added_lines=frozenset({1})) for i in range(3_000)),
    )
    decision = evaluate(policy, clean)
    assert not decision.passed, [(g.gate.value, g.conclusion.value) for g in decision.gates]


def test_a_patch_with_invalid_utf8_keeps_its_line_numbers() -> None:
    raw = (
        b"diff --git a/src/caf\xc3\xa9.py b/src/caf\xc3\xa9.py\n--- a/src/caf\xc3\xa9.py\n+++ b/src/caf\xc3\xa9.py\n"
        b"@@ -1,3 +1,5 @@\n ok = 1\n+latin = 'caf\xe9'\n+bad = '\xff\xfe\xfd'\n ctx\x0c\n+after = '\xc3\x28'\n"
        b" last\n"
    )
    text = raw.decode("utf-8", errors="replace")  # what `ghapp check` does with git's output
    files = parse_unified_diff(text)
    assert list(files) == ["src/café.py"]
    assert files["src/café.py"].added_lines == frozenset({2, 3, 5})
    assert files["src/café.py"].additions == 3


def test_a_huge_patch_is_read_in_linear_time() -> None:
    hunks = {
        n: f"@@ -1,0 +1,{n} @@\n" + "".join(f"+line {i} \u2028 \x0c tail\n" for i in range(n))
        for n in (50_000, 400_000)
    }
    lines = added_lines(hunks[400_000])
    ratio = growth(lambda n: added_lines(hunks[n]), 50_000, factor=8)
    assert ratio < LINEAR, f"8 times the lines cost {ratio:.1f} times the CPU"
    assert len(lines) == 400_000 and max(lines) == 400_000


def test_a_diff_of_three_thousand_files_with_quoted_binary_and_renamed_paths() -> None:
    parts = []
    for i in range(3_000):
        if i % 3 == 0:
            parts.append(
                f'diff --git "a/d/\\303\\251{i}.py" "b/d/\\303\\251{i}.py"\n--- "a/d/\\303\\251{i}.py"\n'
                f'+++ "b/d/\\303\\251{i}.py"\n@@ -1 +1,2 @@\n x\n+y\n'
            )
        elif i % 3 == 1:
            parts.append(
                f"diff --git a/b{i}.bin b/b{i}.bin\nindex 1..2\nBinary files a/b{i}.bin and b/b{i}.bin differ\n"
            )
        else:
            parts.append(
                f"diff --git a/old{i}.py b/new{i}.py\nsimilarity index 90%\nrename from old{i}.py\n"
                f"rename to new{i}.py\n--- a/old{i}.py\n+++ b/new{i}.py\n@@ -1 +1 @@\n-a\n+b\n"
            )
    files = parse_unified_diff("".join(parts))
    assert len(files) == 3_000
    assert files["d/é0.py"].added_lines == frozenset({2})
    assert files["b1.bin"].binary and files["b1.bin"].patch_missing
    assert files["new2.py"].previous_path == "old2.py" and files["new2.py"].status == "renamed"
