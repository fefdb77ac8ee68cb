"""What the dashboard reads out of recorded decisions: evidence to show, and whose approval a PR waits for.

An evaluation's `reasons` is a JSON list. The approvals gate records one object per sensitive category
(`CategoryResult` fields: `missing`, `request_users`, `request_teams`, ...); other gates record objects or
plain strings. A PR waits for a user when its latest approvals evaluation is `action_required` and names
the user (`alice`, `@alice`) or one of their teams (`org/team`, `@org/team`) as still missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ghapp.store.database import Database
from ghapp.store.evaluations import gate_verdicts
from ghapp.web.auth import UserSession

_HANDLE = re.compile(r"@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?)")
_SCAN_LIMIT = 2000  # approvals evaluations read per page view, newest first


@dataclass(frozen=True)
class Row:
    """An installation the user may see, with its repositories."""

    id: int
    account: str
    account_type: str
    suspended: bool
    repositories: tuple[str, ...]


@dataclass(frozen=True)
class Waiting:
    """A pull request whose approvals gate waits for this user or one of their teams."""

    repository: str
    pr_number: int
    head_sha: str
    since: datetime
    missing: tuple[str, ...]


def parse_reasons(text: str) -> list[Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return [text]
    return value if isinstance(value, list) else [value]


def evidence(text: str) -> list[str]:
    """One readable line per reason: objects as `key: value` pairs (lists joined), strings as they are."""
    lines = []
    for item in parse_reasons(text):
        if isinstance(item, dict):
            parts = [
                f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                for k, v in item.items()
                if v not in (None, "", [], {})
            ]
            lines.append("; ".join(parts))
        else:
            lines.append(str(item))
    return lines


def _names(item: Any) -> tuple[set[str], list[str]]:
    """(lower-cased users and teams the reason asks for, its human-readable `missing` lines)."""
    if isinstance(item, dict):
        missing = [str(m) for m in item.get("missing") or []]
        asked = {
            str(u).lower().lstrip("@") for u in [*(item.get("request_users") or []), *(item.get("request_teams") or [])]
        }
        if item.get("satisfied") is True:
            return set(), []
    else:
        missing, asked = [str(item)], set()
    for line in missing:
        asked |= {h.lower() for h in _HANDLE.findall(line)}
    return asked, missing


def naming(reasons: Sequence[Any], login: str, teams: Sequence[str]) -> tuple[str, ...]:
    """The `missing` lines of the reasons that name `login` or one of `teams`; empty if none does."""
    mine = {login.lower(), *(t.lower() for t in teams)}
    lines: list[str] = []
    for item in reasons:
        asked, missing = _names(item)
        if asked & mine:
            lines.extend(missing or sorted(asked & mine))
    return tuple(lines)


def waiting_for(db: Database, user: UserSession, repositories: Sequence[str]) -> list[Waiting]:
    """PRs in `repositories` whose latest approvals evaluation is action_required and names the user."""
    if not repositories:
        return []
    rows = gate_verdicts(db, "approvals", repositories, _SCAN_LIMIT)
    seen: set[tuple[str, int]] = set()
    queue = []
    for row in rows:
        key = (row.repository, row.pr_number)
        if key in seen:
            continue
        seen.add(key)
        if row.conclusion != "action_required":
            continue
        lines = naming(parse_reasons(row.reasons), user.login, user.teams)
        if lines:
            queue.append(Waiting(row.repository, row.pr_number, row.head_sha, row.created_at, lines))
    return queue
