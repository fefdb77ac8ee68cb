"""The audit trail's exchange format, shared by `ghapp audit export`, the dashboard's export and the SIEM
endpoint: the filters as they are written (`since`, `verdict`, ...) and each event as CSV or JSON Lines.

CSV cells that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) get a
leading `'`: a PR title or an override reason is text someone else wrote.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

from ghapp.core.errors import GhappError
from ghapp.store.audit import KINDS, Event, Filters

FORMATS = ("csv", "jsonl")
COLUMNS = (
    "id",
    "created_at",
    "kind",
    "repository",
    "pr_number",
    "head_sha",
    "gate",
    "outcome",
    "verdict",
    "tools",
    "categories",
    "people",
    "summary",
    "detail",
)
FILTER_NAMES = ("repo", "since", "until", "kind", "verdict", "tool", "category", "person", "gate", "pr")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class FilterError(GhappError, ValueError):
    """A filter that cannot be understood (a malformed time, an unknown kind)."""


def parse_time(text: str, now: datetime) -> datetime:
    """ISO 8601 (a date, or a time; UTC when no zone is given), or a span back from now: `30d`, `12h`."""
    raw = text.strip()
    if raw[:-1].isdigit() and raw[-1:] in ("d", "h"):
        amount = int(raw[:-1])
        return now - (timedelta(days=amount) if raw.endswith("d") else timedelta(hours=amount))
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"not a time: {text!r} (use 2026-01-31, 2026-01-31T12:00:00Z, 30d or 12h)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def filters_from(
    values: Mapping[str, str | None], now: datetime, repositories: tuple[str, ...] | None = None
) -> Filters:
    """Filters from named values (query parameters or options); `repositories` limits what may be seen at all,
    and `repo` narrows within it (a repository outside the limit matches nothing)."""

    def get(name: str) -> str:
        return (values.get(name) or "").strip()

    kind = get("kind")
    if kind and kind not in KINDS:
        raise FilterError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    repo = get("repo")
    if repo:
        repositories = tuple(r for r in (repositories if repositories is not None else (repo,)) if r == repo)
    pr = get("pr")
    if pr and not pr.isdigit():
        raise FilterError(f"not a pull request number: {pr!r}")
    return Filters(
        repositories=repositories,
        since=parse_time(get("since"), now) if get("since") else None,
        until=parse_time(get("until"), now) if get("until") else None,
        kind=kind,
        verdict=get("verdict"),
        tool=get("tool"),
        category=get("category"),
        person=get("person"),
        gate=get("gate"),
        pr_number=int(pr) if pr else None,
    )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _flat(event: Event) -> list[str]:
    data = event.to_json()
    data["tools"], data["categories"], data["people"] = (
        ";".join(event.tools),
        ";".join(event.categories),
        ";".join(event.people),
    )
    data["detail"] = json.dumps(event.detail, sort_keys=True)
    return [_cell(data[column]) for column in COLUMNS]


def csv_lines(events: Iterable[Event]) -> Iterator[str]:
    """The header, then one CSV record per event."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for event in events:
        writer.writerow(_flat(event))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():  # no events: the header alone
        yield buffer.getvalue()


def jsonl_lines(events: Iterable[Event]) -> Iterator[str]:
    for event in events:
        yield json.dumps(event.to_json(), sort_keys=True) + "\n"


def lines(events: Iterable[Event], fmt: str) -> Iterator[str]:
    if fmt not in FORMATS:
        raise FilterError(f"unknown format {fmt!r}: csv or jsonl")
    return csv_lines(events) if fmt == "csv" else jsonl_lines(events)
