"""`ghapp owners`: JSON owners on stdout, invalid CODEOWNERS lines on stderr, exit 2 when the file is unreadable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ghapp.cli import main
from tests.paths import FIXTURES

CODEOWNERS_FIXTURES = FIXTURES / "codeowners"
GHAPP = Path(sys.executable).with_name("ghapp")


def test_prints_owners_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "CODEOWNERS"
    file.write_text("* @global\n/auth/ @alice @org/security\n/auth/vendor/\n", encoding="utf-8")
    code = main(["owners", "--codeowners", str(file), "auth/login.py", "auth/vendor/x.py", "README.md"])
    out, err = capsys.readouterr()
    assert code == 0
    assert err == ""
    assert json.loads(out) == {
        "auth/login.py": ["@alice", "@org/security"],
        "auth/vendor/x.py": [],
        "README.md": ["@global"],
    }


def test_invalid_lines_go_to_stderr_and_still_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "CODEOWNERS"
    file.write_text("* @global\n!secret @x\n[Section] @y\n*.c @a.b\n", encoding="utf-8")
    code = main(["owners", "--codeowners", str(file), "x.c"])
    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out) == {"x.c": ["@global"]}
    lines = err.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [f"{file}:2", f"{file}:3", f"{file}:4"]
    assert "negation" in lines[0]
    assert "GitLab section header" in lines[1]
    assert "invalid owner `@a.b`" in lines[2]


@pytest.mark.parametrize("content", [None, b"\xff\xfe* @bad\n"], ids=["missing", "not-utf8"])
def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None) -> None:
    file = tmp_path / "CODEOWNERS"
    if content is not None:
        file.write_bytes(content)
    assert main(["owners", "--codeowners", str(file), "a"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"cannot read {file}" in err


@pytest.mark.parametrize(
    ("present", "used"),
    [
        ((".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"), ".github/CODEOWNERS"),
        (("CODEOWNERS", "docs/CODEOWNERS"), "CODEOWNERS"),
        (("docs/CODEOWNERS",), "docs/CODEOWNERS"),
    ],
)
def test_finds_the_file_where_github_looks_first(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    present: tuple[str, ...],
    used: str,
) -> None:
    for name in present:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"* @from-{name.replace('/', '-').replace('.', '')}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["owners", "a.py"]) == 0
    assert json.loads(capsys.readouterr().out) == {"a.py": [f"@from-{used.replace('/', '-').replace('.', '')}"]}


def test_no_file_found_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["owners", "a.py"]) == 2
    assert "pass --codeowners FILE" in capsys.readouterr().err


def test_paths_are_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["owners", "--codeowners", "CODEOWNERS"]) == 2
    assert "PATH" in capsys.readouterr().err


def test_real_gitlab_file_as_a_subprocess() -> None:
    file = CODEOWNERS_FIXTURES / "gitlabhq__gitlabhq__CODEOWNERS"
    run = subprocess.run(
        [str(GHAPP), "owners", "--codeowners", str(file), ".gitlab/CODEOWNERS", "app/models/vulnerability.rb"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0
    assert json.loads(run.stdout) == {
        ".gitlab/CODEOWNERS": ["@gitlab-org/development-leaders", "@gitlab-org/tw-leadership"],
        "app/models/vulnerability.rb": [],
    }
    errors = run.stderr.splitlines()
    assert all(line.startswith(f"{file}:") for line in errors)
    assert sum("GitLab section header" in line for line in errors) == 74
