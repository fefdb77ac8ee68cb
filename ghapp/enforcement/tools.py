"""Run the tool gates on a head: fetch its tarball from its source (GitHub, under the byte cap, or the local
repository for `ghapp check`: see ghapp.enforcement.head), unpack it safely into a Workspace, make it hold
exactly the committed files, run each applicable runner on the changed files only, return the reports.

Deleted files are never given to a tool; every other changed file a tool reads is, whatever GitHub's diff
says about binary content (the tool judges it). What a file is comes from its name and its first line: a
Python script without a suffix, or a `.pyw`, is given to the Python tools under an alias ending in `.py`, and
their findings are mapped back. A changed file the copy cannot vouch for (a link, or a file left out or
rewritten by `.gitattributes` that could not be fetched), a notebook, or a script no tool reads is named as
unaudited in the report of each gate that would read it, so that gate fails closed. A tool with nothing to
look at reports `ok` on no files without a download. Anything that stops the tools from judging (tarball
over the cap, unsafe archive, a semgrep rule file missing from the base branch) becomes a report that cannot
pass.
"""

from __future__ import annotations

import asyncio
import posixpath
import shutil
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from ghapp.core.committed import NOTEBOOK, PYTHON, SCRIPT, maybe_code, needs_alias, treat_as
from ghapp.core.decisions import Finding, Gate, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.core.policy.load import Policy
from ghapp.enforcement.committed import verify_committed
from ghapp.enforcement.head import GitHubHead, HeadRefused, HeadSource
from ghapp.enforcement.tool_plan import checkable, code_reader, failed
from ghapp.github.api import InstallationAPI
from ghapp.runners import RunContext, Runner, run_all
from ghapp.runners.base import DEFAULT_RUFF_SELECT
from ghapp.runners.sandbox import SandboxUnavailable
from ghapp.runners.sandbox import resolve as resolve_sandbox
from ghapp.runners.workspace import Workspace, WorkspaceError
from ghapp.settings import Settings


def _head(path: Path) -> bytes | None:
    try:
        with path.open("rb") as source:
            return source.read(512)
    except OSError:
        return None


def _aliases(root: Path, kinds: Mapping[str, str], problems: Mapping[str, str]) -> dict[str, str]:
    """Copy each file that is code under a name the tools do not know to an alias they do; alias -> path."""
    aliases: dict[str, str] = {}
    for path, suffix in kinds.items():
        if path in problems or not needs_alias(path, suffix):
            continue
        folder, name = posixpath.split(path)
        stem = name.replace(".", "_")
        alias = posixpath.join(folder, f"{stem}{suffix}")
        number = 1
        while alias in kinds or alias in aliases or (root / alias).exists():
            alias = posixpath.join(folder, f"{stem}_{number}{suffix}")
            number += 1
        shutil.copyfile(root / path, root / alias)
        aliases[alias] = path
    return aliases


def _restore(report: ToolReport, aliases: Mapping[str, str]) -> ToolReport:
    """The report in the PR's own paths: findings and files on an alias go back to the file it stands for."""
    if not aliases:
        return report

    def back(path: str) -> str:
        return aliases.get(path, path)

    def back_entry(entry: str) -> str:
        name, sep, rest = entry.partition(": ")
        return f"{back(name)}{sep}{rest}"

    # a tool reading both a file and its alias reports the same finding twice: keep it once
    findings = tuple(dict.fromkeys(replace(f, path=back(f.path)) for f in report.findings))
    return replace(
        report,
        findings=findings,
        fixes=tuple(replace(fix, path=back(fix.path)) for fix in report.fixes),
        files=tuple(back(p) for p in report.files),
        unaudited=tuple(back_entry(u) for u in report.unaudited),
    )


def unchecked(runner: Runner, kinds: Mapping[str, str], problems: Mapping[str, str]) -> list[str]:
    """The changed files this runner would read but could not: `path: why`."""
    entries = []
    for path, suffix in kinds.items():
        reads = runner.applies_to(path) or (needs_alias(path, suffix) and runner.applies_to("x" + suffix))
        if path in problems:
            unknown = not suffix and maybe_code(path) and code_reader(runner)
            if reads or unknown:
                entries.append(f"{path}: {problems[path]}")
        elif suffix == NOTEBOOK and not runner.applies_to(path) and runner.applies_to("x" + PYTHON):
            entries.append(f"{path}: a Jupyter notebook, which {runner.name} does not read")
        elif suffix == SCRIPT and runner.applies_to("x.sh"):
            entries.append(f"{path}: a script for an interpreter {runner.name} has no rules for")
    return entries


def _with_unchecked(report: ToolReport, entries: Sequence[str]) -> ToolReport:
    if not entries:
        return report
    findings = tuple(
        Finding(entry.partition(": ")[0], 0, "unaudited", f"not checked: {entry.partition(': ')[2]}")
        for entry in entries
    )
    return replace(report, unaudited=(*report.unaudited, *entries), findings=(*report.findings, *findings))


