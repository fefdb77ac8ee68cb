"""An index over compiled CODEOWNERS patterns that finds the last pattern matching a path without trying them all.

Three kinds of pattern, each looked up its own way; the answer is the highest rule number any of them gives:
- anchored patterns starting with plain names sit in a trie of those names: a path walks down its own
  segments, so only the handful of rules under its directories are tried (a plain-name rule needs no regex);
- a single floating segment (`*.js`, `apps/`, `**/logs`) matches when some segment of the path matches it,
  so each distinct directory or file name is tried once per call against one combined regex;
- floating patterns of several segments starting with a plain name (`**/a/b*`) are grouped by that name and
  tried only on paths with a directory of that name;
- anything else (`*/x`, `**`) is tried against the whole path, again as one combined regex.
A combined regex lists its rules newest first, so the alternative that matches is the last matching line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ghapp.core.codeowners.patterns import PathPattern


class _Group:
    """Several regexes tried in one call; `best` is the highest rule number among those that match."""

    __slots__ = ("order", "regex", "top")

    def __init__(self, members: list[tuple[int, str]]) -> None:
        members.sort(reverse=True)
        self.order = [number for number, _ in members]
        self.top = self.order[0]
        alternatives = "|".join(f"({source})" for _, source in members)
        self.regex = re.compile(f"(?:{alternatives})\\Z", re.DOTALL)

    def best(self, text: str) -> int:
        found = self.regex.match(text)
        return -1 if found is None or found.lastindex is None else self.order[found.lastindex - 1]


class _Node:
    __slots__ = ("any", "children", "dirs", "pending", "wild")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.any = -1  # latest plain-name rule ending here: the path itself or anything below it
        self.dirs = -1  # latest plain-name rule ending here with a trailing `/`: only below it
        self.pending: list[tuple[int, str]] = []
        self.wild: _Group | None = None


def _group(members: list[tuple[int, str]]) -> _Group | None:
    return _Group(members) if members else None


class OwnerIndex:
    """`last_match(path, cache)` returns the index of the last pattern matching `path`, or -1."""

    def __init__(self, patterns: Sequence[PathPattern]) -> None:
        self._root = _Node()
        floating: list[tuple[int, str]] = []
        floating_dirs: list[tuple[int, str]] = []
        general: list[tuple[int, str]] = []
        nodes: list[_Node] = []
        floating_named: dict[str, list[tuple[int, str]]] = {}
        for number, pattern in enumerate(patterns):
            if pattern.anchored and pattern.literal:
                node = self._root
                for name in pattern.literal:
                    node = node.children.setdefault(name, _Node())
                if len(pattern.literal) < len(pattern.parts):
                    node.pending.append((number, pattern.source))
                    nodes.append(node)
                elif pattern.dir_only:
                    node.dirs = number
                else:
                    node.any = number
            elif not pattern.anchored and len(pattern.parts) == 1:
                segment = pattern.parts[0]
                assert segment is not None  # compile_pattern never leaves a lone `**` segment
                (floating_dirs if pattern.dir_only else floating).append((number, segment))
            elif pattern.literal:  # floating, several segments: the path needs a directory named literal[0]
                floating_named.setdefault(pattern.literal[0], []).append((number, pattern.source))
            else:
                general.append((number, pattern.source))
        for node in nodes:
            if node.pending:
                node.wild = _Group(node.pending)
                node.pending = []
        self._floating = _group(floating)
        self._floating_dirs = _group(floating_dirs)
        self._floating_top = max([-1] + [number for number, _ in floating + floating_dirs])
        self._named = {name: _Group(members) for name, members in floating_named.items()}
        self._general = _group(general)

    def last_match(self, path: str, cache: dict[str, tuple[int, int]]) -> int:
        """`cache` maps a segment to its best floating rules (any position, directory only); reuse it across
        paths of one call to match each directory name once."""
        segments = path.split("/")
        last = len(segments) - 1
        best = -1
        node = self._root
        for depth, name in enumerate(segments):
            child = node.children.get(name)
            if child is None:
                break
            node = child
            best = max(best, node.any, node.dirs if depth < last else -1)
            if node.wild is not None and node.wild.top > best:
                best = max(best, node.wild.best(path))
        if self._floating_top > best:
            for depth, name in enumerate(segments):
                hit = cache.get(name)
                if hit is None:
                    hit = cache[name] = (self._best(self._floating, name), self._best(self._floating_dirs, name))
                best = max(best, hit[0], hit[1] if depth < last else -1)
        for name in set(segments[:-1]).intersection(self._named):
            group = self._named[name]
            if group.top > best:
                best = max(best, group.best(path))
        if self._general is not None and self._general.top > best:
            best = max(best, self._general.best(path))
        return best

    @staticmethod
    def _best(group: _Group | None, text: str) -> int:
        return -1 if group is None else group.best(text)
