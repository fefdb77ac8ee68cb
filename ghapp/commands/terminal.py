"""Check-run markdown as a terminal shows it: plain aligned text, with colour only when asked for.

Summaries are written for GitHub (`**bold**`, `&lt;` escapes, pipe tables, `<details>`); a contributor running
`ghapp check` reads them in a terminal, so markup is dropped, entities decoded and tables aligned. Colour
follows the NO_COLOR convention: never when the variable is set, never when the output is not a terminal.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

_ESCAPED_PIPE = "\x00"
_LINK = re.compile(r"(?<!\\)!?\[([^\]\n]*)\]\(([^)\s]*)\)")
_BACKTICK = re.compile(r"(?<!\\)`")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()!|~#])")  # what summary.cell escapes, shown as the character
_JOINER = "\u2060"  # summary.cell's word joiner inside mentions and URLs: invisible, and of no use here
_TAG = re.compile(r"</?(?:details|summary|sub|sup|b|i|em|strong|code|p|div|span)\b[^>\n]*>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*\\])([*_])(?=\S)([^*_\n]+?)(?<=\S)(?<!\\)\1(?![\w*])")
_CODE_SPAN = re.compile(r"(?<!\\)`[^`\n]*`")
_LITERAL_LT = "\x01"  # a `<` inside a code span: text there, never a tag
_HEADING = re.compile(r"^#{1,6}\s+")
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33"}


@dataclass(frozen=True)
class Style:
    """ANSI styling, or none at all."""

    colour: bool = False

    def __call__(self, text: str, *names: str) -> str:
        if not self.colour or not names or not text:
            return text
        codes = ";".join(_CODES[name] for name in names)
        return f"\x1b[{codes}m{text}\x1b[0m"


PLAIN = Style()


def wants_colour(is_tty: bool, environ: Mapping[str, str]) -> bool:
    """Colour for a terminal, unless NO_COLOR is set to anything (https://no-color.org) or TERM is `dumb`."""
    return is_tty and "NO_COLOR" not in environ and environ.get("TERM") != "dumb"


def _inline(text: str) -> str:
    text = _LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _ITALIC.sub(r"\2", text)
    text = _BACKTICK.sub("", text)
    text = _ESCAPE.sub(r"\1", text).replace(_JOINER, "")
    return html.unescape(text).replace(_LITERAL_LT, "<")


def _cells(row: str) -> list[str]:
    row = row.strip().replace("\\|", _ESCAPED_PIPE)
    row = row.removeprefix("|").removesuffix("|")
    return [_inline(cell.strip()).replace(_ESCAPED_PIPE, "|") for cell in row.split("|")]


def _table(rows: list[str], style: Style) -> list[str]:
    body = [_cells(row) for row in rows if not _SEPARATOR.match(row.strip())]
    columns = max(len(cells) for cells in body)
    body = [cells + [""] * (columns - len(cells)) for cells in body]
    widths = [max(len(cells[i]) for cells in body) for i in range(columns)]
    lines = []
    for number, cells in enumerate(body):
        line = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        lines.append(style(line, "bold") if number == 0 and len(body) > 1 else line)
    return lines


def render_markdown(markdown: str, style: Style = PLAIN) -> str:
    """The markdown of a check-run summary as plain text lines, tables aligned in columns."""
    text = _COMMENT.sub("", _BREAK.sub("\n", markdown))
    text = _CODE_SPAN.sub(lambda m: m[0].replace("<", _LITERAL_LT), text)
    text = _TAG.sub("", text)
    out: list[str] = []
    table: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.lstrip().startswith("|"):
            table.append(line)
            continue
        if table:
            out += _table(table, style)
            table = []
        if _HEADING.match(line):
            out.append(style(_inline(_HEADING.sub("", line)), "bold"))
        else:
            out.append(_inline(line))
    if table:
        out += _table(table, style)
    return "\n".join(out)
