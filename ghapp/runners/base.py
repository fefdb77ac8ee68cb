"""The Runner protocol and what it works with: the run's context, a finished tool's output, a tool's version.

A runner is pure: `prepare` returns the files it needs written (our own configs, never the PR's), `command`
builds argv, `parse` turns a finished ToolRun into a ToolReport. `runners/process.py`'s `run` does the I/O
around them.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Protocol

from ghapp.core.decisions import Gate, ToolReport
from ghapp.core.errors import GhappError

DEFAULT_RUFF_SELECT = ("E", "F", "W", "B", "S", "UP")
_TAIL = 2000


class RunnerError(GhappError):
    """A runner could not prepare its inputs or understand the tool's output."""


@dataclass(frozen=True)
class RunContext:
    """Where and how the runners work on one head.

    `root` is a throw-away copy of the head (tools run there and may scribble on it); `scratch` is our own
    directory outside it for generated configs, caches and the tools' HOME.
    """

    root: Path
    scratch: Path
    ruff_select: tuple[str, ...] = DEFAULT_RUFF_SELECT
    semgrep_rules: tuple[Path, ...] = ()  # extra rule files: the repository's own, read from the base branch
    osv_url: str = "https://api.osv.dev/v1/query"
    semgrep_timeout_s: int = 30
    memory_mb: int = 2048
    tool_dir: Path = field(default_factory=lambda: Path(sys.executable).parent)
    sandbox: str | None = None  # the bwrap executable the tools run under (`runners.sandbox`), None: no sandbox

    def tool(self, name: str) -> str:
        """A tool from our own environment, never one the PR could have put on the PATH."""
        return str(self.tool_dir / name)

    def scratch_for(self, runner: str) -> Path:
        return self.scratch / runner


@dataclass(frozen=True)
class ToolRun:
    """One finished tool process, plus the inputs we generated for it (name -> text)."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    files: tuple[str, ...] = ()
    inputs: Mapping[str, str] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def stderr_tail(self) -> str:
        return self.stderr[-_TAIL:].strip()

    @property
    def last_error_line(self) -> str:
        """The last non-empty stderr line: where tracebacks and CLIs put the actual error."""
        return next((line.strip() for line in reversed(self.stderr.splitlines()) if line.strip()), "")


class Runner(Protocol):
    """One gate's tool. `command` and `parse` are pure; `prepare` may only read files under `ctx.root`. A
    runner may also have `seed(ctx, inputs)`, called with the written inputs before the tool starts, which may
    only fill the runner's own scratch directory (a warm cache: `Mypy`)."""

    @property
    def name(self) -> str: ...

    @property
    def gate(self) -> Gate: ...

    @property
    def dist(self) -> str:
        """The Python distribution that ships the tool (for its version)."""

    @property
    def env(self) -> Mapping[str, str]:
        """Extra environment variables for the tool, all safe to show it."""

    @property
    def needs_network(self) -> bool:
        """True only for a tool that must reach a service (the OSV audits); every other tool runs with no network."""

    def applies_to(self, path: str) -> bool: ...

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]: ...

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]: ...

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport: ...


def tool_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


def relative(ctx: RunContext, path: str) -> str:
    """A path as the PR names it (relative to the head root, POSIX), whatever form the tool printed."""
    candidate = Path(path)
    if candidate.is_absolute():
        with contextlib.suppress(ValueError):
            return candidate.relative_to(ctx.root).as_posix()
        with contextlib.suppress(ValueError, OSError):
            return candidate.resolve().relative_to(ctx.root.resolve()).as_posix()
    return candidate.as_posix().removeprefix("./")
