"""How fast the pure core judges an enormous pull request, and reads a large policy file.

Run from the repository root:  .venv/bin/python bench/evaluate_scale.py [--repeat 10]

`evaluate(policy, facts)` on GitHub's caps: 3,000 changed files (each with 100 added lines), findings from all
four tools (10 ruff findings per file, half of them on added lines, 2 from mypy, a semgrep finding on every
fifth file, 2 advisories in requirements.txt), 250 commits (one with an AI co-author), 200 reviews (a quarter
on an older head, with the paths changed since; 2 by members of owning teams), and a policy whose approval
categories hold 1,000 patterns in total (the bundled four plus ten of the repository's own, every one with
`codeowners: true`; the repository's need 2 approvals) over a 1,000-rule CODEOWNERS. Paths, CODEOWNERS and
patterns come from bench/codeowners_bench.py's generator (fixed seed), so most files have owners and many
fall in a category.
The first run starts with an empty pattern cache; then median and best of `--repeat`. Variants without
findings, without CODEOWNERS and with the bundled policy alone show where the time goes. Then `load_policy`
(the bundled default plus the repository's file) on that policy file and on the largest one the App accepts
(just under 10,000 values).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from codeowners_bench import EXTS, WORDS, paths_for, synthetic_rules  # noqa: E402  (bench/, this folder)

from ghapp.core.codeowners.patterns import compile_pattern, parse_codeowners  # noqa: E402
from ghapp.core.decisions import Finding, Gate, ToolReport  # noqa: E402
from ghapp.core.detection.detect import parse_signal_table  # noqa: E402
from ghapp.core.evaluate import evaluate  # noqa: E402
from ghapp.core.facts import Actor, ChangedFile, Commit, Facts, Person, PullRequest, Review  # noqa: E402
from ghapp.core.policy.load import Policy, load_policy  # noqa: E402

SIGNALS = parse_signal_table((ROOT / "policies" / "ai-signals.yml").read_text(encoding="utf-8"))
DEFAULT = (ROOT / "policies" / "default.yml").read_text(encoding="utf-8")
HEAD, OLD = "f" * 40, "e" * 40
AI_FOOTER = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n"


def patterns(rng: random.Random, count: int) -> list[str]:
    """`count` different category patterns of the kinds policies use: anchored folders, names at any depth,
    extensions, `**`."""
    found: dict[str, None] = {}
    while len(found) < count:
        word, other, pkg = rng.choice(WORDS), rng.choice(WORDS), f"pkg{rng.randrange(300)}"
        found[
            rng.choice(
                [
                    f"/{word}/{pkg}/",
                    f"{pkg}/",
                    f"*{other}_{rng.randrange(1000)}*",
                    f"*{rng.choice(EXTS)}",
                    f"**/{other}/{pkg}.*",
                    f"/{word}/*/{other}/",
                ]
            )
        ] = None
    return list(found)


def policy_file(rng: random.Random, count: int, categories: int = 10) -> str:
    every = patterns(rng, count)
    lines = ["approvals:"]
    for c in range(categories):
        lines += [f"  area-{c}:", "    codeowners: true", "    count: 2", f"    owners: ['@org/team{c}']", "    paths:"]
        lines += [f"      - {json.dumps(p)}" for p in every[c::categories]]
    return "\n".join(lines) + "\n"


def default_patterns() -> int:
    policy = load_policy([("default.yml", DEFAULT)], signals=SIGNALS).policy
    assert policy is not None
    return sum(len(rule.patterns) for rule in policy.approvals)


def build(policy_text: str) -> Policy:
    result = load_policy([("default.yml", DEFAULT), (".github/prompt-to-pr.yml", policy_text)], signals=SIGNALS)
    assert result.policy is not None, result.issues[:3]
    return result.policy


def facts_for(rng: random.Random, codeowners: str) -> Facts:
    paths = [*paths_for(parse_codeowners(codeowners), rng, 2999), "requirements.txt"]
    added = frozenset(range(10, 110))
    files = tuple(ChangedFile(p, additions=100, deletions=5, added_lines=added) for p in paths)
    lint = tuple(
        Finding(p, line, "F401", f"`mod{line}` imported but unused") for p in paths for line in range(5, 205, 20)
    )
    types = tuple(
        Finding(p, line, "return-value", "Incompatible return value type") for p in paths for line in (12, 90)
    )
    semgrep = tuple(
        Finding(p, 40, "injection-shell-true-non-literal", "A shell runs a command built at run time.")
        for p in paths[::5]
    )
    audit = tuple(
        Finding("requirements.txt", 1, advisory, "requests 2.28.1 is vulnerable")
        for advisory in ("PYSEC-2023-74", "GHSA-j8r2-6x86-q33q")
    )
    reports = (
        ToolReport(Gate.LINT, "ruff", findings=lint, files=tuple(paths)),
        ToolReport(Gate.TYPES, "mypy", findings=types, files=tuple(paths)),
        ToolReport(Gate.SEMGREP, "semgrep", findings=semgrep, files=tuple(paths)),
        ToolReport(Gate.DEPENDENCY_AUDIT, "pip-audit", findings=audit, files=("requirements.txt",)),
    )
    alice = Person("Alice", "alice@example.com", "alice")
    commits = tuple(
        Commit(f"{i:040x}", f"Change {i}" + (AI_FOOTER if i == 0 else "\n"), alice, alice) for i in range(250)
    )
    members_reviews = (Review(Actor("member0"), "APPROVED", HEAD), Review(Actor("member1"), "APPROVED", OLD))
    reviews = (
        *(
            Review(Actor(f"reviewer{i}"), "APPROVED" if i % 3 else "COMMENTED", HEAD if i % 4 else OLD)
            for i in range(198)
        ),
        *members_reviews,
    )
    members = {f"org/team{t}": frozenset({f"member{t}", f"user{t + 400}"}) for t in range(40)}
    return Facts(
        pull_request=PullRequest(
            1, Actor("alice"), title="Everything at once", head_ref="big", head_sha=HEAD, base_ref="main"
        ),
        commits=commits,
        files=files,
        reviews=reviews,
        team_members=members,
        codeowners=codeowners,
        changed_since={OLD: frozenset(paths[::7])},
        tool_reports=reports,
    )


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float, list[float]]:
    """Median and best of `repeat` runs, and every run, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times), times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(20240601)
    codeowners = synthetic_rules(rng, 1000)
    text = policy_file(rng, 1000 - default_patterns())
    policy = build(text)
    facts = facts_for(rng, codeowners)
    load = os.getloadavg()[0]
    compile_pattern.cache_clear()
    started = time.perf_counter()
    decision = evaluate(policy, facts)
    cold = (time.perf_counter() - started) * 1000
    categories = {c.category: len(c.files) for c in decision.approvals}
    print(f"machine: {os.cpu_count()} x {cpu_model()}, Python {platform.python_version()}, load {load:.1f}")
    print(
        f"facts: {len(facts.files)} files, {sum(len(r.findings) for r in facts.tool_reports)} findings, "
        f"{len(facts.commits)} commits, {len(facts.reviews)} reviews; policy: {len(policy.approvals)} categories, "
        f"{sum(len(r.patterns) for r in policy.approvals)} patterns; CODEOWNERS: "
        f"{len(parse_codeowners(codeowners).rules)} rules"
    )
    print(
        f"decision: verdict {decision.verdict.verdict}, "
        + ", ".join(f"{g.gate.value} {g.conclusion.value} ({len(g.annotations)} annotations)" for g in decision.gates)
        + f"; {len(categories)} categories matched ({sum(c.satisfied for c in decision.approvals)} satisfied), "
        f"{sum(categories.values())} files in them"
    )
    print(f"evaluate, first run (empty pattern cache): {cold:.0f} ms")
    variants = {
        "full": facts,
        "without tool findings": replace(
            facts, tool_reports=tuple(replace(r, findings=()) for r in facts.tool_reports)
        ),
        "without CODEOWNERS": replace(facts, codeowners=None),
    }
    bundled = build("{}\n")
    cases = [(name, policy, variant) for name, variant in variants.items()]
    cases.append((f"bundled policy only ({default_patterns()} patterns)", bundled, facts))
    for name, rules, variant in cases:
        median, best, runs = timed(partial(evaluate, rules, variant), args.repeat)
        print(
            f"evaluate, {name}: median {median:.0f} ms, best {best:.0f} ms, worst {max(runs):.0f} ms "
            f"({args.repeat} runs)"
        )
    largest = policy_file(rng, 9_300)
    for name, body in (("the 1,000-pattern policy", text), ("the largest accepted policy", largest)):
        median, best, _ = timed(partial(build, body), args.repeat)
        print(
            f"load_policy, default + {name} ({len(body.encode()) // 1024} KiB, {body.count(chr(10))} lines): "
            f"median {median:.0f} ms, best {best:.0f} ms"
        )
    print(f"load at the end: {os.getloadavg()[0]:.1f}")
    return 0


def cpu_model() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")


if __name__ == "__main__":
    sys.exit(main())
