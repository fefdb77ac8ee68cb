"""`ghapp policy validate|explain|simulate|schema`: check policy files, show what a policy requires, simulate a
decision, print the schema.

`validate FILE...` reads each file as the repository layer over the bundled default (and any `--base`
layers, such as the org's policy) and prints `FILE:LINE:COL: message` per problem. `explain` shows, for
a set of changed files, which sensitive categories they touch, who must approve, and which gates run in
which mode, for an AI-written PR and for a human one. `simulate` asks GitHub for a pull request and shows the
decision the App would reach with more approvals or another policy, publishing nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ghapp.core.codeowners.patterns import CODEOWNERS_LOCATIONS, parse_codeowners
from ghapp.core.decisions import Gate, Verdict
from ghapp.core.detection.detect import parse_signal_table
from ghapp.core.facts import ChangedFile, Facts
from ghapp.core.gates.approvals import evaluate_approvals
from ghapp.core.policy.load import POLICY_PATH, Policy, PolicyResult, load_policy
from ghapp.core.policy.model import GATE_KEYS
from ghapp.core.policy.schema import published_schema
from ghapp.resources import DEFAULT_POLICY_SOURCE, ai_signals_text, default_policy_text

HELP = "validate policy files, explain what a policy requires for some changed files, print the schema"
DEFAULT_SOURCE = DEFAULT_POLICY_SOURCE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    validate = sub.add_parser("validate", help="print FILE:LINE:COL: message for every problem; exit 1 on any")
    validate.add_argument("files", nargs="+", metavar="FILE", help="a policy file (.github/prompt-to-pr.yml)")
    validate.add_argument(
        "--base",
        action="append",
        default=[],
        metavar="FILE",
        help="a layer to merge under each FILE, after the bundled default (repeatable)",
    )
    validate.add_argument(
        "--org",
        metavar="FILE",
        help="the org's policy (its `.github` repository), whose floor each FILE may only tighten",
    )
    validate.set_defaults(_action=_validate)
    explain = sub.add_parser("explain", help="what the policy requires for a PR changing PATH...")
    explain.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="FILE",
        help=f"policy layers over the bundled default, base first (default: {POLICY_PATH} when it exists)",
    )
    explain.add_argument(
        "--org", metavar="FILE", help="the org's policy, laid first; its floor holds against the --policy layers"
    )
    explain.add_argument("--files", nargs="+", required=True, metavar="PATH", help="the PR's changed files")
    explain.add_argument(
        "--codeowners",
        metavar="FILE",
        help=f"the CODEOWNERS file (default: the first of {', '.join(CODEOWNERS_LOCATIONS)} found)",
    )
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.set_defaults(_action=_explain)
    simulate = sub.add_parser(
        "simulate",
        help="the decision the App would reach on a PR with more approvals or another policy, publishing nothing",
    )
    simulate.add_argument("--repo", required=True, metavar="OWNER/NAME")
    simulate.add_argument("--pr", required=True, type=int, metavar="N")
    simulate.add_argument(
        "--approve",
        action="append",
        default=[],
        metavar="LOGIN",
        help="add an approval of the current head by LOGIN (repeatable)",
    )
    simulate.add_argument("--policy", metavar="FILE", help="judge with FILE as the repository's policy file")
    simulate.add_argument("--format", choices=("text", "json"), default="text")
    simulate.set_defaults(_action=_simulate)
    schema = sub.add_parser("schema", help="print the policy file's JSON Schema (policies/schema.json)")
    schema.set_defaults(_action=lambda args: _print_json(published_schema()))


def run(args: argparse.Namespace) -> int:
    code: int = args._action(args)
    return code


def _load(paths: list[str], org: str | None = None) -> tuple[PolicyResult | None, str]:
    """The policy of the bundled default plus `org` and `paths`; (None, why) when a file cannot be read."""
    texts = [(DEFAULT_SOURCE, default_policy_text())]
    for path in [org, *paths] if org else paths:
        try:
            texts.append((path, Path(path).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            return None, f"cannot read {path}: {exc}"
    return load_policy(texts, signals=parse_signal_table(ai_signals_text()), org_layers=2 if org else None), ""


def _validate(args: argparse.Namespace) -> int:
    worst = 0
    for path in args.files:
        result, error = _load([*args.base, path], args.org)
        if result is None:
            print(f"ghapp policy: {error}", file=sys.stderr)
            worst = 2
            continue
        for issue in result.issues:
            print(issue)
        if result.issues:
            worst = max(worst, 1)
        else:
            refused = result.policy.refused if result.policy is not None else ()
            for issue in refused:
                print(f"{issue} (refused)")
            print(f"{path}: valid" + (f"; the org's floor refuses {len(refused)} relaxation(s)" if refused else ""))
    return worst


def _simulate(args: argparse.Namespace) -> int:
    from ghapp.commands.policy_simulate import run_simulation  # noqa: PLC0415 - the GitHub stack, only here

    return run_simulation(args)


def _explain(args: argparse.Namespace) -> int:
    layers = args.policy or ([POLICY_PATH] if Path(POLICY_PATH).is_file() else [])
    result, error = _load(layers, args.org)
    if result is None:
        print(f"ghapp policy: {error}", file=sys.stderr)
        return 2
    if result.policy is None:
        for issue in result.issues:
            print(issue, file=sys.stderr)
        return 1
    owners_path = args.codeowners or next((loc for loc in CODEOWNERS_LOCATIONS if Path(loc).is_file()), None)
    try:
        codeowners = Path(owners_path).read_text(encoding="utf-8") if owners_path else None
    except (OSError, UnicodeDecodeError) as exc:
        print(f"ghapp policy: cannot read {owners_path}: {exc}", file=sys.stderr)
        return 2
    report = explain(
        result.policy, args.files, codeowners, [DEFAULT_SOURCE, *([args.org] if args.org else []), *layers]
    )
    report["values"] = [{"key": key, "value": value, "layer": layer} for key, value, layer in result.origins()]
    report["refused"] = [str(issue) for issue in result.policy.refused]
    if args.format == "json":
        return _print_json(report)
    print(render(report))
    return 0


def explain(policy: Policy, paths: list[str], codeowners: str | None, sources: list[str]) -> dict[str, Any]:
    """What `policy` requires of a PR changing `paths`, for an AI-written PR and a human-written one."""
    # team membership is not known offline: every team is listed as known, so the report says who may
    # approve rather than that the App could not read a team
    owners = parse_codeowners(codeowners).owners_for(paths).values() if codeowners is not None else []
    teams = policy.teams() | {owner[1:].lower() for found in owners for owner in found if "/" in owner}
    facts = Facts(
        files=tuple(ChangedFile(path) for path in paths),
        codeowners=codeowners,
        team_members={team: frozenset() for team in teams},
    )
    report: dict[str, Any] = {"policy": sources, "mode": policy.mode, "files": paths}
    for kind, verdict in (("ai", Verdict("ai")), ("human", Verdict("human"))):
        is_ai = policy.ai.is_ai(verdict)
        needs = (
            ["the PR must show its prompt (a `## Prompt` section or an agent session link)"]
            if is_ai and policy.ai.require_prompt
            else []
        )
        needs += (
            ["the description must say whether and how AI was used (`ai.require_disclosure`)"]
            if policy.ai.require_disclosure
            else []
        )
        gates = [
            {
                "gate": "provenance",
                "runs": True,
                "mode": policy.gate_mode(Gate.PROVENANCE),
                "detail": "; ".join(needs) or "the AI verdict and its evidence are reported",
            }
        ]
        for settings in policy.gates:
            key = GATE_KEYS[settings.gate]
            if not settings.applies(is_ai):
                why = "disabled" if not settings.enabled else "applies to AI-written PRs only"
                gates.append({"gate": settings.gate.value, "runs": False, "mode": None, "detail": why})
                continue
            scope = "whole changed files" if settings.whole_file or key == "dependency_audit" else "changed lines"
            rules = f"; rules {', '.join(settings.rules)}" if settings.rules else ""
            ignore = f"; ignores {', '.join(settings.ignore)}" if settings.ignore else ""
            gates.append(
                {
                    "gate": settings.gate.value,
                    "runs": True,
                    "mode": policy.gate_mode(settings.gate),
                    "detail": f"findings on {scope}; blocks on {settings.block_on} or worse{rules}{ignore}",
                }
            )
        categories = evaluate_approvals(policy.approvals, facts, is_ai=is_ai, is_ai_actor=lambda actor: False)
        touched = {path for result in categories for path in result.files}
        gates.append(
            {
                "gate": "approvals",
                "runs": True,
                "mode": policy.gate_mode(Gate.APPROVALS),
                "detail": f"{len(categories)} sensitive categor{'y' if len(categories) == 1 else 'ies'} "
                "to approve on the current head",
            }
        )
        report[kind] = {
            "gates": gates,
            "approvals": [
                {
                    "category": r.category,
                    "files": list(r.files),
                    "needs": list(r.missing),
                    "request_users": list(r.request_users),
                    "request_teams": list(r.request_teams),
                }
                for r in categories
            ],
            "no_approval_needed": [path for path in paths if path not in touched],
        }
    return report


def render(report: dict[str, Any]) -> str:
    """The explain report as text for a terminal."""
    lines = [f"Policy: {' + '.join(report['policy'])} (mode: {report['mode']})"]
    for kind, heading in (("ai", "an AI-written PR"), ("human", "a human-written PR")):
        part = report[kind]
        lines += ["", f"For {heading} changing {len(report['files'])} file(s):", "  Gates:"]
        for gate in part["gates"]:
            state = gate["mode"] if gate["runs"] else "not run"
            lines.append(f"    {gate['gate']:<17} {state:<8} {gate['detail']}")
        lines.append("  Approvals:")
        for category in part["approvals"]:
            lines.append(f"    {category['category']}: {', '.join(category['files'])}")
            lines += [f"      needs {need}" for need in category["needs"]]
        if part["no_approval_needed"]:
            lines.append(f"    no approval needed for: {', '.join(part['no_approval_needed'])}")
    if "values" in report:
        lines += ["", "Values, each with the layer that set it:"]
        lines += [f"  {v['key']} = {_short(v['value'])}  ({v['layer']})" for v in report["values"]]
    if report.get("refused"):
        lines += ["", "Relaxations of the org's floor, refused (the org's value applies):"]
        lines += [f"  {issue}" for issue in report["refused"]]
    return "\n".join(lines)


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_json(data: object) -> int:
    print(json.dumps(data, indent=2))
    return 0
