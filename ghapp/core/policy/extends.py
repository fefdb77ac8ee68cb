"""`_extends`: the policy file a layer is laid over, in Probot's grammar, with its loop and depth rules.

`_extends: base` is `base` under the same owner at the same path; `other-org/base` another owner;
`base:.github/policies/strict.yml` another path (a `.yml` or `.yaml` file). The shell fetches each named
file (from its default branch) and asks `ExtendsChain.follow` where to go next; this module does no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ghapp.core.policy.load import Layer
from ghapp.core.policy.located_yaml import Mark, PolicyError, PolicyIssue
from ghapp.core.policy.schema import EXTENDS_PATTERN

MAX_DEPTH = 5  # how many `_extends` hops a chain may take
_EXTENDS = re.compile(EXTENDS_PATTERN, re.IGNORECASE)


class ExtendsError(PolicyError):
    """`_extends` is malformed, loops, or goes too deep; `issue` places it in the file when known."""

    def __init__(self, message: str, issue: PolicyIssue | None = None) -> None:
        super().__init__(str(issue) if issue else message)
        self.issue = issue


@dataclass(frozen=True)
class ExtendsRef:
    """A policy file on another repository's default branch."""

    owner: str
    repo: str
    path: str

    def __str__(self) -> str:
        return f"{self.owner}/{self.repo}:{self.path}"

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity for loop detection: GitHub owner and repository names ignore case, paths do not."""
        return self.owner.lower(), self.repo.lower(), self.path


def parse_extends(value: str, owner: str, path: str) -> ExtendsRef:
    """Read an `_extends` value written in a file of `owner` at `path` (the defaults for what it omits)."""
    match = _EXTENDS.match(value.strip())
    if match is None:
        raise ExtendsError(f"_extends: {value!r} must be repo, owner/repo, repo:path.yml or owner/repo:path.yml")
    return ExtendsRef(match[1] or owner, match[2], match[3] or path)


@dataclass(frozen=True)
class ExtendsChain:
    """The files visited so far, starting with the repository's own file."""

    refs: tuple[ExtendsRef, ...]
    max_depth: int = MAX_DEPTH

    @classmethod
    def start(cls, ref: ExtendsRef, max_depth: int = MAX_DEPTH) -> ExtendsChain:
        return cls((ref,), max_depth)

    @property
    def last(self) -> ExtendsRef:
        return self.refs[-1]

    def follow(self, layer: Layer) -> ExtendsChain | None:
        """The chain extended by `layer`'s `_extends` (`layer` is the file at `last`); None when it has none."""
        if layer.extends is None:
            return None
        mark = layer.extends_mark or Mark(layer.source, 1, 1)
        try:
            ref = parse_extends(layer.extends, self.last.owner, self.last.path)
        except ExtendsError as exc:
            raise ExtendsError(str(exc), mark.issue(str(exc))) from exc
        if ref.key in {seen.key for seen in self.refs}:
            route = " -> ".join(str(seen) for seen in (*self.refs, ref))
            raise ExtendsError("", mark.issue(f"_extends: Recursion detected: {route}"))
        if len(self.refs) > self.max_depth:
            raise ExtendsError(
                "", mark.issue(f"_extends: more than {self.max_depth} files extend one another; stopped at {ref}")
            )
        return ExtendsChain((*self.refs, ref), self.max_depth)

    def missing(self, layer: Layer) -> PolicyIssue:
        """The issue to report when the file `layer` extends (this chain's `last`) does not exist or is unreadable."""
        mark = layer.extends_mark or Mark(layer.source, 1, 1)
        return mark.issue(f"_extends: {self.last} does not exist or the App cannot read it")


def merge_order(chains: Iterable[ExtendsChain]) -> tuple[ExtendsRef, ...]:
    """Files to merge, base first: each chain deepest file first (pass the org file's chain, then the
    repository's); a file already placed keeps its first, lower place."""
    order: list[ExtendsRef] = []
    seen: set[tuple[str, str, str]] = set()
    for chain in chains:
        for ref in reversed(chain.refs):
            if ref.key not in seen:
                seen.add(ref.key)
                order.append(ref)
    return tuple(order)
