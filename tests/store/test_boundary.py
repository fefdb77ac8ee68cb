"""ghapp/store is the only package that talks to the database: no module outside it imports SQLModel or
SQLAlchemy (statically or by name), tables are read through the store's typed `Table`s rather than a
`__table__` alias, and the one clock is defined once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import ROOT

GHAPP = ROOT / "ghapp"
STORE = GHAPP / "store"
DATABASE_LIBRARIES = {"sqlmodel", "sqlalchemy", "alembic", "psycopg", "sqlite3"}
DYNAMIC_IMPORTS = {"import_module", "__import__"}


def _outside_store() -> list[Path]:
    return sorted(p for p in GHAPP.rglob("*.py") if STORE not in p.parents)


def database_imports(source: str) -> list[str]:
    """`line: module` for every import of a database library in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in DYNAMIC_IMPORTS and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [f"{node.lineno}: {name}" for name in names if name.split(".")[0] in DATABASE_LIBRARIES]
    return found


def table_aliases(source: str) -> list[int]:
    """Lines that reach a table class's `__table__` (the store exports each table typed, once)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr == "__table__"
    ]


@pytest.mark.parametrize("path", _outside_store(), ids=lambda p: str(p.relative_to(GHAPP)))
def test_no_module_outside_the_store_imports_a_database_library(path: Path) -> None:
    assert database_imports(path.read_text()) == [], f"{path.relative_to(ROOT)} talks to the database"


@pytest.mark.parametrize("path", sorted(GHAPP.rglob("*.py")), ids=lambda p: str(p.relative_to(GHAPP)))
def test_no_module_aliases_a_table_through_dunder_table(path: Path) -> None:
    assert table_aliases(path.read_text()) == [], f"{path.relative_to(ROOT)}: use the store's typed tables"


def test_the_checks_catch_a_violation() -> None:
    assert database_imports("from sqlalchemy import select\n") == ["1: sqlalchemy"]
    assert database_imports("import x\nimport sqlmodel.sql.expression as e\n") == ["2: sqlmodel.sql.expression"]
    assert database_imports("import importlib\nm = importlib.import_module('sqlalchemy.orm')\n") == [
        "2: sqlalchemy.orm"
    ]
    assert database_imports("s = __import__('sqlmodel')\n") == ["1: sqlmodel"]
    assert database_imports("from ghapp.store.check_runs import find_run\nimport json\n") == []
    assert table_aliases("T = Model.__table__\n") == [1]


def test_utcnow_is_defined_once() -> None:
    defined = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted(GHAPP.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name == "utcnow"
    ]
    assert defined == ["ghapp/clock.py:8"]
