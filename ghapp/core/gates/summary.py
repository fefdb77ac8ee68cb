"""Markdown building blocks for check-run summaries: escaped cells, capped tables, the size limit.

Text in a summary comes from pull requests and tools, so it is escaped: a stray `<!--` in a PR body would
otherwise hide the rest of the summary, and a `|` would break a table row.
"""

from __future__ import annotations

from collections.abc import Sequence

SUMMARY_LIMIT = 65_535  # GitHub rejects a check-run summary over this many characters
MAX_SUMMARY = 60_000  # what the core writes, leaving room for the notes added when it is published
MAX_ROWS = 50
MAX_CELL = 200


def cell(text: object, limit: int = MAX_CELL) -> str:
    """`text` safe inside a Markdown table cell, on one line, at most `limit` characters."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def code(text: object) -> str:
    """`text` as inline code (a path, a rule id), with backticks that cannot break out."""
    flat = cell(text).replace("`", "'")
    return f"`{flat}`"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, limit: int = MAX_ROWS, more: str = "") -> str:
    """A Markdown table of at most `limit` rows; `more` says where the rest is (e.g. "in the annotations")."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"\n_…and {len(rows) - limit} more{' ' + more if more else ''}._")
    return "\n".join(lines)


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def plural(count: int, word: str, many: str | None = None) -> str:
    """`3 findings`, `1 finding`."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def finish(parts: Sequence[str]) -> str:
    """Join non-empty sections; cut at the size GitHub accepts, saying so."""
    text = "\n\n".join(part for part in parts if part)
    if len(text) > MAX_SUMMARY:
        text = text[: MAX_SUMMARY - 40] + "\n\n_…summary truncated._"
    return text
