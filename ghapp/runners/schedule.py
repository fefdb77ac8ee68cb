"""Which tools run on a head and in what order: the changed files each one reads, the longest of the last
runs first, at most a few at once, the reports back in the order given."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable, Sequence

from ghapp.core.decisions import ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.runners.base import RunContext, Runner, tool_version
from ghapp.runners.process import run


def applicable(runner: Runner, ctx: RunContext, changed: Iterable[ChangedFile | str]) -> list[str]:
    """The changed paths this runner should look at: present in the head, of a kind it reads."""
    paths = [c if isinstance(c, str) else c.path for c in changed if isinstance(c, str) or c.status != "removed"]
    return sorted({p for p in paths if runner.applies_to(p) and (ctx.root / p).is_file()})


class RecentTimes:
    """Each tool's last wall time in this process, so that `run_all` starts the longest first: with two at a
    time, the longest tool then overlaps the short ones instead of waiting behind them (a 20-file PR:
    mypy 0.9 s beside pip-audit, detect-secrets, semgrep and ruff, 1.3 s one after the other). A tool not run
    yet goes first, in the order given."""

    def __init__(self) -> None:
        self._seconds: dict[str, float] = {}

    def order(self, runners: Sequence[Runner]) -> list[int]:
        """Indexes of `runners`, longest expected first (stable)."""
        return sorted(range(len(runners)), key=lambda i: -self._seconds.get(runners[i].name, math.inf))

    def note(self, report: ToolReport) -> None:
        self._seconds[report.tool] = report.duration_s


RECENT = RecentTimes()


async def run_all(
    runners: Sequence[Runner],
    ctx: RunContext,
    changed_files: Iterable[ChangedFile | str],
    *,
    timeout_s: float = 300,
    memory_mb: int | None = None,
    concurrency: int = 2,
    on_start: Callable[[Runner, Sequence[str]], None] | None = None,
    on_done: Callable[[ToolReport], None] | None = None,
    recent: RecentTimes = RECENT,
) -> tuple[ToolReport, ...]:
    """One report per runner, in `runners` order; a runner with nothing to look at reports ok on no files.
    At most `concurrency` run at once, the longest of the last runs (`recent`) first.

    `on_start` and `on_done` are told as each tool starts and finishes (for progress displays).
    """
    changed = list(changed_files)
    gate = asyncio.Semaphore(concurrency)

    async def one(runner: Runner) -> ToolReport:
        files = applicable(runner, ctx, changed)
        if not files:
            report = ToolReport(gate=runner.gate, tool=runner.name, version=tool_version(runner.dist))
        else:
            async with gate:
                if on_start is not None:
                    on_start(runner, files)
                report = await run(runner, ctx, files, timeout_s=timeout_s, memory_mb=memory_mb)
            recent.note(report)
        if on_done is not None:
            on_done(report)
        return report

    # Tasks created in that order reach the semaphore (first come, first served) in that order.
    tasks = {i: asyncio.ensure_future(one(runners[i])) for i in recent.order(runners)}
    return tuple(await asyncio.gather(*(tasks[i] for i in range(len(runners)))))
