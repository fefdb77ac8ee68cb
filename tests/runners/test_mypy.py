"""The types runner: our own config (never the repository's plugins), 0-based columns, the real mypy."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ghapp.runners.base import RunContext, RunnerError, ToolRun
from ghapp.runners.mypy import Mypy
from ghapp.runners.mypy_config import build_config
from ghapp.runners.process import run
from tests.runners.conftest import DATA

CTX = RunContext(root=Path("/ROOT"), scratch=Path("/SCRATCH"))


@pytest.mark.parametrize(
    ("files", "present", "absent"),
    [
        ({}, ["ignore_missing_imports = True", "follow_imports = silent"], ["strict"]),
        (
            {"mypy.ini": "[mypy]\nstrict = true\nplugins = evil.py\npython_executable = ./x.sh\nmypy_path = /etc\n"},
            ["strict = True", "mypy_path = src"],
            ["plugins", "python_executable", "/etc", "evil"],
        ),
        (
            {
                "setup.cfg": "[mypy]\nwarn_unused_ignores = yes\ndisallow_any_generics = 0\ncache_dir = /tmp/x\n"
                "[mypy-tests.*]\ndisallow_untyped_defs = false\nplugins = x\n[mypy-bad module]\nstrict=1\n"
            },
            [
                "warn_unused_ignores = True",
                "disallow_any_generics = False",
                "[mypy-tests.*]",
                "disallow_untyped_defs = False",
            ],
            ["cache_dir", "plugins", "bad module"],
        ),
        (
            {
                "pyproject.toml": '[tool.mypy]\npython_version = "3.12"\nplugins = ["pydantic.mypy"]\n'
                'disable_error_code = ["import-untyped", "misc"]\n'
                '"warn_x\\nplugins" = true\n'
                '[[tool.mypy.overrides]]\nmodule = ["a.*", "b"]\nignore_errors = true\n'
                "check_untyped_defs = true\n"
            },
            [
                "python_version = 3.12",
                "disable_error_code = import-untyped, misc",
                "[mypy-a.*]",
                "[mypy-b]",
                "check_untyped_defs = True",
            ],
            ["pydantic", "ignore_errors", "plugins"],
        ),
        # too old for the bundled mypy, bad values, a list with an injected option: dropped
        (
            {"mypy.ini": "[mypy]\npython_version = 3.8\nstrict = maybe\nenable_error_code = a,b c\n"},
            [],
            ["python_version", "strict", "enable_error_code"],
        ),
        # mypy.ini wins over pyproject.toml; a file without a mypy section is skipped
        (
            {
                "mypy.ini": "[other]\nx=1\n",
                ".mypy.ini": "[mypy]\nwarn_return_any = True\n",
                "pyproject.toml": "[tool.mypy]\nstrict = true\n",
            },
            ["warn_return_any = True"],
            ["strict"],
        ),
        (
            {"pyproject.toml": "[tool.black]\n", "setup.cfg": "[mypy]\nstrict_equality = on\n"},
            ["strict_equality = True"],
            [],
        ),
        ({"mypy.ini": "not an ini file [", "setup.cfg": "[mypy]\nstrict = off\n"}, ["strict = False"], []),
    ],
)
def test_build_config_keeps_only_safe_options(files: dict[str, str], present: list[str], absent: list[str]) -> None:
    config = build_config(files)
    for text in present:
        assert text in config.text
    for text in absent:
        assert text not in config.text
    assert "plugins" not in config.text


def test_build_config_says_what_it_dropped() -> None:
    config = build_config({"mypy.ini": "[mypy]\nplugins = evil.py\nstrict = True\n"})
    assert config.source == "mypy.ini" and config.dropped == ("plugins",)
    assert build_config({"mypy.ini": "broken ["}).dropped == ("mypy.ini: unreadable (MissingSectionHeaderError)",)


def test_command_points_at_our_config_and_cache_outside_the_checkout() -> None:
    argv = Mypy().command(CTX, ["a.py"])
    assert argv[argv.index("--config-file") + 1] == "/SCRATCH/mypy/mypy.ini"
    assert argv[argv.index("--cache-dir") + 1] == "/SCRATCH/mypy/cache"
    assert "--no-site-packages" in argv and argv[-2:] == ["--", "a.py"]


def test_parse_captured_output_converts_columns_to_1_based() -> None:
    out = (DATA / "mypy.hostile.jsonl").read_text()
    report = Mypy().parse(ToolRun(argv=(), returncode=1, stdout=out, stderr=""), CTX)
    assert [(f.path, f.line, f.column, f.rule) for f in report.findings] == [
        ("evil_plugin.py", 8, 1, "no-untyped-def"),
        ("app.py", 4, 1, "no-untyped-def"),
        ("app.py", 9, 12, "return-value"),
    ]


@pytest.mark.parametrize(
    ("code", "out", "rules"),
    [
        (0, "", []),
        # a syntax error blocks (exit 2) but is a finding in the PR, not a failed run
        (
            2,
            '{"file": "s.py", "line": 1, "column": 7, "message": "invalid", "hint": null, "code": "syntax", '
            '"severity": "error"}',
            ["syntax"],
        ),
        (
            1,
            '{"file": "a.py", "line": 2, "column": -1, "message": "m", "hint": "try x", "code": null, '
            '"severity": "error", "end_column": 0}\n'
            '{"file": "a.py", "line": 2, "column": 0, "message": "see docs", "severity": "note"}\nnoise',
            ["misc"],
        ),
    ],
)
def test_parse_cases(code: int, out: str, rules: list[str]) -> None:
    report = Mypy().parse(ToolRun(argv=(), returncode=code, stdout=out, stderr=""), CTX)
    assert [f.rule for f in report.findings] == rules


def test_parse_file_level_error_is_line_0() -> None:
    out = (
        '{"file": "b/conftest.py", "line": -1, "column": -1, "end_line": -1, "end_column": 0, '
        '"message": "Duplicate module", "hint": null, "code": null, "severity": "error"}'
    )
    (finding,) = Mypy().parse(ToolRun(argv=(), returncode=2, stdout=out, stderr=""), CTX).findings
    assert (finding.line, finding.end_line, finding.column, finding.end_column) == (0, None, None, None)


def test_parse_hint_and_unknown_column() -> None:
    out = '{"file": "a.py", "line": 2, "column": -1, "message": "m", "hint": "try x", "code": "c", "severity": "error"}'
    (finding,) = Mypy().parse(ToolRun(argv=(), returncode=1, stdout=out, stderr=""), CTX).findings
    assert finding.column is None and finding.message == "m (try x) [c]"


@pytest.mark.parametrize(
    ("code", "out"),
    [(2, ""), (1, ""), (3, ""), (1, "{not json"), (1, '{"file": "a.py"}')],
)
def test_parse_refuses_what_it_cannot_trust(code: int, out: str) -> None:
    with pytest.raises(RunnerError):
        Mypy().parse(ToolRun(argv=(), returncode=code, stdout=out, stderr="mypy: error"), CTX)


@pytest.mark.tools
def test_real_mypy_on_good_and_bad_code(repo: Callable[..., RunContext]) -> None:
    assert asyncio.run(run(Mypy(), repo("good"), ["app.py"], timeout_s=120)).findings == ()


@pytest.mark.tools
def test_real_mypy_finds_the_type_error(repo: Callable[..., RunContext]) -> None:
    report = asyncio.run(run(Mypy(), repo("bad"), ["app.py"], timeout_s=120))
    assert report.status == "ok"
    assert [(f.line, f.column, f.rule) for f in report.findings] == [(6, 12, "return-value")]


@pytest.mark.tools
def test_real_mypy_with_same_named_modules_and_a_src_layout(repo: Callable[..., RunContext]) -> None:
    ctx = repo("good")
    for folder in ("tests/a", "tests/b", "src/pkg"):
        (ctx.root / folder).mkdir(parents=True)
    (ctx.root / "tests/a/conftest.py").write_text("x: int = 1\n")
    (ctx.root / "tests/b/conftest.py").write_text("y: int = 'a'\n")
    (ctx.root / "src/pkg/__init__.py").write_text("")
    (ctx.root / "src/pkg/other.py").write_text("def z() -> int:\n    return 1\n")
    (ctx.root / "src/pkg/mod.py").write_text("from pkg.other import z\n\nw: str = z()\n")
    files = ["tests/a/conftest.py", "tests/b/conftest.py", "src/pkg/mod.py"]
    report = asyncio.run(run(Mypy(), ctx, files, timeout_s=120))
    assert report.status == "ok", report.error
    assert {(f.path, f.line, f.rule) for f in report.findings} == {
        ("tests/b/conftest.py", 1, "assignment"),
        ("src/pkg/mod.py", 3, "assignment"),
    }


@pytest.mark.tools
def test_real_mypy_never_runs_the_repositorys_plugin(repo: Callable[..., RunContext], tmp_path: Path) -> None:
    ctx = repo("hostile")
    report = asyncio.run(run(Mypy(), ctx, ["app.py", "evil_plugin.py"], timeout_s=120))
    assert report.status == "ok"
    assert not (ctx.root / "PWNED").exists() and not (ctx.root / "PWNED_EXE").exists()
    assert not list(ctx.root.glob("**/.mypy_cache")) and not (tmp_path / "outside-cache").exists()
    # the repository's safe options (strict) were carried over
    assert ("app.py", 4, "no-untyped-def") in {(f.path, f.line, f.rule) for f in report.findings}
    # and the fixture really is hostile: mypy reading the repository's config runs the plugin
    naive = subprocess.run(
        [str(Path(sys.executable).parent / "mypy"), "app.py"], cwd=ctx.root, check=False, capture_output=True, text=True
    )
    assert (ctx.root / "PWNED").exists(), naive.stdout + naive.stderr
    assert (ctx.root / "PWNED_EXE").exists()
