"""A handler table for worker processes under test (`ghapp worker --handlers tests.reliability.slow_handlers:handlers`):
the App's own handlers with runners that take a second and start no real tool, so a test can kill the worker
while a job is in the middle of its work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ghapp.core.decisions import Finding, Gate
from ghapp.enforcement import Enforcer
from ghapp.handlers import build_handlers
from ghapp.runners import RunContext
from ghapp.runtime.jobs import HandlerTable
from tests.e2e.harness import FakeRunner

FINDING = Finding("billing/charge.py", 3, "S105", "possible hardcoded password")


@dataclass(frozen=True)
class SlowRunner(FakeRunner):
    seconds: float = 1.0

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        return ["/bin/sleep", str(self.seconds)]


RUNNERS = (
    SlowRunner("ruff", Gate.LINT, findings=(FINDING,)),
    SlowRunner("mypy", Gate.TYPES),
    SlowRunner("semgrep", Gate.SEMGREP, suffixes=(".py", ".yml", ".txt")),
    SlowRunner("pip-audit", Gate.DEPENDENCY_AUDIT, suffixes=("requirements.txt",)),
)


def handlers() -> HandlerTable:
    return build_handlers(Enforcer(runners=RUNNERS))
