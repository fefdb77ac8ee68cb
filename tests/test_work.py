"""The work measures the tests bound instead of wall-clock time tell linear from quadratic work and count calls."""

from __future__ import annotations

import subprocess
import sys

from tests.work import best_cpu_seconds, calls, child_cpu_seconds, cpu_seconds, growth


def _linear(n: int) -> int:
    return sum(range(n))


def _quadratic(n: int) -> int:
    return sum(1 for i in range(n) for _ in range(i))


def test_growth_tells_linear_from_quadratic_work() -> None:
    assert growth(_linear, 200_000, factor=8) < 24
    assert growth(_quadratic, 300, factor=8) > 24


def test_calls_counts_python_and_c_calls() -> None:
    def three() -> int:
        return len([abs(-1), abs(-2)])

    result, count = calls(three)
    assert result == 2
    assert count == 4  # three(), abs twice, len once
    _, none = calls(lambda: None)
    assert none == 1


def test_cpu_time_counts_this_process_and_its_children() -> None:
    value, spent = cpu_seconds(lambda: _quadratic(1_500))
    assert value == 1_500 * 1_499 // 2 and spent > 0
    assert 0 < best_cpu_seconds(lambda: _quadratic(1_500), repeat=2) <= spent * 5
    done, child = child_cpu_seconds(lambda: subprocess.run([sys.executable, "-c", "sum(range(3_000_000))"], check=True))
    assert done.returncode == 0 and child > 0
