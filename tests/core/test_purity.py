"""ghapp/core stays pure: it imports only the standard library's pure parts, pure libraries and itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import ROOT

CORE = ROOT / "ghapp" / "core"

# Standard-library modules that do no I/O, and pure third-party libraries the core may use.
ALLOWED_ROOTS = {
    "__future__",
    "abc",
    "collections",
    "dataclasses",
    "enum",
    "fnmatch",
    "functools",
    "itertools",
    "json",
    "math",
    "operator",
    "re",
    "string",
    "types",
    "typing",
    "textwrap",
    "datetime",
    "hashlib",
    "copy",
    "unicodedata",
    "bisect",
    "heapq",
    "statistics",
    "posixpath",
    "graphlib",
    "yaml",
    "jsonschema",
    "ghapp",
}
FORBIDDEN_CALLS = {"open", "exec", "eval", "compile", "__import__", "input", "breakpoint"}
FORBIDDEN_ATTRS = {"environ", "getenv", "read_text", "read_bytes", "write_text", "write_bytes", "load_all"}


def _modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_core_module_imports_only_pure_modules(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}:{node.lineno}: use absolute imports"
            names = [node.module or ""]
        for name in names:
            root = name.split(".")[0]
            assert root in ALLOWED_ROOTS, f"{path.name}:{node.lineno}: imports {name}"
            if root == "ghapp":
                assert name.startswith("ghapp.core"), f"{path.name}:{node.lineno}: core imports {name}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_core_module_calls_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno}: calls {node.func.id}()"
        if isinstance(node, ast.Attribute):
            assert node.attr not in FORBIDDEN_ATTRS, f"{path.name}:{node.lineno}: uses .{node.attr}"
        if isinstance(node, ast.AsyncFunctionDef | ast.Await):
            raise AssertionError(f"{path.name}:{node.lineno}: the core is synchronous")


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nx = os.environ['A']\n")
    with pytest.raises(AssertionError):
        test_core_module_imports_only_pure_modules(bad)
    with pytest.raises(AssertionError):
        test_core_module_calls_no_io(bad)
