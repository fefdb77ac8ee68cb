"""`ghapp detect FILE`: the AI verdict on JSON facts about a pull request and its commits, printed as JSON
(or, with `--explain`, as text: per signal, the rule that fired, where, and the text it fired on).

Input (every field optional, null means absent):
    {"pull_request": {"number", "author": {"login", "type", "id"}, "head_ref", "title", "body", "labels": [str]},
     "commits": [{"sha", "message", "author": {"name", "email", "login"}, "committer": {...}}]}
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast, get_args

from ghapp.core.decisions import Verdict
from ghapp.core.detection.detect import detect, parse_signal_table, prompt_provenance
from ghapp.core.detection.signals import SignalTable, SignalTableError
from ghapp.core.errors import GhappError
from ghapp.core.facts import Actor, ActorType, Commit, Person, PullRequest
from ghapp.resources import ai_signals_text

HELP = "judge whether a pull request (JSON facts, or - for stdin) was written with AI tools"


class FactsError(GhappError, ValueError):
    """The JSON facts have the wrong shape; the message names the field."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="JSON facts about the pull request and its commits; - reads stdin")
    parser.add_argument(
        "--signals",
        metavar="YAML",
        action="append",
        default=[],
        type=Path,
        help="extra signals in the schema of the policy's ai.signals section, merged over "
        "the bundled table (repeatable)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print, per signal, the rule id and the text that fired it, instead of JSON",
    )


def run(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        pull_request, commits = facts_from_json(json.loads(text))
        table = load_table(args.signals)
    except (OSError, UnicodeDecodeError) as exc:
        return _usage_error(f"cannot read input: {exc}")
    except json.JSONDecodeError as exc:
        return _usage_error(f"input is not valid JSON: {exc}")
    except (FactsError, SignalTableError) as exc:
        return _usage_error(str(exc))
    verdict = detect(table, pull_request, commits)
    provenance = prompt_provenance(pull_request, commits)
    if args.explain:
        print("\n".join(explain(verdict, provenance)))
        return 0
    report = {
        "verdict": verdict.verdict,
        "tools": list(verdict.tools),
        "signals": [
            {
                "id": s.id,
                "family": s.family,
                "confidence": s.confidence,
                "where": s.where,
                "evidence": s.evidence,
                "tool": s.tool,
            }
            for s in verdict.signals
        ],
        "prompt_provenance": provenance,
    }
    print(json.dumps(report, indent=2))
    return 0


def explain(verdict: Verdict, provenance: str | None) -> list[str]:
    """The verdict in words, then one entry per signal: its rule id, what it says, where, the text it fired on."""
    tools = f" ({', '.join(verdict.tools)})" if verdict.tools else ""
    lines = [f"verdict: {verdict.verdict}{tools}"]
    if not verdict.signals:
        lines.append("no signal fired")
    for signal in verdict.signals:
        tool = f", tool {signal.tool}" if signal.tool else ""
        lines += [
            f"- rule {signal.id} ({signal.family}, {signal.confidence}{tool}) in {signal.where}",
            f"  fired on: {signal.evidence}",
        ]
    lines.append(f"prompt provenance: {provenance or 'none'}")
    return lines


def load_table(extra: Sequence[Path] = ()) -> SignalTable:
    """The bundled signal table, extended by each file of `extra` in turn."""
    table = parse_signal_table(ai_signals_text())
    for path in extra:
        try:
            table = table.extended(parse_signal_table(path.read_text(encoding="utf-8")))
        except SignalTableError as exc:
            raise SignalTableError(exc.path, f"{path}: {exc}") from exc
    return table


def facts_from_json(data: Any) -> tuple[PullRequest | None, tuple[Commit, ...]]:
    """The pull request and commits described by `data` (parsed JSON); FactsError names a bad field."""
    top = _object(data, "input", {"pull_request", "commits"})
    pr = top.get("pull_request")
    commits = _list(top.get("commits"), "commits")
    return (
        _pull_request(pr) if pr is not None else None,
        tuple(_commit(item, f"commits[{i}]") for i, item in enumerate(commits)),
    )


def _pull_request(data: Any) -> PullRequest:
    pr = _object(data, "pull_request", {"number", "author", "head_ref", "title", "body", "labels"})
    author = _object(pr.get("author") or {}, "pull_request.author", {"login", "type", "id"})
    actor_type = cast(ActorType, _text(author.get("type"), "pull_request.author.type") or "User")
    if actor_type not in get_args(ActorType):
        raise FactsError(f"pull_request.author.type must be one of {', '.join(get_args(ActorType))}")
    return PullRequest(
        number=_int(pr.get("number"), "pull_request.number") or 0,
        author=Actor(
            login=_text(author.get("login"), "pull_request.author.login"),
            type=actor_type,
            id=_int(author.get("id"), "pull_request.author.id"),
        ),
        head_ref=_text(pr.get("head_ref"), "pull_request.head_ref"),
        title=_text(pr.get("title"), "pull_request.title"),
        body=_text(pr.get("body"), "pull_request.body"),
        labels=tuple(
            _text(label, f"pull_request.labels[{i}]")
            for i, label in enumerate(_list(pr.get("labels"), "pull_request.labels"))
        ),
    )


def _commit(data: Any, where: str) -> Commit:
    commit = _object(data, where, {"sha", "message", "author", "committer"})
    return Commit(
        sha=_text(commit.get("sha"), f"{where}.sha"),
        message=_text(commit.get("message"), f"{where}.message"),
        author=_person(commit.get("author"), f"{where}.author"),
        committer=_person(commit.get("committer"), f"{where}.committer"),
    )


def _person(data: Any, where: str) -> Person:
    person = _object(data or {}, where, {"name", "email", "login"})
    return Person(
        name=_text(person.get("name"), f"{where}.name"),
        email=_text(person.get("email"), f"{where}.email"),
        login=_text(person.get("login"), f"{where}.login") or None,
    )


def _object(value: Any, where: str, keys: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise FactsError(f"{where} must be an object")
    unknown = sorted(set(value) - keys)
    if unknown:
        raise FactsError(f"{where} has unknown field {unknown[0]!r} (expected: {', '.join(sorted(keys))})")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FactsError(f"{where} must be a list")
    return value


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FactsError(f"{where} must be a string")
    return value


def _int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FactsError(f"{where} must be an integer")
    return value


def _usage_error(message: str) -> int:
    print(f"ghapp detect: {' '.join(message.split())}", file=sys.stderr)
    return 2
