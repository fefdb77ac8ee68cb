"""Each domain constant is written once in the App's code: the policy path, where CODEOWNERS may live, the
check-run button ids, GitHub's summary cap; the rest of the code names the constant."""

from __future__ import annotations

import ast
from functools import cache

import pytest

from tests.paths import ROOT

ONCE = [".github/prompt-to-pr.yml", "docs/CODEOWNERS", "rerun", "request-reviews", 65_535]


@cache
def _literals() -> list[tuple[str, object]]:
    found = []
    for path in sorted((ROOT / "ghapp").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            (str(path.relative_to(ROOT)), node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and id(node) not in docstrings
        ]
    return found


@pytest.mark.parametrize("value", ONCE, ids=str)
def test_a_domain_constant_is_written_once(value: object) -> None:
    places = [path for path, literal in _literals() if literal == value and type(literal) is type(value)]
    assert len(places) == 1, places
