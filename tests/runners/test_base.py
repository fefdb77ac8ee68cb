"""The runner protocol's parts: paths as the PR names them, our own tools, and which runners get a network."""

from __future__ import annotations

import sys
from pathlib import Path

from ghapp.runners import RUNNERS
from ghapp.runners.base import RunContext, relative


def test_relative_paths_and_our_own_tools(ctx: RunContext) -> None:
    assert relative(ctx, str(ctx.root / "pkg" / "m.py")) == "pkg/m.py"
    assert relative(ctx, "./pkg/m.py") == "pkg/m.py"
    assert relative(ctx, "/elsewhere/m.py") == "/elsewhere/m.py"
    assert ctx.tool("ruff") == str(Path(sys.executable).parent / "ruff")


def test_only_the_two_dependency_audits_of_the_bundled_tools_get_a_network() -> None:
    # the sandbox shares the network with exactly these; every tool that reads the PR's files runs without one
    assert {r.name for r in RUNNERS if r.needs_network} == {"pip-audit", "osv"}
