"""The repository stands on its own and its papers stay true: the licence is the one pyproject declares, the
pre-commit hooks run the same lint and type check as scripts/test, the README's documentation index lists
every page and every link resolves, the changelog keeps its format, and nothing the tests, benchmarks or
scripts use points outside the repository."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.paths import ROOT

# Text that reaches for a folder beside the repository: the parent of the checkout, or the shared folders
# the project's fixtures and notes were once read from.
OUTSIDE = re.compile(
    r"\.\./(shared|fixtures|research)\b|(?<![\w/.])shared/(fixtures|research)\b|/work/|\bROOT\.parent\b"
)
SCANNED = ("tests", "bench", "scripts", ".ci")
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)#\s]+)(?:#[^)]*)?\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)  # examples in code are not links


def _links(text: str) -> list[str]:
    return MARKDOWN_LINK.findall(CODE.sub("", text))


def _scripts_test_commands() -> dict[str, list[str]]:
    """The lint, format and type-check commands of scripts/test, by pre-commit hook id (`ruff` for ruff's
    check, `ruff-format` for its format check, `mypy`)."""
    commands = {}
    for line in (ROOT / "scripts" / "test").read_text().splitlines():
        if line.startswith('echo "== ') and ";" in line:
            argv = shlex.split(line.split(";", 1)[1])
            commands["ruff-format" if argv[:2] == ["ruff", "format"] else argv[0]] = argv
    return commands


def test_the_licence_is_the_full_apache_2_text_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:5] == ["Apache", "License", "Version", "2.0,", "January"]
    for clause in (
        "1. Definitions.",
        "4. Redistribution.",
        "9. Accepting Warranty or Additional Liability.",
        "END OF TERMS AND CONDITIONS",
        "APPENDIX: How to apply the Apache License to your work.",
    ):
        assert clause in text


def test_pre_commit_runs_the_lint_and_type_check_of_scripts_test() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    expected = _scripts_test_commands()
    assert set(expected) == {"ruff", "ruff-format", "mypy"} and set(hooks) == set(expected)
    for hook, argv in expected.items():
        entry = shlex.split(hooks[hook]["entry"])
        assert entry == [f".venv/bin/{argv[0]}", *argv[1:]], f"pre-commit's {hook} differs from scripts/test's"
        assert hooks[hook]["pass_filenames"] is False  # the whole tree, as scripts/test checks it


def test_the_readme_indexes_every_page_of_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    index = readme.split("## Documentation", 1)[1]
    listed = {link for link in _links(index) if link.startswith("docs/")}
    assert listed == {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")}


@pytest.mark.parametrize(
    "page",
    [
        "README.md",
        "CONTRIBUTING.md",
        "CHANGELOG.md",
        "deploy/README.md",
        "tests/ghsim/README.md",
        "bench/README.md",
        *[f"docs/{p.name}" for p in sorted((ROOT / "docs").glob("*.md"))],
    ],
)
def test_every_relative_link_resolves(page: str) -> None:
    path = ROOT / page
    for link in _links(path.read_text()):
        if re.match(r"^[a-z]+:", link):  # https:, mailto:
            continue
        assert (path.parent / link).exists(), f"{page} links to {link}, which does not exist"


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n") and "https://keepachangelog.com/" in text
    versions = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert versions and versions[0] == "[Unreleased]"
    assert all(re.fullmatch(r"\[Unreleased\]|\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", v) for v in versions)
    kinds = set(re.findall(r"^### (.+)$", text, re.MULTILINE))
    assert kinds and kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def _scanned_files() -> list[Path]:
    files = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and not path.is_relative_to(ROOT / "tests" / "fixtures")
            ):
                files.append(path)
    return files


def test_nothing_the_tests_benchmarks_or_scripts_use_points_outside_the_repository() -> None:
    found = []
    for path in _scanned_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary data
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line) and path != Path(__file__):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert found == []


SIBLING = "sha" + "red"


@pytest.mark.parametrize(
    "line",
    [
        # the sibling folder's name is put together, so that this file does not itself name a path outside
        f'DATA = Path("../{SIBLING}/fixtures/webhooks")',
        f"payloads from ../{SIBLING}/fixtures/webhooks",
        f"see `{SIBLING}/research/github-app-facts.md`",
        f'ROOT.parent / "{SIBLING}" / "fixtures"',
        'CAPTURED = Path("/work/main/policies")',
    ],
)
def test_the_outside_pattern_catches_each_way_of_pointing_out(line: str) -> None:
    assert OUTSIDE.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "from tests.paths import FIXTURES",
        '"_extends: policies:../../installation.yml"',
        'pax_headers={"path": "top/../../evil.py"}',
        "numbers shared with pull requests",
    ],
)
def test_the_outside_pattern_leaves_hostile_inputs_and_prose_alone(line: str) -> None:
    assert not OUTSIDE.search(line)


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py") if "argparse" in p.read_text()))
def test_every_benchmark_starts_as_its_readme_runs_it(script: str, tmp_path: Path) -> None:
    """`python bench/NAME.py` finds what it imports (the tests package, the fixtures) from any directory."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage:")
