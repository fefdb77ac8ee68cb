"""Bounds on work done instead of wall-clock time, so a test says the same on a loaded CI box as on an idle one.

- `calls` counts the Python and C function calls a piece of code makes: the interpreter's own measure of
  work, the same however busy the machine is. It sees neither loops inside one function nor work inside
  one C call (a regular expression that backtracks is one call).
- `cpu_seconds` and `child_cpu_seconds` measure CPU time (of this process, or of the child processes it
  waited for), which other processes on the machine do not add to: a test compares it with a baseline
  measured in the same run, with a generous margin, never with an absolute number.
- `growth` runs code on an input and on one `factor` times larger and returns the ratio of their CPU times
  (best of a few interleaved runs): about `factor` for linear work whatever the load, `factor` squared for
  quadratic work, far more for exponential work.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")


def calls(run: Callable[[], T]) -> tuple[T, int]:
    """What `run()` returns, and how many function calls (Python and C) it made in this thread."""
    count = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = run()
    finally:
        sys.setprofile(previous)
    return result, count - 1  # the call to sys.setprofile that stopped the count


def cpu_seconds(run: Callable[[], T]) -> tuple[T, float]:
    """What `run()` returns, and the CPU time this process (every thread) spent meanwhile."""
    started = time.process_time()
    result = run()
    return result, time.process_time() - started


def child_cpu_seconds(run: Callable[[], T]) -> tuple[T, float]:
    """What `run()` returns, and the CPU time of the child processes it started and waited for."""

    def children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    started = children()
    result = run()
    return result, children() - started


def best_cpu_seconds(run: Callable[[], object], repeat: int = 3) -> float:
    """The least CPU time `run()` took over `repeat` runs: a baseline that one noisy run cannot inflate."""
    return min(cpu_seconds(run)[1] for _ in range(repeat))


def growth(run: Callable[[int], object], size: int, factor: int = 8, repeat: int = 3) -> float:
    """CPU time of `run(size * factor)` over that of `run(size)`, each the best of `repeat` runs."""
    small: list[float] = []
    large: list[float] = []
    for _ in range(repeat):
        for n, times in ((size, small), (size * factor, large)):
            started = time.process_time()
            run(n)
            times.append(time.process_time() - started)
    return min(large) / max(min(small), 1e-4)  # below 0.1 ms the clock says little about the work
