"""The gates' external tools: an explicit registry, each runner serving one gate, a gate served by one or more
(see base.py for the protocol, process.py for how a tool runs)."""

from __future__ import annotations

from ghapp.runners.base import RunContext, Runner, RunnerError, ToolRun
from ghapp.runners.mypy import Mypy
from ghapp.runners.mypy_stdlib import StdlibCaches
from ghapp.runners.osv_audit import OsvAudit
from ghapp.runners.oxlint import Oxlint
from ghapp.runners.pip_audit import PipAudit
from ghapp.runners.process import run
from ghapp.runners.ruff import Ruff
from ghapp.runners.schedule import run_all
from ghapp.runners.secrets import Secrets
from ghapp.runners.semgrep import Semgrep
from ghapp.runners.shellcheck import Shellcheck
from ghapp.runners.zizmor import Zizmor

RUNNERS: tuple[Runner, ...] = (
    Ruff(),
    Oxlint(),
    Shellcheck(),  # lint
    Mypy(stdlib=StdlibCaches()),  # types: each config's standard library analysed once a process
    Semgrep(),
    Zizmor(),
    Secrets(),  # semgrep: security rules, workflows, secrets
    PipAudit(),
    OsvAudit(),  # dependency-audit: Python, then every other ecosystem's lock files
)

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
