"""The semgrep runner and the bundled rules: every rule's positive and negative cases, hostile repositories."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from ghapp.resources import semgrep_rules_dir
from ghapp.runners.base import RunContext, RunnerError, ToolRun
from ghapp.runners.process import run
from ghapp.runners.semgrep import Semgrep, bundled_rules
from tests.paths import FIXTURES
from tests.runners.conftest import DATA

CASES = FIXTURES / "semgrep"
CTX = RunContext(root=Path("/ROOT"), scratch=Path("/SCRATCH"))
CAPTURED_RULES = tuple(Path("policies/semgrep") / p.name for p in bundled_rules())  # as the capture named them
SENSITIVE = {"secrets", "auth", "billing"}


def test_every_bundled_rule_has_category_severity_and_cases() -> None:
    annotated = "".join(p.read_text() for p in CASES.iterdir())
    for path in bundled_rules():
        for rule in yaml.safe_load(path.read_text())["rules"]:
            assert rule["severity"] in ("ERROR", "WARNING", "INFO"), rule["id"]
            assert rule["metadata"]["category"], rule["id"]
            assert "." not in rule["id"]
            assert f"ruleid: {rule['id']}\n" in annotated, f"no positive case for {rule['id']}"
            assert f"ok: {rule['id']}\n" in annotated, f"no negative case for {rule['id']}"


def test_command_defeats_the_ways_a_pr_hides_code() -> None:
    ctx = RunContext(root=Path("/ROOT"), scratch=Path("/S"), semgrep_rules=(Path("/base/.semgrep/team.yml"),))
    argv = Semgrep().command(ctx, ["a.py"])
    assert argv[1:3] == ["scan", "--experimental"]  # the native command: the flags below are checked against it
    for flag in ("--metrics=off", "--disable-version-check", "--disable-nosem", "--x-ignore-semgrepignore-files"):
        assert flag in argv
    configs = [argv[i + 1] for i, a in enumerate(argv) if a == "--config"]
    assert configs == [*map(str, bundled_rules()), "/base/.semgrep/team.yml"]
    assert argv[-2:] == ["--", "a.py"]


@pytest.mark.parametrize(
    ("path", "applies"),
    [
        ("a.py", True),
        ("web/x.tsx", True),
        (".env.production", True),
        ("Dockerfile", True),
        ("img.png", False),
        ("README.md", False),
    ],
)
def test_applies_to(path: str, applies: bool) -> None:
    assert Semgrep().applies_to(path) is applies


def test_parse_captured_output_strips_rule_prefixes_and_keeps_categories() -> None:
    out = (DATA / "semgrep.hostile.json").read_text()
    run_ = ToolRun(argv=(), returncode=0, stdout=out, stderr="", files=("app.py", "evil_plugin.py"))
    report = Semgrep(rules=CAPTURED_RULES).parse(run_, CTX)
    assert report.status == "ok" and report.unaudited == ()
    assert [(f.path, f.line, f.rule, f.category, f.severity) for f in report.findings] == [
        ("app.py", 12, "secrets-token-literal", "secrets", "error"),
        ("app.py", 13, "secrets-hardcoded-credential", "secrets", "error"),
    ]


def test_parse_reports_skipped_and_failed_files_as_unaudited() -> None:
    out = (
        '{"results": [], "errors": [{"type": "Timeout", "level": "warn", "path": "/ROOT/big.py"}],'
        ' "paths": {"scanned": ["big.py"]}}'
    )
    report = Semgrep().parse(ToolRun(argv=(), returncode=0, stdout=out, stderr="", files=("big.py", "huge.js")), CTX)
    assert report.unaudited == ("big.py: Timeout", "huge.js: not scanned")


@pytest.mark.parametrize(
    ("code", "out"),
    [
        (0, "not json"),
        (7, '{"results": [], "errors": [{"level": "error", "message": "invalid rule"}]}'),
        (2, '{"results": [], "errors": []}'),
        (0, '{"errors": []}'),
    ],
)
def test_parse_refuses_what_it_cannot_trust(code: int, out: str) -> None:
    with pytest.raises(RunnerError):
        Semgrep().parse(ToolRun(argv=(), returncode=code, stdout=out, stderr=""), CTX)


def _expected(path: Path) -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]]]:
    positive: set[tuple[str, int, str]] = set()
    negative: set[tuple[str, int, str]] = set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = re.search(r"(?:#|//) (ruleid|ok): (\S+)$", line)
        if match:
            (positive if match.group(1) == "ruleid" else negative).add((path.name, number + 1, match.group(2)))
    return positive, negative


@pytest.mark.tools
def test_bundled_rules_on_their_cases(tmp_path: Path) -> None:
    ctx = RunContext(root=CASES, scratch=tmp_path)
    files = sorted(p.name for p in CASES.iterdir())
    report = asyncio.run(run(Semgrep(), ctx, files, timeout_s=240))
    assert report.status == "ok", report.error
    assert report.unaudited == ()
    found = {(f.path, f.line, f.rule) for f in report.findings}
    positive: set[tuple[str, int, str]] = set()
    negative: set[tuple[str, int, str]] = set()
    for name in files:
        yes, no = _expected(CASES / name)
        positive |= yes
        negative |= no
    assert positive - found == set(), "rules missed their positive cases"
    assert found & negative == set(), "rules fired on their negative cases"
    assert found - positive == set(), "unexpected findings"
    categories = {f.rule: f.category for f in report.findings}
    assert categories["billing-amount-from-client"] == "billing"
    assert categories["auth-webhook-without-signature-check"] == "auth"
    assert set(categories.values()) >= SENSITIVE


@pytest.mark.tools
def test_real_semgrep_ignores_nosemgrep_and_semgrepignore(repo: Callable[..., RunContext]) -> None:
    ctx = repo("hostile")
    assert "app.py" in (ctx.root / ".semgrepignore").read_text()
    report = asyncio.run(run(Semgrep(), ctx, ["app.py"], timeout_s=240))
    assert report.status == "ok", report.error
    assert {(f.line, f.rule) for f in report.findings} == {
        (12, "secrets-token-literal"),
        (13, "secrets-hardcoded-credential"),
    }


@pytest.mark.tools
def test_real_semgrep_with_the_repositorys_own_rules(repo: Callable[..., RunContext], tmp_path: Path) -> None:
    rules = tmp_path / "team.yml"
    rules.write_text(
        "rules:\n  - id: team-no-print\n    languages: [python]\n    severity: WARNING\n"
        "    message: no print\n    pattern: print(...)\n    metadata: {category: style}\n"
    )
    ctx = repo("good", semgrep_rules=(rules,))
    (ctx.root / "cli.py").write_text("print('hi')\n")
    report = asyncio.run(run(Semgrep(), ctx, ["app.py", "cli.py"], timeout_s=240))
    assert [(f.path, f.rule, f.severity, f.category) for f in report.findings] == [
        ("cli.py", "team-no-print", "warning", "style"),
    ]


@pytest.mark.tools
def test_a_broken_repository_rule_fails_closed(repo: Callable[..., RunContext], tmp_path: Path) -> None:
    rules = tmp_path / "broken.yml"
    rules.write_text("rules:\n  - id: x\n    pattern: [unclosed\n")
    report = asyncio.run(run(Semgrep(), repo("good", semgrep_rules=(rules,)), ["app.py"], timeout_s=240))
    assert report.status == "error" and report.error


def test_bundled_rules_live_in_policies() -> None:
    assert bundled_rules() and all(p.parent == semgrep_rules_dir() for p in bundled_rules())
