"""Suggested changes from a tool's fixes: which of ruff's safe fixes can be offered on a pull request, and as
which review comments (a ```suggestion block replaces the lines a comment spans, so the App applies the
fixes to the head's own text and suggests the lines they change).

Fail closed: a fix is offered only when every line it touches is a line the PR added or changed (GitHub refuses
a comment outside the diff, and a suggestion elsewhere would rewrite code the PR did not write), every edit
lies inside the file and the edits do not overlap; a file with CR line endings or a byte order mark is left
alone (the tool's line and column numbers may not mean the same there). Fixes on one file form one comment,
unless lines the PR did not add lie between them or the span would grow past `MAX_SPAN` lines: then one
comment per stretch.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ghapp.core.decisions import Fix
from ghapp.core.facts import ChangedFile
from ghapp.core.gates.summary import cell

MARKER = "<!-- prompt-to-pr:suggestions -->"  # in the review's body: the App posted this head's suggestions
MAX_SPAN = 60  # lines one comment may span
MAX_COMMENTS = 50  # comments one review carries
MAX_BODY = 60_000  # characters of one comment (GitHub takes 65,536)
_TICKS = re.compile(r"`+")


@dataclass(frozen=True)
class Suggestion:
    """One review comment: replace lines `start_line`..`line` of `path` (the head) with `replacement`."""

    path: str
    start_line: int
    line: int
    replacement: str
    fixes: tuple[Fix, ...]

    @property
    def body(self) -> str:
        fence = "`" * max(3, 1 + max((len(m) for m in _TICKS.findall(self.replacement)), default=0))
        listed = "\n".join(f"- {cell(f.rule, 40)}: {cell(f.message or f.rule)} (line {f.line})" for f in self.fixes)
        block = f"{fence}suggestion\n{self.replacement}\n{fence}" if self.replacement else f"{fence}suggestion\n{fence}"
        return f"ruff can fix this (safe fixes only):\n{listed}\n\n{block}"


@dataclass(frozen=True)
class _Placed:
    fix: Fix
    spans: tuple[tuple[int, int, str], ...]  # (start offset, end offset, content), in offset order
    first: int
    last: int


class _Text:
    """A file's text with its line starts; rows and columns 1-based, columns in code points."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)
        # a text ending in a newline has an empty last "row" after it, which GitHub shows as no line at all
        self.real_lines = len(self.lines) - 1 if text.endswith("\n") else len(self.lines)

    def offset(self, row: int, column: int) -> int | None:
        if not 1 <= row <= len(self.lines) or not 1 <= column <= len(self.lines[row - 1]) + 1:
            return None
        return self.starts[row - 1] + column - 1

    def end_of(self, row: int) -> int:
        """Where line `row` ends, its newline included."""
        return self.starts[row] if row < len(self.lines) else len(self.text)


def _place(fix: Fix, text: _Text, added: frozenset[int]) -> _Placed | None:
    spans: list[tuple[int, int, str]] = []
    first, last = None, None
    for edit in fix.edits:
        start, end = text.offset(edit.line, edit.column), text.offset(edit.end_line, edit.end_column)
        if start is None or end is None or end < start:
            return None
        spans.append((start, end, edit.content))
        # an edit ending at the start of a line leaves that line alone
        to = edit.end_line - 1 if edit.end_column == 1 and edit.end_line > edit.line else edit.end_line
        first = edit.line if first is None else min(first, edit.line)
        last = to if last is None else max(last, to)
    if first is None or last is None or last > text.real_lines:
        return None
    if any(line not in added for line in range(first, last + 1)):
        return None
    spans.sort()
    if _overlap(spans):
        return None
    return _Placed(fix, tuple(spans), first, last)


def _overlap(spans: Sequence[tuple[int, int, str]]) -> bool:
    """Edits that overlap, or two that start at the same place (their order would be a guess)."""
    return any(b[0] < a[1] or b[0] == a[0] for a, b in itertools.pairwise(spans))


