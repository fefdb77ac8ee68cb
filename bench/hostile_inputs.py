"""How long the App takes over the hostile inputs its reliability tests feed it: the speed figures those tests
no longer assert (they bound work instead, see tests/work.py).

Run from the repository root:  .venv/bin/python bench/hostile_inputs.py [--repeat 5]

- every hostile policy file of tests/reliability/test_hostile_policies.py through `load_policy` (over the
  bundled default), beside a benign policy of the largest size accepted; then `ghapp policy validate` over all
  of them as one process;
- the hostile PR texts of tests/core/detection/test_detect.py (200,000 characters each) through detection;
- the many-star CODEOWNERS patterns of tests/core/codeowners/test_patterns.py on 60- and 4,000-character paths;
- a 5,000-directory tarball bomb against a 200-entry limit, and a 400,000-line patch through `added_lines`.
Each figure is the median and the worst of `--repeat` runs, wall-clock milliseconds, with the CPU time of the
median run beside it.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests package: the hostile inputs are defined once, there

from ghapp.core.codeowners.patterns import compile_pattern  # noqa: E402
from ghapp.core.diff import added_lines  # noqa: E402
from ghapp.core.policy.load import load_policy  # noqa: E402
from ghapp.resources import default_policy_text  # noqa: E402
from ghapp.runners.workspace import WorkspaceError, unpack_tarball  # noqa: E402
from tests.core.detection.test_detect import HOSTILE as TEXT_SIZE  # noqa: E402
from tests.core.detection.test_detect import test_hostile_text_is_read_in_linear_time as detect_cases  # noqa: E402
from tests.reliability.test_hostile_policies import HOSTILE, _benign_policy  # noqa: E402
from tests.reliability.test_hostile_tarballs import LIMITS, _archive, _info  # noqa: E402

STAR_PATTERNS = [
    ("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", lambda n: "a" * n),
    ("/x/**/*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c/**/*b*b*b*b*b*b*b*b*b*b*b*b*d", lambda n: "x/" + "/".join(["a" * n] * 6)),
]


def _cpu() -> float:
    """CPU seconds of this process and of the child processes it waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def measure(run: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Median and worst wall-clock milliseconds of `repeat` runs, and the CPU milliseconds of the median run."""
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), _cpu()
        run()
        runs.append(((time.perf_counter() - wall) * 1000, (_cpu() - cpu) * 1000))
    runs.sort()
    median = runs[len(runs) // 2]
    return median[0], runs[-1][0], median[1]


def line(name: str, figures: tuple[float, float, float]) -> str:
    median, worst, cpu = figures
    return f"  {name:<44} median {median:9.3f} ms  worst {worst:9.3f} ms  cpu {cpu:9.3f} ms"


def policies(repeat: int) -> None:
    default = default_policy_text()
    load_policy([("policies/default.yml", default)])  # warm the schema and the pattern caches
    print("load_policy (the bundled default + one file):")
    benign = _benign_policy()
    print(
        line(
            f"benign, {len(benign) // 1024} KiB (the baseline)",
            measure(lambda: load_policy([("policies/default.yml", default), ("benign.yml", benign)]), repeat),
        )
    )
    for name, (data, _, _) in HOSTILE.items():
        text = data.decode("utf-8")
        print(
            line(
                f"{name}, {len(data) // 1024} KiB",
                measure(
                    lambda text=text, name=name: load_policy(  # type: ignore[misc]
                        [("policies/default.yml", default), (name, text)]
                    ),
                    repeat,
                ),
            )
        )
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, (data, _, _) in HOSTILE.items():
            (Path(folder) / f"{name}.yml").write_bytes(data)
            paths.append(str(Path(folder) / f"{name}.yml"))
        ghapp = str(Path(sys.executable).parent / "ghapp")
        print(f"ghapp policy validate, one process over the {len(paths)} hostile files:")
        print(
            line(
                "all files",
                measure(
                    lambda: subprocess.run([ghapp, "policy", "validate", *paths], capture_output=True, check=False),
                    repeat,
                ),
            )
        )


def texts(repeat: int) -> None:
    print(f"AI detection on hostile PR text ({TEXT_SIZE:,} characters):")
    for case in detect_cases.pytestmark[0].args[1]:  # the test's own parameter list
        run = case.values[0]
        print(line(case.id, measure(lambda run=run: run(TEXT_SIZE), repeat)))  # type: ignore[misc]


def patterns(repeat: int) -> None:
    print("CODEOWNERS many-star patterns (compiled once, then matched):")
    for pattern, path in STAR_PATTERNS:
        matches = compile_pattern(pattern).matches
        for n in (60, 4_000):
            text = path(n)
            print(
                line(
                    f"{pattern[:24]}... on {len(text):,} chars",
                    measure(lambda text=text, matches=matches: matches(text), repeat),
                )
            )  # type: ignore[misc]


def archives_and_patches(repeat: int) -> None:
    print("Workspace and diffs:")
    bomb = _archive([(_info(f"top/d{i}", tarfile.DIRTYPE), None) for i in range(5_000)])

    def unpack() -> None:
        with tempfile.TemporaryDirectory() as folder:
            try:
                unpack_tarball(io.BytesIO(bomb), Path(folder) / "out", **LIMITS)
            except WorkspaceError:
                return
            raise AssertionError("the bomb was unpacked")

    print(line("5,000-directory tarball, 200-entry limit", measure(unpack, repeat)))
    patch = "@@ -1,0 +1,400000 @@\n" + "".join(f"+line {i} \u2028 \x0c tail\n" for i in range(400_000))
    print(line("400,000-line patch through added_lines", measure(lambda: added_lines(patch), repeat)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per input (median and worst reported)")
    args = parser.parse_args()
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"machine: {os.cpu_count()} x {cpu}, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}")
    policies(args.repeat)
    texts(args.repeat)
    patterns(args.repeat)
    archives_and_patches(args.repeat)
    print(f"load at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
