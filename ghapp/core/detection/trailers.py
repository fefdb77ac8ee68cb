"""Git trailers of a commit message, found the way `git interpret-trailers` finds them.

The trailer block is the message's last paragraph, never its first (the title). It counts when every line
in it is a `Key: value` trailer (or a continuation line that starts with whitespace), or when at least a
quarter of its lines are trailers and one of them is git-generated (`Signed-off-by:`, `(cherry picked from
commit ...)`). Keys are tokens of letters, digits and `-`; compare them case-insensitively, since both
`Co-Authored-By` and `Co-authored-by` are in the wild. Like `git log --format=%(trailers)`, a `---` line
is not a patch divider here: commit messages carry no patch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TRAILER = re.compile(r"([A-Za-z0-9-]+)[ \t]*:[ \t]*(.*)")
_GIT_GENERATED = ("signed-off-by:", "(cherry picked from commit ")
# one way to split, so a hostile value cannot make the match backtrack
_PERSON = re.compile(r"(?P<name>[^<>]*)<(?P<email>[^<>]*)>\s*")


@dataclass(frozen=True)
class Trailer:
    """One `Key: value` trailer; continuation lines are joined to the value with single spaces."""

    key: str
    value: str

    @property
    def lower_key(self) -> str:
        """The key as git compares it: lower-case."""
        return self.key.lower()

    def __str__(self) -> str:
        return f"{self.key}: {self.value}"


def parse_trailers(message: str) -> tuple[Trailer, ...]:
    """The trailers of `message`, in order; () when its last paragraph is not a trailer block."""
    lines = message.replace("\r\n", "\n").split("\n")
    title_end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    end = len(lines)
    while end > title_end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start > title_end and lines[start - 1].strip():
        start -= 1
    found: list[tuple[str, list[str]]] = []
    trailer_lines = other_lines = 0
    recognised = False
    current: list[str] | None = None
    for line in lines[start:end]:
        if line.startswith("#"):  # git ignores comment lines when it classifies the block
            continue
        if line[0] in " \t":
            if current is None:
                other_lines += 1
            else:
                current.append(line.strip())  # joined once at the end: appending to a string is quadratic
            continue
        recognised = recognised or line.lower().startswith(_GIT_GENERATED)
        match = _TRAILER.fullmatch(line.rstrip())
        if match is None:
            trailer_lines += line.startswith(_GIT_GENERATED[1])
            other_lines += not line.startswith(_GIT_GENERATED[1])
            current = None
            continue
        trailer_lines += 1
        current = [match[2].strip()]
        found.append((match[1], current))
    if other_lines and not (recognised and trailer_lines * 3 >= other_lines):
        return ()
    return tuple(Trailer(key, " ".join(part for part in parts if part)) for key, parts in found)


def parse_person(value: str) -> tuple[str, str]:
    """(name, lower-cased email) of a `Name <email>` trailer value; ("the value", "") when there is no `<...>`."""
    match = _PERSON.fullmatch(value)
    if match is None:
        return value.strip(), ""
    return match["name"].strip(), match["email"].strip().lower()
