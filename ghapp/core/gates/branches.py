"""Which base branches a gate or a sensitive category governs (`branches:` in the policy)."""

from __future__ import annotations

import fnmatch


def governs(branches: tuple[str, ...], base: str | None) -> bool:
    """Whether `branches` (names or fnmatch globs, case-sensitive; () is every branch) cover the base branch
    `base`. An unknown base (None or "") is covered: a rule scoped by branch fails closed."""
    return not branches or not base or any(fnmatch.fnmatchcase(base, pattern) for pattern in branches)
