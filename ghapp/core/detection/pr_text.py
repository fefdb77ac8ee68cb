"""Reads Markdown the way AI detection needs it: without code and quotes, ticked checkboxes, a prompt section."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

# PR bodies and commit messages come from anyone who can open a pull request: every pattern here has a
# single way to match, so no input can make it backtrack for long.
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_QUOTE = re.compile(r" {0,3}>")
# GitHub's alerts (`> [!NOTE]` and the `>` lines under it) are the author's own notes, not quotes
_ALERT = re.compile(r" {0,3}>[ \t]*\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*", re.IGNORECASE)
_TICKS = re.compile(r"`+")
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*))?")
_BOLD_LINE = re.compile(r"[ \t]*(\*\*|__)(.+?)\1[ \t]*(?::[ \t]*)?")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d+[.)])[ \t]")
_CHECKED = re.compile(r"[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[[xX]\][ \t]+(.*)")
_CHECKBOX = re.compile(r"[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[[ xX]\]")
_PROMPT_HEADING = re.compile(
    r" {0,3}(#{1,6})[ \t]+(?:original |ai |agent )?prompts?(?: used)?[ \t]*(?::[ \t]*)?(?:#+[ \t]*)?", re.IGNORECASE
)


def plain_text(text: str) -> str:
    """`text` with fenced code blocks, `>` quotes and inline code spans emptied; the lines stay in place.

    A GitHub alert (`> [!NOTE]` and the quoted lines under it) is kept, without its `>` markers.
    """
    lines: list[str] = []
    fence = ""
    alert = False
    for line in text.replace("\r\n", "\n").split("\n"):
        opener = _FENCE.match(line)
        if fence:
            closing = opener is not None and opener[1][0] == fence[0] and len(opener[1]) >= len(fence)
            if closing and opener is not None and not line[opener.end() :].strip():
                fence = ""
            lines.append("")
        elif opener is not None:
            fence = opener[1]
            lines.append("")
        elif (quote := _QUOTE.match(line)) is not None:
            marker = _ALERT.match(line)
            alert = alert or marker is not None
            lines.append(_without_code_spans(line[quote.end() :]) if alert and marker is None else "")
        else:
            alert = False
            lines.append(_without_code_spans(line))
    return "\n".join(lines)


def _without_code_spans(line: str) -> str:
    """`line` without inline code: a run of backticks opens a span closed by the next run of the same length."""
    runs = [match.span() for match in _TICKS.finditer(line)]
    following: dict[int, int] = {}
    last_of_length: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        length = runs[index][1] - runs[index][0]
        if length in last_of_length:
            following[index] = last_of_length[length]
        last_of_length[length] = index
    parts: list[str] = []
    position = index = 0
    while index < len(runs):
        closer = following.get(index)
        if closer is None:
            index += 1
            continue
        parts.append(line[position : runs[index][0]])
        position = runs[closer][1]
        index = closer + 1
    parts.append(line[position:])
    return "".join(parts)


def without_comments(text: str) -> str:
    """`text` without HTML comments (where PR templates keep their instructions); an unclosed one stays."""
    parts: list[str] = []
    position = 0
    while (start := text.find("<!--", position)) >= 0 and (end := text.find("-->", start + 4)) >= 0:
        parts.append(text[position:start])
        position = end + 3
    parts.append(text[position:])
    return "".join(parts)


def checked_boxes(text: str, headings: Sequence[re.Pattern[str]]) -> Iterator[tuple[str, bool]]:
    """Each ticked `- [x] label`, with whether it sits below a heading matching one of `headings`.

    A heading is a `#` line, a line in bold, or a question (a line ending in `?` that is no list item);
    the checkbox belongs to the nearest one above it.
    """
    under = False
    for line in text.split("\n"):
        box = _CHECKED.fullmatch(line)
        if box is not None:
            yield box[1].strip(), under
            continue
        title = _title(line)
        if title is not None:
            under = any(pattern.search(title) for pattern in headings)


def heading_answers(text: str, headings: Sequence[re.Pattern[str]]) -> Iterator[str]:
    """The answer written in words under each heading that matches one of `headings`: the first non-empty
    line below it, when that is no heading, question or checkbox (Apache's template asks "Was this patch
    authored or co-authored using generative AI tooling?" and the author writes "No"). A list marker is
    dropped from the answer."""
    under = False
    for line in text.split("\n"):
        title = _title(line)
        if title is not None:
            under = any(pattern.search(title) for pattern in headings)
        elif under and line.strip():
            under = False
            if _CHECKBOX.match(line) is None:
                item = _LIST_ITEM.match(line)
                yield line[item.end() if item else 0 :].strip()


def _title(line: str) -> str | None:
    """The text of a heading: a `#` line, a line in bold, or a question (a line ending in `?`, no list item)."""
    heading = _HEADING.fullmatch(line) or _BOLD_LINE.fullmatch(line)
    if heading is not None:
        return heading[2] or ""
    return line if line.rstrip().endswith("?") and not _LIST_ITEM.match(line) else None


def prompt_section(text: str) -> bool:
    """Whether `text` has a `## Prompt` heading (outside code) followed by some content before the next
    heading of the same or a higher level. HTML comments (a template's placeholder) are not content."""
    raw = text.replace("\r\n", "\n").split("\n")
    flat = plain_text(text).split("\n")
    for index, line in enumerate(flat):
        heading = _PROMPT_HEADING.fullmatch(line)
        if heading is None:
            continue
        content: list[str] = []
        for raw_line, flat_line in zip(raw[index + 1 :], flat[index + 1 :], strict=True):
            following = _HEADING.fullmatch(flat_line)
            if following is not None and len(following[1]) <= len(heading[1]):
                break
            content.append(raw_line)
        if without_comments("\n".join(content)).strip():
            return True
    return False
