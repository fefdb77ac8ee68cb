"""Copies of the changed files with the PR's inline suppressions defused, for tools that cannot be told to
ignore them (`// eslint-disable`, `# shellcheck disable=`).

A directive keeps its length but loses its meaning (its first letter becomes `_`: `_slint-disable`, a plain
comment), so every line and column a tool reports still points at the PR's own file. The copies live in the
runner's scratch directory, outside the checkout, so no configuration file of the PR (`.oxlintrc.json`,
`.shellcheckrc`, `tsconfig.json`) sits beside them either. Copy names keep the extension (tools pick the
language by it) behind an index: `3-app.ts`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from ghapp.runners.base import RunContext

MAX_BYTES = 2 * 1024 * 1024  # a bigger changed file is not copied: the runner reports it unaudited


LEFT_OUT = "left-out.json"


def defuse(text: str, directives: re.Pattern[str]) -> str:
    return directives.sub(lambda m: "_" + m.group(0)[1:], text)


def copy_name(index: int, path: str) -> str:
    return f"{index}-{PurePosixPath(path).name}"


def stage(ctx: RunContext, files: Sequence[str], directives: re.Pattern[str]) -> dict[str, str]:
    """`{copy name: defused text}` for every file, plus `left-out.json`: the paths too big (or linked) to
    read, staged empty, which the runner reports as unaudited."""
    staged: dict[str, str] = {}
    skipped: list[str] = []
    for index, path in enumerate(files):
        source = ctx.root / path
        if source.is_symlink() or source.stat().st_size > MAX_BYTES:
            skipped.append(path)
            staged[copy_name(index, path)] = ""
            continue
        staged[copy_name(index, path)] = defuse(source.read_text(encoding="utf-8", errors="replace"), directives)
    staged[LEFT_OUT] = json.dumps(skipped)
    return staged


def copies(ctx: RunContext, runner: str, files: Sequence[str]) -> list[str]:
    """The staged copies' paths, in `files` order, for the tool's command line."""
    return [str(ctx.scratch_for(runner) / copy_name(index, path)) for index, path in enumerate(files)]


def original(files: Sequence[str], reported: str) -> str:
    """The PR's path for a path the tool printed (a staged copy's, absolute or not)."""
    name = PurePosixPath(reported).name
    index, _, _ = name.partition("-")
    if index.isdigit() and int(index) < len(files) and copy_name(int(index), files[int(index)]) == name:
        return files[int(index)]
    return reported


def left_out(inputs: Mapping[str, str]) -> tuple[str, ...]:
    skipped: list[str] = json.loads(inputs.get(LEFT_OUT, "[]"))
    return tuple(f"{path}: a link or over {MAX_BYTES:,} bytes, not checked" for path in skipped)
