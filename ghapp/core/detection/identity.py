"""Who a person or an account is, for detection: the AI tool an identity names (by login, account id, address
or name), and automation that is not AI (dependabot, renovate, ...)."""

from __future__ import annotations

import re

from ghapp.core.detection.signals import IdentityRule, SignalTable
from ghapp.core.facts import Person, PullRequest

# GitHub's private-email address; the number is the account id, stable when the account is renamed
_NOREPLY = re.compile(r"(\d+)\+([a-z0-9-]+(?:\[bot\])?)@users\.noreply\.github\.com")


def is_automation_author(table: SignalTable, pr: PullRequest) -> bool:
    """Whether automation that is not AI (dependabot, renovate, ...) opened the pull request."""
    bot = pr.author.type == "Bot" or pr.author.login.lower().endswith("[bot]")
    return bool(login_keys(pr.author.login, bot) & table.non_ai.logins or pr.author.id in table.non_ai.github_ids)


def identity(
    table: SignalTable, logins: frozenset[str], bot: bool, account_id: int | None, *, email: str = "", name: str = ""
) -> tuple[IdentityRule, bool] | None:
    """The first identity matching, and whether it matched on a login (stronger than an address).

    A Bot account no entry names is matched last against the entries' `bot_patterns` (by its login, or the
    `<id>+<login>[bot]@users.noreply.github.com` address it commits with), unless it is known automation.
    """
    noreply = _NOREPLY.fullmatch(email.lower())
    ids = {i for i in (account_id, int(noreply[1]) if noreply else None) if i is not None}
    # the login an address names: an agent run as a workflow commits as `<the workflow token's id>+<its own
    # login>@users.noreply.github.com` (`41898282+claude[bot]@…`: github-actions' id, Claude's name)
    named = {noreply[2]} if noreply else set()
    for rule in table.identities:
        if rule.logins & logins and (bot or not rule.bot_only):
            return rule, True
        if rule.github_ids & ids:  # a PR author's own id counts like its login
            return rule, account_id is not None
        if rule.logins & named and (any(n.endswith("[bot]") for n in named) or not rule.bot_only):
            return rule, False
        if email.lower() in rule.emails or (name and any(p.search(name) for p in rule.names)):
            return rule, False
    bots = {login for login in logins if bot and login.endswith("[bot]")}
    if noreply and noreply[2].endswith("[bot]"):
        bots.add(noreply[2])
    if bots & table.non_ai.logins or ids & table.non_ai.github_ids:
        return None
    for rule in table.identities:
        if any(p.search(login) for p in rule.bot_patterns for login in bots):
            return rule, bool(logins & bots)
    return None


def is_automation(table: SignalTable, person: Person) -> bool:
    keys = {(person.login or "").lower(), person.name.strip().lower()} - {""}
    noreply = _NOREPLY.fullmatch(person.email.lower())
    return bool(
        keys & table.non_ai.logins
        or person.email.lower() in table.non_ai.emails
        or (noreply and int(noreply[1]) in table.non_ai.github_ids)
    )


def login_keys(login: str, bot: bool) -> frozenset[str]:
    key = login.strip().lower()
    if key.startswith("app/"):  # GraphQL names GitHub App accounts `app/<slug>`
        key = key[4:] + "[bot]"
    # GraphQL also drops the `[bot]` suffix that REST logins of App accounts carry
    return frozenset({key, key + "[bot]"} if bot and not key.endswith("[bot]") else {key})
