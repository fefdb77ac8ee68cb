"""`ghapp check` on real git repositories: the App's judgement of a branch, with real tools and a local OSV."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ghapp.cli import main
from ghapp.commands.check_report import render_text
from ghapp.core.decisions import Conclusion, Decision, Finding, Gate, GateResult, Verdict
from ghapp.core.sarif import render_sarif
from tests.osv_server import serve
from tests.paths import FIXTURES

REPOS = FIXTURES / "repos"
AI_TRAILER = "\n\nCo-authored-by: Claude <noreply@anthropic.com>"

# The parts of SARIF 2.1.0 that GitHub code scanning requires, as a JSON schema.
_REGION = {
    "type": "object",
    "required": ["startLine"],
    "properties": {
        "startLine": {"type": "integer", "minimum": 1},
        "startColumn": {"type": "integer", "minimum": 1},
        "endLine": {"type": "integer", "minimum": 1},
        "endColumn": {"type": "integer", "minimum": 1},
    },
}
_LOCATION = {
    "type": "object",
    "required": ["physicalLocation"],
    "properties": {
        "physicalLocation": {
            "type": "object",
            "required": ["artifactLocation", "region"],
            "properties": {"artifactLocation": {"type": "object", "required": ["uri"]}, "region": _REGION},
        }
    },
}
_RESULT = {
    "type": "object",
    "required": ["ruleId", "message", "locations", "level"],
    "properties": {
        "level": {"enum": ["none", "note", "warning", "error"]},
        "message": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "minLength": 1}}},
        "locations": {"type": "array", "minItems": 1, "items": _LOCATION},
    },
}
_DRIVER = {
    "type": "object",
    "required": ["name", "rules"],
    "properties": {"rules": {"type": "array", "items": {"type": "object", "required": ["id", "shortDescription"]}}},
}
_RUN = {
    "type": "object",
    "required": ["tool", "results"],
    "properties": {
        "tool": {"type": "object", "required": ["driver"], "properties": {"driver": _DRIVER}},
        "results": {"type": "array", "items": _RESULT},
    },
}
SARIF_SUBSET: dict[str, Any] = {
    "type": "object",
    "required": ["version", "runs", "$schema"],
    "properties": {"version": {"const": "2.1.0"}, "runs": {"type": "array", "minItems": 1, "items": _RUN}},
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


def commit(repo: Path, message: str, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: a clean module and a lint problem on an old line; the current branch starts from it."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Dev")
    git(path, "config", "user.email", "dev@example.com")
    old = (REPOS / "good" / "app.py").read_text() + "\nimport os  # an old problem on an unchanged line\n"
    commit(path, "Initial", {"app.py": old, "README.md": "x\n"})
    git(path, "checkout", "-qb", "feature")
    return path


@pytest.fixture(scope="module")
def osv_url() -> Iterator[str]:
    with serve() as (url, _):
        yield f"{url}/v1/query"


def _check(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "--repo", str(repo), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.tools
def test_ai_branch_is_judged_on_its_changed_lines(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, osv_url: str
) -> None:
    monkeypatch.setenv("GHAPP_OSV_URL", osv_url)
    app = (repo / "app.py").read_text() + "\n\ndef added(x: int) -> str:\n    return x\n"
    commit(
        repo,
        "Add helpers" + AI_TRAILER,
        {
            "app.py": app,
            "tools.py": (REPOS / "bad" / "app.py").read_text(),
            "requirements.txt": "requests==2.19.0\nflask>=2\n",
        },
    )
    code, out, err = _check(repo, capsys, "--format", "json")
    assert code == 1
    decision = json.loads(out)
    assert decision["verdict"]["verdict"] == "ai" and decision["verdict"]["tools"] == ["claude"]
    gates = {g["gate"]: g for g in decision["gates"]}
    lint = {(a["path"], a["rule"]) for a in gates["lint"]["annotations"]}
    assert ("tools.py", "F401") in lint
    assert ("app.py", "F401") not in lint  # `import os` on a line the branch did not change
    assert {(a["path"], a["rule"]) for a in gates["types"]["annotations"]} >= {("app.py", "return-value")}
    assert ("tools.py", "injection-shell-true-non-literal") in {
        (a["path"], a["rule"]) for a in gates["semgrep"]["annotations"]
    }
    assert gates["dependency-audit"]["conclusion"] == "failure"
    assert {"PYSEC-2018-28", "unaudited"} <= {a["rule"] for a in gates["dependency-audit"]["annotations"]}
    assert "ruff" in err and "pip-audit" in err  # progress on stderr, never on stdout


@pytest.mark.tools
def test_human_branch_with_a_clean_change_passes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit(repo, "Fix the readme", {"README.md": "y\n"})
    code, out, _ = _check(repo, capsys)
    assert code == 0, out
    assert "AI verdict: human" in out and "Result: every gate passes" in out


@pytest.mark.tools
def test_policy_comes_from_the_base_branch_not_the_branch(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "checkout", "-q", "main")
    commit(repo, "Policy", {".github/prompt-to-pr.yml": "gates:\n  lint:\n    applies_to: all\n    rules: [F]\n"})
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "main")
    # the branch tries to switch lint off for itself
    commit(
        repo, "Relax", {".github/prompt-to-pr.yml": "gates:\n  lint:\n    enabled: false\n", "new.py": "import os\n"}
    )
    code, out, _ = _check(repo, capsys, "--format", "json")
    assert code == 1
    gates = {g["gate"]: g for g in json.loads(out)["gates"]}
    assert gates["lint"]["conclusion"] == "failure"
    assert [a["rule"] for a in gates["lint"]["annotations"]] == ["F401"]
    assert gates["policy"]["conclusion"] == "success"  # the edit itself is valid, and reported


def test_an_invalid_base_policy_fails_every_gate(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "checkout", "-q", "main")
    commit(repo, "Policy", {".github/prompt-to-pr.yml": "gates:\n  lint:\n    nonsense: 1\n"})
    git(repo, "checkout", "-q", "feature")
    code, out, _ = _check(repo, capsys, "--base", "main", "--format", "json")
    assert code == 1
    gates = {g["gate"]: g["conclusion"] for g in json.loads(out)["gates"]}
    assert gates["policy"] == "failure" and gates["lint"] == "failure"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "no-such-branch"], "is not a commit"),
        (["--format", "xml"], ""),
        (["--body-file", "/nonexistent/body.md"], "No such file"),
    ],
)
def test_usage_errors_exit_2(repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = _check(repo, capsys, *args)
    assert code == 2 and message in err


def test_outside_a_repository_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _check(tmp_path, capsys)
    assert code == 2 and "not a git repository" in err


def test_no_default_base_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")
    git(tmp_path, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q", "--allow-empty", "-m", "x")
    code, _, err = _check(tmp_path, capsys)
    assert code == 2 and "pass --base" in err


@pytest.mark.tools
def test_sarif_from_the_real_command_is_valid(repo: Path, osv_url: str) -> None:
    commit(repo, "Add tool" + AI_TRAILER, {"tools.py": (REPOS / "bad" / "app.py").read_text()})
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repo.parent), "GHAPP_OSV_URL": osv_url}
    ghapp = Path(sys.executable).parent / "ghapp"
    done = subprocess.run(
        [str(ghapp), "check", "--format", "sarif"], cwd=repo, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 1, done.stderr
    sarif = json.loads(done.stdout)
    jsonschema.validate(sarif, SARIF_SUBSET)
    results = sarif["runs"][0]["results"]
    rules = [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert {"lint/F401", "types/return-value", "semgrep/injection-shell-true-non-literal"} <= set(rules)
    for result in results:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tools.py"


def test_renderers_on_a_hand_made_decision() -> None:
    finding = Finding("a.py", 3, "F401", "unused", column=2, end_line=3, end_column=9, category="secrets")
    wide = Finding("b.py", 1, "X", "", severity="note", end_line=4, end_column=1)
    decision = Decision(
        head_sha="abc123",
        mode="report",
        verdict=Verdict("human"),
        gates=(
            GateResult(Gate.LINT, Conclusion.FAILURE, "2 findings", "s", (finding, wide)),
            GateResult(Gate.APPROVALS, Conclusion.ACTION_REQUIRED, "missing", "line one\n\nline two"),
            GateResult(Gate.TYPES, Conclusion.SKIPPED, "off", ""),
        ),
    )
    text = render_text(decision)
    assert "a.py:3:2  lint  F401  error: unused" in text and "      line two" in text
    assert "Result: fails: lint, approvals" in text
    sarif = render_sarif(decision)
    jsonschema.validate(sarif, SARIF_SUBSET)
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]]
    assert regions == [
        {"startLine": 3, "startColumn": 2, "endLine": 3, "endColumn": 9},
        {"startLine": 1, "endLine": 4, "endColumn": 1},
    ]
    assert sarif["runs"][0]["results"][1]["message"]["text"] == "X"


@pytest.mark.tools
def test_gitattributes_cannot_hide_a_file_from_the_local_check(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`export-ignore` leaves a file out of `git archive` and `export-subst` rewrites one; the App checks the
    committed blobs all the same, and so does `ghapp check` (the same path), so neither hides a lint finding."""
    bad = (REPOS / "bad" / "app.py").read_text()
    commit(
        repo,
        "Add helpers" + AI_TRAILER,
        {
            ".gitattributes": "hidden.py export-ignore\nsubst.py export-subst\n",
            "hidden.py": bad,
            "subst.py": "# $Format:%H$\n" + bad,
        },
    )
    code, out, _ = _check(repo, capsys, "--format", "json")
    assert code == 1
    lint = {(a["path"], a["rule"]) for a in {g["gate"]: g for g in json.loads(out)["gates"]}["lint"]["annotations"]}
    assert {("hidden.py", "F401"), ("subst.py", "F401")} <= lint


@pytest.mark.tools
def test_a_script_without_a_suffix_is_linted_locally_as_in_the_app(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = "#!/usr/bin/env python3\n" + (REPOS / "bad" / "app.py").read_text()
    commit(repo, "Add a tool" + AI_TRAILER, {"bin/deploy": script})
    code, out, _ = _check(repo, capsys, "--format", "json")
    assert code == 1
    lint = {(a["path"], a["rule"]) for a in {g["gate"]: g for g in json.loads(out)["gates"]}["lint"]["annotations"]}
    assert ("bin/deploy", "F401") in lint  # reported on the script's own path, not on the alias the tools read
