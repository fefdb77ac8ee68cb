"""Diff-aware checks cost what the diff costs: all four gates on a 20-file change vs on the whole repository.

Generates a repository of N Python modules (imports between them, classes, typed functions, a few lint and
semgrep findings) plus a requirements file, changes 20 modules, then runs the real runners (ruff, mypy,
semgrep, pip-audit against the local OSV-compatible test server) through `run_all` twice: on the 20 changed
files, and on every file. Each run gets a fresh scratch dir (cold mypy cache), as a new PR head would.

    .venv/bin/python bench/diff_vs_repo.py --files 3000 --changed 20 [--append-readme]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ghapp.core.decisions import ToolReport  # noqa: E402
from ghapp.runners import RUNNERS, RunContext, run_all  # noqa: E402
from tests.osv_server import serve  # noqa: E402

MODULE = '''"""Generated module {i}: orders, prices and a little I/O."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from pkg{pkg}.mod{prev} import helper{prev}


@dataclass(frozen=True)
class Order{i}:
    id: int
    amount_cents: int
    note: str = ""

    def total(self, tax_percent: int) -> int:
        return self.amount_cents + self.amount_cents * tax_percent // 100


def helper{i}(values: list[int]) -> int:
    """Sum the values, then add the previous module's view of them."""
    return sum(values) + helper{prev}(values[:1])


def parse{i}(raw: str) -> dict[str, int]:
    data = json.loads(raw)
    return {{str(k): int(v) for k, v in data.items()}}


def describe{i}(order: Order{i}) -> str:
    parts = [f"order {{order.id}}", f"amount {{order.amount_cents / 100:.2f}}"]
    if order.note:
        parts.append(order.note)
    return ", ".join(parts)


def run{i}(name: str) -> int:
    return subprocess.call(["echo", name])


class Registry{i}:
    def __init__(self) -> None:
        self.orders: dict[int, Order{i}] = {{}}

    def add(self, order: Order{i}) -> None:
        self.orders[order.id] = order

    def total(self) -> int:
        return sum(o.total(20) for o in self.orders.values())
'''

CHANGE = """

def changed{i}(name: str, count: int) -> str:
    import os
    subprocess.call(f"echo {{name}}", shell=True)
    return count
"""


def generate(root: Path, files: int, per_package: int = 100) -> list[str]:
    paths = []
    for i in range(files):
        pkg, first = divmod(i, per_package)
        prev = i - 1 if i % per_package else i  # the first module of a package imports itself: a cycle mypy handles
        package = root / f"pkg{pkg}"
        if first == 0:
            package.mkdir(parents=True, exist_ok=True)
            (package / "__init__.py").write_text("")
            paths.append(f"pkg{pkg}/__init__.py")
        path = f"pkg{pkg}/mod{i}.py"
        (root / path).write_text(MODULE.format(i=i, pkg=pkg, prev=prev))
        paths.append(path)
    (root / "requirements.txt").write_text("requests==2.32.3\npyyaml==6.0.2\njinja2==3.1.4\n")
    paths.append("requirements.txt")
    return paths


async def measure(root: Path, files: list[str], osv_url: str, scratch: Path) -> tuple[float, tuple[ToolReport, ...]]:
    ctx = RunContext(root=root, scratch=scratch, osv_url=osv_url)
    started = time.monotonic()
    reports = await run_all(RUNNERS, ctx, files, timeout_s=1800)
    return time.monotonic() - started, reports


def describe(reports: tuple[ToolReport, ...]) -> str:
    return ", ".join(
        f"{r.tool} {r.duration_s:.1f} s/{len(r.files)} files/{len(r.findings)} findings"
        f"{'' if r.status == 'ok' else ' ' + r.status}"
        for r in reports
    )


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} x {cpu}, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--changed", type=int, default=20)
    parser.add_argument("--append-readme", action="store_true", help="append the result line to bench/README.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp, serve() as (url, _):
        root = Path(tmp) / "repo"
        paths = generate(root, args.files)
        modules = [p for p in paths if "/mod" in p]
        changed = sorted(random.Random(7).sample(modules, args.changed - 1))
        for number, path in enumerate(changed):
            with (root / path).open("a") as handle:
                handle.write(CHANGE.format(i=f"x{number}"))
        with (root / "requirements.txt").open("a") as handle:
            handle.write("urllib3==1.26.5\n")  # the 20th changed file: a new, vulnerable pin
        changed.append("requirements.txt")
        lines = sum(len((root / p).read_text().splitlines()) for p in paths)
        diff_s, diff_reports = asyncio.run(measure(root, changed, f"{url}/v1/query", Path(tmp) / "s1"))
        whole_s, whole_reports = asyncio.run(measure(root, paths, f"{url}/v1/query", Path(tmp) / "s2"))
    print(f"repository: {len(paths)} files, {lines:,} lines; changed: {len(changed)} files")
    print(f"changed files only: {diff_s:.1f} s  ({describe(diff_reports)})")
    print(f"whole repository:   {whole_s:.1f} s  ({describe(whole_reports)})")
    print(f"ratio: {whole_s / diff_s:.1f}x; machine: {machine()}")
    if args.append_readme:
        row = (
            f"| All four gates (ruff, mypy, semgrep, pip-audit via `run_all`, cold caches) on a {len(changed)}-file "
            f"change vs the whole generated repository ({len(paths):,} files, {lines:,} lines) | "
            f"`.venv/bin/python bench/diff_vs_repo.py --files {args.files} --changed {args.changed}` | "
            f"{machine()} | changed files {diff_s:.1f} s ({describe(diff_reports)}); whole repository "
            f"{whole_s:.1f} s ({describe(whole_reports)}); {whole_s / diff_s:.0f}x faster on the diff |\n"
        )
        with (ROOT / "bench" / "README.md").open("a", encoding="utf-8") as readme:
            readme.write(row)


if __name__ == "__main__":
    main()
