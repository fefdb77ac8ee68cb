"""The gates' external tools: an explicit registry, one runner per gate (see base.py for the protocol)."""

from __future__ import annotations

from ghapp.runners.base import RunContext, Runner, RunnerError, ToolRun, run, run_all
from ghapp.runners.mypy import Mypy
from ghapp.runners.pip_audit import PipAudit
from ghapp.runners.ruff import Ruff
from ghapp.runners.semgrep import Semgrep

RUNNERS: tuple[Runner, ...] = (Ruff(), Mypy(), Semgrep(), PipAudit())

__all__ = [
           "RUNNERS",
           "Mypy",
           "PipAudit",
           "Ruff",
           "RunContext",
           "Runner",
           "RunnerError",
           "Semgrep",
           "ToolRun",
           "run",
           "run_all",
]