async def _semgrep_rules(source: HeadSource, paths: Sequence[str], *, into: Workspace) -> tuple[list[Path], list[str]]:
    """Write the repository's own semgrep rule files (from the base branch) into the workspace; (written, missing)."""
    folder = into.path / "rules"
    folder.mkdir(exist_ok=True)
    written: list[Path] = []
    missing: list[str] = []
    for index, path in enumerate(paths):
        text = await source.base_text(path)
        if text is None:
            missing.append(path)
            continue
        target = folder / f"{index}-{PurePosixPath(path).name}"
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written, missing


async def run_tools(
    api: InstallationAPI,
    settings: Settings,
    *,
    owner: str,
    repo: str,
    head_sha: str,
    base_ref: str,
    policy: Policy,
    runners: Sequence[Runner],
    files: Sequence[ChangedFile],
    only: Mapping[str, Collection[str]] | None = None,
) -> tuple[ToolReport, ...]:
    """One report per runner in `runners` (call it with the runners that have work: `busy`), on a head on GitHub.
    A runner named in `only` looks at those changed paths alone (a stored report speaks for the rest of the diff)."""
    source = GitHubHead(api, owner, repo, head_sha, base_ref, settings.tarball_max_bytes, settings.tarball_max_files)
    return await run_on_head(source, settings, policy=policy, runners=runners, files=files, only=only)


async def run_on_head(
    source: HeadSource,
    settings: Settings,
    *,
    policy: Policy,
    runners: Sequence[Runner],
    files: Sequence[ChangedFile],
    only: Mapping[str, Collection[str]] | None = None,
    on_start: Callable[[Runner, Sequence[str]], None] | None = None,
    on_done: Callable[[ToolReport], None] | None = None,
) -> tuple[ToolReport, ...]:
    """One report per runner in `runners`, on the head `source` gives: the one path the App and `ghapp check`
    take. `files` carry the blob ids of the committed files (the copy is made to hold exactly those)."""
    if not runners:
        return ()
    kept = sorted(f.path for f in checkable(files))
    with Workspace(prefix="ghapp-head-") as workspace:
        archive = workspace.path / "head.tar.gz"
        try:
            with archive.open("wb") as sink:
                await source.write_archive(sink)
        except HeadRefused as exc:
            return failed(runners, str(exc), kept)
        try:
            root = await asyncio.to_thread(
                workspace.unpack, archive, max_bytes=source.max_unpacked_bytes, max_files=source.max_files
            )
        except WorkspaceError as exc:
            return failed(runners, f"the head's source archive was refused: {exc}", kept)
        archive.unlink(missing_ok=True)
        problems = await verify_committed(
            source.get_blob, root, links=workspace.links, files=files, max_bytes=settings.tarball_max_bytes
        )
        kinds = {
            f.path: treat_as(f.path, None if f.path in problems else _head(root / f.path)) for f in checkable(files)
        }
        aliases = await asyncio.to_thread(_aliases, root, kinds, problems)
        given = [p for p in kinds if p not in problems] + list(aliases)
        semgrep_paths = policy.gate(Gate.SEMGREP).rules if any(r.gate is Gate.SEMGREP for r in runners) else ()
        rules, missing = await _semgrep_rules(source, semgrep_paths, into=workspace)
        lint_rules = policy.gate(Gate.LINT).rules
        scratch = workspace.path / "scratch"
        scratch.mkdir()
        try:
            jail = resolve_sandbox(settings.runner_sandbox)
        except SandboxUnavailable as exc:
            return failed(runners, f"the tools were not run: {exc}", kept)
        context = RunContext(
            root=root,
            scratch=scratch,
            ruff_select=tuple(lint_rules) or DEFAULT_RUFF_SELECT,
            semgrep_rules=tuple(rules),
            osv_url=settings.osv_url,
            memory_mb=settings.runner_memory_mb,
            sandbox=jail,
        )
        chosen = [r for r in runners if not (r.gate is Gate.SEMGREP and missing)]
        limits = only or {}
        whole = [r for r in chosen if r.name not in limits]
        done = await run_all(
            whole,
            context,
            given,
            timeout_s=settings.runner_timeout_s,
            memory_mb=settings.runner_memory_mb,
            on_start=on_start,
            on_done=on_done,
        )
        reports = [
            replace(
                _with_unchecked(_restore(report, aliases), unchecked(runner, kinds, problems)), considered=tuple(kept)
            )
            for runner, report in zip(whole, done, strict=True)
        ]
        for runner in (r for r in chosen if r.name in limits):
            scope = set(limits[runner.name])
            (report,) = await run_all(
                [runner],
                context,
                [p for p in given if aliases.get(p, p) in scope],
                timeout_s=settings.runner_timeout_s,
                memory_mb=settings.runner_memory_mb,
                on_start=on_start,
                on_done=on_done,
            )
            scoped = {path: kind for path, kind in kinds.items() if path in scope}
            reports.append(
                replace(
                    _with_unchecked(_restore(report, aliases), unchecked(runner, scoped, problems)),
                    considered=tuple(sorted(scope)),
                )
            )
        if missing:
            gone = ", ".join(missing)
            reports += failed(
                [r for r in runners if r.gate is Gate.SEMGREP],
                f"rule files named by the policy are not on the base branch: {gone}",
                kept,
            )
        order: Mapping[Gate, int] = {r.gate: i for i, r in enumerate(runners)}
        return tuple(sorted(reports, key=lambda report: order.get(report.gate, 99)))
