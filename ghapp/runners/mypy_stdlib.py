"""A ready mypy cache of the standard library for each mypy config, copied into a run's own cache directory so
that checking a few files does not analyse typeshed all over again.

mypy spends most of a small run on the standard library: 19 changed files take 2.0 s with an empty cache and
0.4 s with one that already holds typeshed's modules (`docs/benchmarks.md`). So, for each config text (the one
`mypy_config.build_config` generated: options only, no paths, plugins or executables), a process keeps one
cache built by mypy itself, in its sandbox, on an empty file in an empty directory, with the exact command of a
real run. Nothing of any pull request ever enters it, and a run gets its own copy to write into: no run can
change what another starts from. mypy checks every cache entry against the source file it came from (path,
size, hash) and the options, so an entry that does not fit a run (a module the PR shadows, other options) is
analysed again, as without the cache.

The first run with a config starts its cache in the background and runs cold; later runs start warm. The
caches live in a private temporary directory of the process, removed when it exits, at most `MAX_CONFIGS`
of them (a few MB each).
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import hashlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ghapp.core.decisions import Gate, ToolReport
from ghapp.runners.base import RunContext, RunnerError, ToolRun, tool_version
from ghapp.runners.process import run

log = logging.getLogger(__name__)

MAX_CONFIGS = 16
BUILD_TIMEOUT_S = 120.0
Command = Callable[[RunContext, Sequence[str]], list[str]]
EMPTY = "__ghapp_empty__.py"  # the one file of a cache build, and the only module it adds beside typeshed's


class StdlibCaches:
    """One process's ready caches, by config. Thread-safe: jobs run concurrently."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dir: Path | None = None
        self._building: set[str] = set()
        self._ready: set[str] = set()

    def seed(self, ctx: RunContext, config: tuple[str, str], cache_dir: Path, command: Command) -> bool:
        """Copy the ready cache for `config` (file name, text) to `cache_dir` (which must not exist yet); True
        if there was one. If there is none, one is built in the background for the next run, by `command` (the
        real run's, so that the cache is built with the same options)."""
        config_text = config[1]
        key = self._key(ctx, config_text)
        with self._lock:
            ready = key in self._ready
            start = not ready and key not in self._building and len(self._ready | self._building) < MAX_CONFIGS
            if start:
                self._building.add(key)
            home = self._home()
        if ready:
            shutil.copytree(home / key, cache_dir)
            return True
        if start:
            threading.Thread(
                target=self._build, args=(ctx, config, command, key, home), name="ghapp-mypy-stdlib", daemon=True
            ).start()
        return False

    def _key(self, ctx: RunContext, config_text: str) -> str:
        stamp = f"{tool_version('mypy')}\0{ctx.tool_dir}\0{ctx.sandbox}\0{config_text}"
        return hashlib.sha256(stamp.encode()).hexdigest()[:32]

    def _home(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="ghapp-mypy-stdlib-"))  # 0700, this process's own
            atexit.register(shutil.rmtree, self._dir, ignore_errors=True)
        return self._dir

    def _build(self, ctx: RunContext, config: tuple[str, str], command: Command, key: str, home: Path) -> None:
        work = Path(tempfile.mkdtemp(prefix="build-", dir=home))
        try:
            root = work / "root"
            root.mkdir()
            (root / EMPTY).write_text("", encoding="utf-8")
            build = dataclasses.replace(ctx, root=root, scratch=work / "scratch")
            runner = _Build(command, *config)
            report = asyncio.run(run(runner, build, [EMPTY], timeout_s=BUILD_TIMEOUT_S))
            cache = build.scratch_for(runner.name) / "cache"
            if report.status != "ok" or not cache.is_dir():
                log.warning("no ready mypy cache for a config: %s", report.error or "mypy wrote none")
                return
            for entry in cache.rglob(f"{Path(EMPTY).stem}.*"):
                entry.unlink()
            cache.rename(home / key)
            with self._lock:
                self._ready.add(key)
        except Exception:
            log.exception("building a ready mypy cache failed; runs stay cold")
        finally:
            shutil.rmtree(work, ignore_errors=True)
            with self._lock:
                self._building.discard(key)


@dataclasses.dataclass(frozen=True)
class _Build:
    """mypy on the empty file with a given config, for its cache alone."""

    command_of: Command
    config_name: str
    config_text: str
    name: str = "mypy"
    gate: Gate = Gate.TYPES
    dist: str = "mypy"
    needs_network: bool = False
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def applies_to(self, path: str) -> bool:
        return path == EMPTY

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return {self.config_name: self.config_text}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        return self.command_of(ctx, files)

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        if run.returncode != 0:
            raise RunnerError(f"mypy on an empty file exited {run.returncode}")
        return ToolReport(gate=self.gate, tool=self.name)
