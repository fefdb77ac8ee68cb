r"""Markdown building blocks for check-run summaries, comments and issues: escaped text, capped tables, the size
limit.

Text from pull requests and tools (titles, branch names, trailers, file names, tool messages) is escaped with
`cell`, so it renders as the text it is: no link, image, HTML, heading or emphasis, no `|` that breaks a table
row, no `@mention` (which would notify someone), no autolinked URL or `#123` reference. Markdown's own escapes
(`\[`) handle the syntax; GitHub finds mentions, URLs and references in the rendered text, so those get an
invisible word joiner (U+2060) after `@`, in `://`, after `www` and after `#`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SUMMARY_LIMIT = 65_535  # GitHub rejects a check-run summary over this many characters
MAX_SUMMARY = 60_000  # what the core writes, leaving room for the notes added when it is published
MAX_ROWS = 50
MAX_CELL = 200


JOINER = "\u2060"  # WORD JOINER: invisible, and it breaks what GitHub links after rendering
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()!|~#])")  # inline syntax; nothing here starts a line
_LINKED = re.compile(r"(@|://|\bwww\b|#)", re.IGNORECASE)


def flat(text: object, limit: int = MAX_CELL) -> str:
    """`text` on one line (whitespace runs become one space), at most `limit` characters."""
    one = " ".join(str(text).split())
    return one[: limit - 1] + "…" if len(one) > limit else one


def escape(text: str) -> str:
    """`text` (one line) as literal Markdown: every piece of syntax escaped, nothing GitHub links or notifies."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _PUNCTUATION.sub(r"\\\1", text)
    return _LINKED.sub(lambda m: m[0][0] + JOINER + m[0][1:] if m[0] == "://" else m[0] + JOINER, text)


def cell(text: object, limit: int = MAX_CELL) -> str:
    """Text from a pull request or a tool, safe anywhere in Markdown (a table cell included): one line, at most
    `limit` characters, rendered as the text it is."""
    return escape(flat(text, limit))


def line(text: object, limit: int = MAX_CELL) -> str:
    """Text the App wrote (it may name accounts as `@login`, on purpose), on one line and safe in a table."""
    return flat(text, limit).replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def code(text: object, limit: int = MAX_CELL) -> str:
    """`text` as inline code (a path, a rule id): nothing inside renders, and a backtick cannot break out; a `|`
    is escaped, as a table row would otherwise split there."""
    return "`" + flat(text, limit).replace("`", "'").replace("|", "\\|") + "`"


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