def _clashes(starts: Sequence[int], ends: Sequence[int], begin: int, end: int) -> bool:
    """Whether the edit at [begin, end) overlaps, or starts where, one already taken does."""
    at = bisect.bisect_left(starts, begin)
    before = at > 0 and ends[at - 1] > begin
    after = at < len(starts) and (starts[at] < end or starts[at] == begin)
    return before or after


def _apply(text: str, start: int, spans: Sequence[tuple[int, int, str]]) -> str:
    for begin, end, content in sorted(spans, reverse=True):
        text = text[: begin - start] + content + text[end - start :]
    return text


def _comment(path: str, text: _Text, group: Sequence[_Placed]) -> Suggestion | None:
    first, last = group[0].first, max(p.last for p in group)
    start, end = text.starts[first - 1], text.end_of(last)
    old = text.text[start:end]
    new = _apply(old, start, [span for placed in group for span in placed.spans])
    if new == old or old.endswith("\n") != (new.endswith("\n") or not new):
        return None  # nothing changes, or the fix joins these lines with the next: not a line suggestion
    replacement = new.removesuffix("\n") if old.endswith("\n") else new
    suggestion = Suggestion(path, first, last, replacement, tuple(p.fix for p in group))
    return suggestion if len(suggestion.body) <= MAX_BODY else None


def _groups(placed: Sequence[_Placed], added: frozenset[int]) -> list[list[_Placed]]:
    """Fixes in line order, taken while they fit beside those taken; then in stretches of added lines."""
    taken: list[_Placed] = []
    starts: list[int] = []  # the taken edits' spans, by start
    ends: list[int] = []
    for candidate in sorted(placed, key=lambda p: (p.first, p.last, p.spans, p.fix.rule)):
        if any(_clashes(starts, ends, begin, end) for begin, end, _ in candidate.spans):
            continue
        taken.append(candidate)
        for begin, end, _ in candidate.spans:
            at = bisect.bisect_left(starts, begin)
            starts.insert(at, begin)
            ends.insert(at, end)
    groups: list[list[_Placed]] = []
    for item in taken:
        if groups:
            group = groups[-1]
            end = max(p.last for p in group)
            between = range(end + 1, item.first)
            if all(line in added for line in between) and max(end, item.last) - group[0].first < MAX_SPAN:
                group.append(item)
                continue
        groups.append([item])
    return groups


def suggest(
    fixes: Sequence[Fix],
    files: Sequence[ChangedFile],
    texts: Mapping[str, str],
    *,
    ignore: Collection[str] = (),
) -> tuple[Suggestion, ...]:
    """The review comments for the safe `fixes` (rules in `ignore` left out) on the PR's `files`, given the
    head's text of each file (`texts`); at most `MAX_COMMENTS`, in path and line order."""
    by_path = {f.path: f for f in files if f.status != "removed"}
    found: list[Suggestion] = []
    for path in sorted({fix.path for fix in fixes}):
        changed, raw = by_path.get(path), texts.get(path)
        if changed is None or raw is None or "\r" in raw or raw.startswith("\ufeff"):
            continue
        text = _Text(raw)
        wanted = [f for f in fixes if f.path == path and f.applicability == "safe" and f.rule not in ignore]
        placed = [p for f in wanted if (p := _place(f, text, changed.added_lines)) is not None]
        for group in _groups(placed, changed.added_lines):
            comment = _comment(path, text, group)
            if comment is not None:
                found.append(comment)
    return tuple(found[:MAX_COMMENTS])


def review_body(suggestions: Sequence[Suggestion], head_sha: str) -> str:
    """The review's own text: what it offers, and the marker that says this head has had its suggestions."""
    files = len({s.path for s in suggestions})
    return (
        f"ruff offers safe fixes for {files} file{'s' if files != 1 else ''} of this head ({head_sha[:12]}): "
        'each comment below is a suggested change, applied with "Commit suggestion". The fixes change nothing '
        "the checks decide.\n\n" + MARKER
    )
