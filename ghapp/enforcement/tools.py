"""Run the tool gates on a head: download its tarball (through the GitHub client, under the byte cap), unpack it
safely into a Workspace, run each applicable runner on the changed files only, return the reports.

Deleted and binary files are never given to a tool. A tool with nothing to look at reports `ok` on no files
without a download. Anything that stops the tools from judging (tarball over the cap, unsafe archive, a
semgrep rule file missing from the base branch) becomes a report that cannot pass.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from ghapp.core.decisions import Gate, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.core.policy.load import Policy
from ghapp.github.api import InstallationAPI
from ghapp.github.errors import TooLarge
from ghapp.runners import RunContext, Runner, run_all
from ghapp.runners.base import DEFAULT_RUFF_SELECT, tool_version
from ghapp.runners.workspace import Workspace, WorkspaceError
from ghapp.settings import Settings


def checkable(files: Sequence[ChangedFile]) -> list[ChangedFile]:
    """The files tools look at: present in the head and text."""
    return [f for f in files if f.status != "removed" and not f.binary]


def fingerprint(policy: Policy, runner: Runner) -> str:
    """What a stored report depends on besides the head: the tool, its version and the gate's tool settings."""
    settings = policy.gate(runner.gate)
    data = [runner.name, tool_version(runner.dist), list(settings.rules)]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:32]


def idle_report(runner: Runner) -> ToolReport:
    """The report of a runner with no changed file of a kind it reads."""
    return ToolReport(gate=runner.gate, tool=runner.name, version=tool_version(runner.dist))


def failed(runners: Sequence[Runner], why: str) -> tuple[ToolReport, ...]:
    return tuple(ToolReport(gate=r.gate, tool=r.name, version=tool_version(r.dist), status="error", error=why)
                 for r in runners)


def busy(runners: Sequence[Runner], files: Sequence[ChangedFile]) -> list[Runner]:
    """The runners that have changed files to look at."""
    paths = [f.path for f in checkable(files)]
    return [r for r in runners if any(r.applies_to(p) for p in paths)]


async def _semgrep_rules(api: InstallationAPI, owner: str, repo: str, base_ref: str, paths: Sequence[str], *,
                         into: Workspace) -> tuple[list[Path], list[str]]:
    """Write the repository's own semgrep rule files (from the base branch) into the workspace; (written, missing)."""
    folder = into.path / "rules"
    folder.mkdir(exist_ok=True)
    written: list[Path] = []
    missing: list[str] = []
    for index, path in enumerate(paths):
        found = await api.get_content(owner, repo, path, base_ref or None)
        if found is None:
            missing.append(path)
            continue
        target = folder / f"{index}-{PurePosixPath(path).name}"
        target.write_text(found[0], encoding="utf-8")
        written.append(target)
    return written, missing


async def run_tools(api: InstallationAPI, settings: Settings, *, owner: str, repo: str, head_sha: str,
                    base_ref: str, policy: Policy, runners: Sequence[Runner],
                    files: Sequence[ChangedFile]) -> tuple[ToolReport, ...]:
    """One report per runner in `runners` (call it with the runners that have work: `busy`)."""
    if not runners:
        return ()
    with Workspace(prefix="ghapp-head-") as workspace:
        archive = workspace.path / "head.tar.gz"
        try:
            with archive.open("wb") as sink:
                await api.download_tarball(owner, repo, head_sha, sink, settings.tarball_max_bytes)
        except TooLarge:
            return failed(runners, f"the head's source archive is over the {settings.tarball_max_bytes:,} byte "
                                   "limit (GHAPP_TARBALL_MAX_BYTES)")
        try:
            root = await asyncio.to_thread(workspace.unpack, archive, max_bytes=settings.tarball_max_bytes * 4,
                                           max_files=settings.tarball_max_files)
        except WorkspaceError as exc:
            return failed(runners, f"the head's source archive was refused: {exc}")
        archive.unlink(missing_ok=True)
        semgrep_paths = policy.gate(Gate.SEMGREP).rules if any(r.gate is Gate.SEMGREP for r in runners) else ()
        rules, missing = await _semgrep_rules(api, owner, repo, base_ref, semgrep_paths, into=workspace)
        lint_rules = policy.gate(Gate.LINT).rules
        scratch = workspace.path / "scratch"
        scratch.mkdir()
        context = RunContext(root=root, scratch=scratch, ruff_select=tuple(lint_rules) or DEFAULT_RUFF_SELECT,
                             semgrep_rules=tuple(rules),
                             osv_url=settings.osv_url, memory_mb=settings.runner_memory_mb)
        chosen = [r for r in runners if not (r.gate is Gate.SEMGREP and missing)]
        reports = list(await run_all(chosen, context, checkable(files), timeout_s=settings.runner_timeout_s,
                                     memory_mb=settings.runner_memory_mb))
        if missing:
            gone = ", ".join(missing)
            reports += failed([r for r in runners if r.gate is Gate.SEMGREP],
                              f"rule files named by the policy are not on the base branch: {gone}")
        order: Mapping[Gate, int] = {r.gate: i for i, r in enumerate(runners)}
        return tuple(sorted(reports, key=lambda report: order.get(report.gate, 99)))
