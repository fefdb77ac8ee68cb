"""Cuts prose into the sentences that statement rules read, each short enough to bound a pattern's work.

A statement rule ("This PR was implemented with Claude Opus", "No AI tools were used") reads one sentence
at a time. Sentences end at a line end, or at `.`, `!` or `?` before white space; one longer than
SENTENCE_MAX characters is read in pieces of that size. However a statement pattern backtracks, it never
sees more than SENTENCE_MAX characters, so the work on a text grows linearly with its length. Questions
("Did you use AI tools?") state nothing, quoted words are someone else's (a template's question quoted in
a PR about templates), and checkbox lines and trailer lines (`Co-authored-by: …`) are the checkbox and
trailer rules' to read: all are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["SENTENCE_MAX", "sentences"]

SENTENCE_MAX = 300
_BOX = re.compile(r"[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[[ xX]\]")
_TRAILER = re.compile(r"[ \t]*[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+[ \t]*:")
_CLOSING_QUOTES = "\"'\u201d\u2019"
_END = re.compile(rf"[.!?]+[{_CLOSING_QUOTES}]?(?=\s)")
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")


def sentences(text: str) -> Iterator[str]:
    """The sentences of `text` (plain text: code and quotes already removed), stripped, none empty."""
    for line in text.split("\n"):
        if _BOX.match(line) or _TRAILER.match(line):
            continue
        prose = _QUOTED.sub('""', line)
        start = 0
        for end in _END.finditer(prose):
            yield from _pieces(prose[start : end.end()])
            start = end.end()
        yield from _pieces(prose[start:])


def _pieces(sentence: str) -> Iterator[str]:
    sentence = sentence.strip()
    if sentence and not sentence.rstrip(_CLOSING_QUOTES).endswith("?"):
        for start in range(0, len(sentence), SENTENCE_MAX):
            yield sentence[start : start + SENTENCE_MAX]
