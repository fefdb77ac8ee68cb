"""CODEOWNERS path patterns and files, with GitHub's semantics: compile, parse, report invalid lines, find owners.

Patterns follow gitignore minus what GitHub rejects (`!` negation, `[ ]` ranges, `\\#`); the rules and our
decisions where GitHub documents nothing are listed in docs/codeowners.md. Matching a path is a regex
`fullmatch`; `CodeOwners` indexes its rules so a large file answers thousands of paths quickly.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal

from ghapp.core.codeowners.index import OwnerIndex
from ghapp.core.errors import GhappError

MAX_BYTES = 3 * 1024 * 1024  # GitHub does not load a CODEOWNERS file of 3 MB or more at all
_STAR = "[^/]*"
_GLOBSTAR = "(?:.*/)?"  # `**` as a whole segment: zero or more directories
_USER = re.compile(r"@[A-Za-z0-9][A-Za-z0-9_-]*")
_TEAM = re.compile(r"@[A-Za-z0-9][A-Za-z0-9_-]*/[A-Za-z0-9_][A-Za-z0-9_.-]*")
_EMAIL = re.compile(r"[^@\s/]+@[^@\s/]+\.[^@\s/]+")
# Where GitHub looks for a repository's CODEOWNERS file, in its order: the first one found is used.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
_TOKEN = re.compile(r"(?:\\.|\\$|[^\s\\])+")  # whitespace splits tokens unless escaped (`\ ` in a path)
_SECTION = re.compile(r"\^?\[[^\]]*\](?:\[\d+\])?(?:\s|$)")  # GitLab `[Section]`, `^[Optional]`, `[Name][2]`


class PatternError(GhappError, ValueError):
    """A pattern uses syntax CODEOWNERS does not support; the message says which."""


@dataclass(frozen=True)
class PathPattern:
    """One compiled pattern. `parts` holds a regex per segment (None for a `**` segment); `literal` the leading
    segments that are plain names, after any leading `**` (an index narrows candidates with them); `source`
    the regex a path must fully match."""

    text: str
    anchored: bool  # matched from the repository root: a leading `/` or a `/` inside the pattern
    dir_only: bool  # a trailing `/` (or `/**`): only what lies inside a directory of that name
    parts: tuple[str | None, ...]
    literal: tuple[str, ...]
    source: str = field(repr=False)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """Compiled on first use: an index answers most plain-name rules without it."""
        return re.compile(self.source, re.DOTALL)

    def matches(self, path: str) -> bool:
        """Whether this pattern covers `path` (a file path relative to the repository root)."""
        return self.regex.fullmatch(path.lstrip("/")) is not None


@lru_cache(maxsize=4096)
def compile_pattern(text: str) -> PathPattern:
    """Compile a CODEOWNERS pattern; raises PatternError for syntax GitHub does not support."""
    if not text:
        raise PatternError("empty pattern")
    if text.startswith("!"):
        raise PatternError("negation (`!`) is not supported in CODEOWNERS")
    segments = _split(text)
    anchored = segments[0][1] == ""
    dir_only = len(segments) > 1 and segments[-1][1] == ""
    body = segments[int(anchored) : len(segments) - int(dir_only)]
    if not body:
        raise PatternError("the pattern `/` matches nothing")
    if any(shape == "" for _, shape, _ in body):
        raise PatternError("empty path segment (`//`)")
    anchored = anchored or len(body) > 1  # gitignore: a `/` inside the pattern anchors it too
    parts: list[str | None] = [None if shape == "**" else rx for rx, shape, _ in body]
    dirs_below = dir_only and parts[-1] is None  # `foo/**/`, `**/`: the directories (at any depth) only
    while parts and parts[0] is None:  # a leading `**/` matches in every directory
        parts.pop(0)
        anchored = False
    while parts and parts[-1] is None:  # a trailing `/**` is everything inside: the same as a trailing `/`
        parts.pop()
        dir_only = True
    if dirs_below:  # gitignore: what lies inside some directory below; a file directly in `foo/` is not
        parts.append(_STAR)
    parts = [p for i, p in enumerate(parts) if p is not None or parts[i - 1] is not None]
    literal: list[str] = []
    names = [(shape, name) for _, shape, name in body]
    while names[0][0] == "**" and len(names) > 1:
        names.pop(0)
    for shape, name in names:
        if "*" in shape or "?" in shape:
            break
        literal.append(name)
    return PathPattern(text, anchored, dir_only, tuple(parts), tuple(literal), _regex(parts, anchored, dir_only))


def _split(text: str) -> list[tuple[str, str, str]]:
    """Segments as (regex, shape, name): `shape` marks each unescaped wildcard as `*`/`?` and any other
    character as `l`; `name` is the unescaped text, meaningful when the segment has no wildcard."""
    segments: list[tuple[str, str, str]] = []
    rx: list[str] = []
    shape: list[str] = []
    name: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "/":
            segments.append((_segment(rx), "".join(shape), "".join(name)))
            rx, shape, name = [], [], []
        elif ch == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise PatternError("the pattern ends with a lone `\\`")
            if escaped in "#/":
                raise PatternError(f"escaping `{escaped}` with `\\` is not supported in CODEOWNERS")
            rx.append(re.escape(escaped))
            shape.append("l")
            name.append(escaped)
        elif ch in "[]":
            raise PatternError("character ranges (`[ ]`) are not supported in CODEOWNERS; write `\\[` for a bracket")
        elif ch == "*":
            if shape[-2:] == ["*", "*"]:
                raise PatternError("`***` is not a valid pattern; use `**`")
            if shape[-1:] != ["*"]:
                rx.append(_STAR)
            shape.append("*")
        else:
            rx.append("[^/]" if ch == "?" else re.escape(ch))
            shape.append("?" if ch == "?" else "l")
            name.append(ch)
    segments.append((_segment(rx), "".join(shape), "".join(name)))
    return segments


def _segment(tokens: list[str]) -> str:
    """One segment's regex from its tokens (`_STAR` for each run of `*`). With several stars, each chunk
    between two of them is matched at its first place and never reconsidered (an atomic group): the first
    place is always a right one, and without it `*a*a*a*...*b` backtracks exponentially on a long name."""
    stars = [i for i, token in enumerate(tokens) if token is _STAR]
    if len(stars) < 2:
        return "".join(tokens)
    out = "".join(tokens[: stars[0]])
    for start, end in itertools.pairwise(stars):
        out += f"(?>{_STAR}?{''.join(tokens[start + 1 : end])})"
    return out + "".join(tokens[stars[-1] :])


def _regex(parts: list[str | None], anchored: bool, dir_only: bool) -> str:
    if not parts:  # `**` alone: everything
        return ".*"
    out = [] if anchored else [_GLOBSTAR]
    for i, part in enumerate(parts):
        out.append(_GLOBSTAR if part is None else part if i == len(parts) - 1 else part + "/")
    if dir_only:
        out.append("/.*")
    elif parts[-1] != _STAR:
        out.append("(?:/.*)?")  # a name matches a directory too, and so everything below it
    # else: a last segment of exactly `*` matches one level only (GitHub: `docs/*` skips docs/a/b.md)
    return "".join(out)


@dataclass(frozen=True)
class CodeOwnersRule:
    """One valid line: a pattern and its owners (none: the line removes ownership)."""

    line: int
    pattern: PathPattern
    owners: tuple[str, ...]


@dataclass(frozen=True)
class CodeOwnersError:
    """An invalid line, skipped as GitHub skips it."""

    line: int
    message: str


class CodeOwners:
    """A parsed CODEOWNERS file: the last matching rule decides a path's owners."""

    def __init__(self, rules: tuple[CodeOwnersRule, ...], errors: tuple[CodeOwnersError, ...]) -> None:
        self.rules = rules
        self.errors = errors
        self._index = OwnerIndex([rule.pattern for rule in rules])

    def rule_for(self, path: str) -> CodeOwnersRule | None:
        """The rule that decides `path` (its line number explains the owners), or None."""
        found = self._index.last_match(path.lstrip("/"), {})
        return None if found < 0 else self.rules[found]

    def owners_of(self, path: str) -> tuple[str, ...]:
        """Owners of `path` as written in the file; empty when nobody owns it."""
        rule = self.rule_for(path)
        return () if rule is None else rule.owners

    def owners_for(self, paths: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Owners of many paths at once (directory names are matched once per call)."""
        cache: dict[str, tuple[int, int]] = {}
        result: dict[str, tuple[str, ...]] = {}
        for path in paths:
            found = self._index.last_match(path.lstrip("/"), cache)
            result[path] = () if found < 0 else self.rules[found].owners
        return result


def parse_codeowners(text: str) -> CodeOwners:
    """Parse a CODEOWNERS file. Invalid lines are skipped and reported, like GitHub's errors API."""
    if len(text.encode("utf-8", "surrogatepass")) >= MAX_BYTES:
        return CodeOwners((), (CodeOwnersError(0, "the file is 3 MB or larger; GitHub ignores all of it"),))
    rules: list[CodeOwnersRule] = []
    errors: list[CodeOwnersError] = []
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):  # `\r` goes with strip()
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            rules.append(_parse_line(number, line))
        except PatternError as exc:
            errors.append(CodeOwnersError(number, str(exc)))
    return CodeOwners(tuple(rules), tuple(errors))


def _parse_line(number: int, line: str) -> CodeOwnersRule:
    if _SECTION.match(line):
        header = line.split("]", 1)[0] + "]"
        raise PatternError(f"`{header}` is a GitLab section header, not GitHub CODEOWNERS syntax")
    tokens = _TOKEN.findall(line)
    comment = next((i for i, token in enumerate(tokens) if token.startswith("#")), len(tokens))
    pattern, *owners = tokens[:comment]
    if _USER.fullmatch(pattern) or _TEAM.fullmatch(pattern):
        raise PatternError(f"the line starts with the owner `{pattern}`; a path pattern must come first")
    compiled = compile_pattern(pattern)
    for owner in owners:
        if not (_USER.fullmatch(owner) or _TEAM.fullmatch(owner) or _EMAIL.fullmatch(owner)):
            raise PatternError(f"invalid owner `{owner}`: expected @user, @org/team or an email address")
    return CodeOwnersRule(number, compiled, tuple(owners))


def owner_kind(owner: str) -> Literal["user", "team", "email"]:
    """ "team" for `@org/team`, "user" for `@login`, "email" for an address (owners of a parsed file only)."""
    if owner.startswith("@"):
        return "team" if "/" in owner else "user"
    return "email"
