"""Required approvals for sensitive categories (secrets, billing, auth, ...): who must approve the current head."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ApprovalRule:
    """One sensitive category as the policy states it.

    `users` are logins (no `@`), `teams` are `org/team`; an approval by any of them counts toward `count`
    distinct approvers. With `codeowners`, the CODEOWNERS owners of the matched files count too.
    Each team in `all_of` must additionally approve (one member each).
    """

    category: str
    patterns: tuple[str, ...]
    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    codeowners: bool = False
    count: int = 1
    all_of: tuple[str, ...] = ()
    allow_author: bool = False
    allow_commit_authors: bool = False
    allow_bots: bool = False
    applies_to: Literal["ai", "all"] = "ai"
    stale_on_change: bool = True
