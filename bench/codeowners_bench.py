"""How fast CODEOWNERS parsing and owner lookup are: real files and a synthetic 1,000-rule file, 3,000 paths each.

Run from the repository root:  .venv/bin/python bench/codeowners_bench.py [--repeat 20] [--naive]
Paths are synthesised with a fixed seed from each file's own directories, so most of them hit real rules.
`--naive` also times trying every rule, last line first, per path (the index's correctness baseline).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ghapp.core.codeowners.patterns import CodeOwners, compile_pattern, parse_codeowners

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package (fixtures)
from tests.paths import FIXTURES

CODEOWNERS_FIXTURES = FIXTURES / "codeowners"
REAL = ["home-assistant__core__CODEOWNERS", "python__cpython__CODEOWNERS", "gitlabhq__gitlabhq__CODEOWNERS"]
WORDS = ["api", "core", "auth", "billing", "secrets", "util", "models", "views", "tests", "docs", "build", "logs"]
EXTS = [".py", ".js", ".go", ".md", ".json", ".yaml", ".c", ".h", ".rb", ".txt"]


def synthetic_rules(rng: random.Random, count: int = 1000) -> str:
    """A plausible large file: mostly anchored directories, some extensions, names, mid-path and `**` globs."""
    lines = ["* @org/everyone"]
    for n in range(count - 1):
        kind = n % 10
        a, b, c = rng.choice(WORDS), rng.choice(WORDS), f"pkg{rng.randrange(300)}"
        owner = f"@user{rng.randrange(200)} @org/team{rng.randrange(40)}"
        if kind < 6:
            lines.append(f"/{a}/{c}/ {owner}")
        elif kind == 6:
            lines.append(f"*{rng.choice(EXTS)}{rng.randrange(50)} {owner}")
        elif kind == 7:
            lines.append(f"{c}/ {owner}")
        elif kind == 8:
            lines.append(f"/{a}/*/{b}/ {owner}")
        else:
            lines.append(f"**/{b}/{c}.* {owner}")
    return "\n".join(lines) + "\n"


def paths_for(codeowners: CodeOwners, rng: random.Random, count: int = 3000) -> list[str]:
    """Paths below the directories the rules name, plus random ones that no specific rule covers."""
    stems = [rule.pattern.text.strip("/").replace("**/", "") for rule in codeowners.rules]
    stems = [s for s in stems if "*" not in s and "?" not in s] or ["src"]
    paths = []
    for _ in range(count):
        depth = rng.randrange(0, 3)
        tail = "/".join(rng.choice(WORDS) for _ in range(depth))
        name = f"file{rng.randrange(100)}{rng.choice(EXTS)}"
        base = rng.choice(stems) if rng.random() < 0.8 else rng.choice(WORDS)
        paths.append("/".join(p for p in (base, tail, name) if p))
    return paths


def naive(codeowners: CodeOwners, paths: list[str]) -> dict[str, tuple[str, ...]]:
    rules = codeowners.rules[::-1]
    return {p: next((r.owners for r in rules if r.pattern.matches(p)), ()) for p in paths}


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and best wall time in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--naive", action="store_true", help="also time the try-every-rule baseline (slow)")
    args = parser.parse_args()
    rng = random.Random(20240601)
    cases = [(name.split("__")[1], (CODEOWNERS_FIXTURES / name).read_text(encoding="utf-8")) for name in REAL]
    cases.append(("synthetic-1000", synthetic_rules(rng)))
    print(
        f"{'file':16} {'rules':>5} {'paths':>5}  {'parse cold':>10} {'parse warm':>10}  "
        f"{'owners_for median':>17} {'best':>6}  {'per path':>8}{'  naive' if args.naive else ''}"
    )
    for label, text in cases:
        codeowners = parse_codeowners(text)
        paths = paths_for(codeowners, rng)
        compile_pattern.cache_clear()
        cold, _ = timed(partial(parse_codeowners, text), 1)
        warm, _ = timed(partial(parse_codeowners, text), args.repeat)
        median, best = timed(partial(codeowners.owners_for, paths), args.repeat)
        owned = sum(1 for owners in codeowners.owners_for(paths).values() if owners)
        line = (
            f"{label:16} {len(codeowners.rules):5} {len(paths):5}  {cold:8.1f}ms {warm:8.1f}ms  "
            f"{median:15.1f}ms {best:4.1f}ms  {median * 1000 / len(paths):6.1f}us"
        )
        if args.naive:
            slow, _ = timed(partial(naive, codeowners, paths), 1)
            assert naive(codeowners, paths) == codeowners.owners_for(paths)
            line += f"  {slow:7.0f}ms"
        print(f"{line}   ({owned} of the paths owned)")


if __name__ == "__main__":
    main()
