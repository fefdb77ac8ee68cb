"""`ghapp check`: judge the current branch the way the App would judge its pull request, before pushing.

AI detection on the commits since the merge base, the four tool gates on the changed files (run on a
throw-away copy of the committed head), the approvals the policy would require. The policy comes from the
base branch (never the working tree), over the bundled default. Exit 0 when every gate passes, 1 when one
fails, 2 on usage or environment errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ghapp.commands.check_report import render_text
from ghapp.commands.local_head import CheckError, LocalHead, git, show, with_blob_ids
from ghapp.commands.terminal import Style, wants_colour
from ghapp.core.codeowners.patterns import CODEOWNERS_LOCATIONS
from ghapp.core.decisions import Decision, ToolReport
from ghapp.core.detection.detect import detect, parse_signal_table
from ghapp.core.detection.signals import SignalTable, SignalTableError
from ghapp.core.diff import parse_unified_diff
from ghapp.core.evaluate import evaluate, evaluate_policy_error, gates_to_run
from ghapp.core.facts import Actor, ChangedFile, Commit, Facts, Person, PullRequest
from ghapp.core.policy.load import POLICY_PATH, GateSettings, Policy, PolicyIssue, load_policy
from ghapp.core.sarif import render_sarif
from ghapp.enforcement.tool_plan import busy, idle_report
from ghapp.enforcement.tools import run_on_head
from ghapp.resources import ai_signals_text, default_policy_text
from ghapp.runners import RUNNERS, Runner
from ghapp.runners.workspace import WorkspaceError
from ghapp.settings import Settings, SettingsError, from_env

HELP = "evaluate the current branch as the App would evaluate its pull request"
_FIELD, _RECORD = "\x1f", "\x1e"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path(), help="the repository (default: the current directory)")
    parser.add_argument("--base", help="the branch the PR would target (default: origin/HEAD, else main or master)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text", help="output format")
    parser.add_argument("--title", default="", help="the PR title the App would see (AI markers are read there)")
    parser.add_argument("--body-file", type=Path, help="a file holding the PR description the App would see")
    parser.add_argument("--timeout", type=float, help="seconds per tool (default: GHAPP_RUNNER_TIMEOUT_S)")


def base_ref(repo: Path, wanted: str | None) -> str:
    candidates = [wanted] if wanted else ["origin/HEAD", "main", "master"]
    for ref in candidates:
        if git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False):
            return ref
    raise CheckError(
        f"base {wanted!r} is not a commit" if wanted else "no base: pass --base (no origin/HEAD, main or master)"
    )


def commits_since(repo: Path, merge_base: str) -> tuple[Commit, ...]:
    fmt = _FIELD.join(["%H", "%an", "%ae", "%cn", "%ce", "%B"]) + _RECORD
    out = git(repo, "log", "--reverse", f"--format={fmt}", f"{merge_base}..HEAD")
    commits = []
    for record in out.split(_RECORD):
        parts = record.strip("\n").split(_FIELD)
        if len(parts) == 6:
            sha, an, ae, cn, ce, message = parts
            commits.append(Commit(sha, message.strip("\n"), Person(an, ae), Person(cn, ce)))
    return tuple(commits)


def run(args: argparse.Namespace) -> int:
    try:
        decision = check(args)
    except (CheckError, WorkspaceError, SettingsError, SignalTableError, OSError, UnicodeDecodeError) as exc:
        print(f"ghapp check: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(decision.to_json(), indent=2))
    elif args.format == "sarif":
        print(json.dumps(render_sarif(decision), indent=2))
    else:
        print(render_text(decision, Style(wants_colour(sys.stdout.isatty(), os.environ))))
    return 0 if decision.passed else 1


def check(args: argparse.Namespace) -> Decision:
    repo = Path(git(args.repo, "rev-parse", "--show-toplevel").strip())
    settings = from_env()
    base = base_ref(repo, args.base)
    merge_base = git(repo, "merge-base", base, "HEAD").strip()
    head = git(repo, "rev-parse", "HEAD").strip()
    if git(repo, "status", "--porcelain", "--untracked-files=no", check=False).strip():
        _progress("note: uncommitted changes are not checked (the App sees commits only)")
    table = parse_signal_table(ai_signals_text())
    texts = [("policies/default.yml (bundled)", default_policy_text())]
    repo_policy = show(repo, base, POLICY_PATH)
    if repo_policy is not None:
        texts.append((f"{base}:{POLICY_PATH}", repo_policy))
    result = load_policy(texts, signals=table)
    if result.policy is None:
        return evaluate_policy_error(result.issues, head)
    diff = git(
        repo,
        "-c",
        "core.quotePath=false",
        "diff",
        "--find-renames",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        merge_base,
        head,
    )
    files = tuple(parse_unified_diff(diff).values())
    commits = commits_since(repo, merge_base)
    branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    author = git(repo, "config", "user.name", check=False).strip() or "local"
    body = args.body_file.read_text(encoding="utf-8") if args.body_file else ""
    pr = PullRequest(
        number=0,
        author=Actor(author),
        title=args.title,
        body=body,
        head_ref=branch,
        head_sha=head,
        base_ref=base,
        base_sha=merge_base,
    )
    verdict = detect(result.policy.signals or table, pr, commits)
    runners = _runners(gates_to_run(result.policy, verdict))
    timeout = args.timeout or settings.runner_timeout_s
    reports = _run_tools(
        LocalHead(repo, head, base),
        settings.with_overrides(runner_timeout_s=timeout),
        policy=result.policy,
        runners=runners,
        files=with_blob_ids(repo, head, files),
    )
    codeowners = next((text for p in CODEOWNERS_LOCATIONS if (text := show(repo, base, p)) is not None), None)
    edit = _policy_edit(repo, head, texts[0], table) if any(POLICY_PATH in f.paths for f in files) else None
    facts = Facts(pull_request=pr, commits=commits, files=files, codeowners=codeowners, tool_reports=reports)
    return evaluate(result.policy, facts, policy_edit=edit)


def _runners(gates: Sequence[GateSettings]) -> list[Runner]:
    wanted = {g.gate for g in gates}
    return [r for r in RUNNERS if r.gate in wanted]


def _policy_edit(repo: Path, head: str, bundled: tuple[str, str], table: SignalTable) -> tuple[PolicyIssue, ...]:
    """The issues of the policy file as the PR edits it (a deleted file is no issue: the default applies)."""
    text = show(repo, head, POLICY_PATH)
    if text is None:
        return ()
    return load_policy([bundled, (f"HEAD:{POLICY_PATH}", text)], signals=table).issues


def _run_tools(
    source: LocalHead, settings: Settings, *, policy: Policy, runners: Sequence[Runner], files: Sequence[ChangedFile]
) -> tuple[ToolReport, ...]:
    """The tool reports, from the App's own path (`run_on_head`), with progress on stderr."""
    started = time.monotonic()

    def on_start(runner: Runner, paths: Sequence[str]) -> None:
        _progress(f"… {runner.name} on {len(paths)} file{'s' if len(paths) != 1 else ''}")

    def on_done(report: ToolReport) -> None:
        count = len(report.findings)
        outcome = report.status if report.status != "ok" else f"{count} finding{'s' if count != 1 else ''}"
        mark = "✓" if report.status == "ok" else "✗"
        _progress(f"{mark} {report.tool}: {outcome} ({time.monotonic() - started:.1f} s)")

    work = busy(runners, files)
    ran = {
        report.tool: report
        for report in asyncio.run(
            run_on_head(source, settings, policy=policy, runners=work, files=files, on_start=on_start, on_done=on_done)
        )
    }
    reports = []
    for runner in runners:
        report = ran.get(runner.name)
        if report is None:  # nothing of a kind it reads changed: the App's idle report
            report = idle_report(runner)
            on_done(report)
        reports.append(report)
    return tuple(reports)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
