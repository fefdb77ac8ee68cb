"""Fixture repositories copied to a throw-away place, a RunContext over them, the local OSV server."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ghapp.runners.base import RunContext
from tests.osv_server import OsvIndex, serve
from tests.paths import FIXTURES

REPOS = FIXTURES / "repos"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def ctx(tmp_path: Path) -> RunContext:
    """A head with a.py, b.py and notes.md."""
    root = tmp_path / "head"
    root.mkdir()
    (root / "a.py").write_text("x = 1\n")
    (root / "b.py").write_text("y = 2\n")
    (root / "notes.md").write_text("hi\n")
    return RunContext(root=root, scratch=tmp_path / "scratch")


@pytest.fixture
def repo(tmp_path: Path) -> Callable[..., RunContext]:
    """`repo("bad")`: a RunContext on a fresh copy of tests/fixtures/repos/bad."""

    def make(name: str, **options: object) -> RunContext:
        root = tmp_path / "head"
        shutil.copytree(REPOS / name, root)
        return RunContext(root=root, scratch=tmp_path / "scratch", **options)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def osv() -> Iterator[tuple[str, OsvIndex]]:
    with serve() as (url, index):
        yield url, index
