"""Who took part in making a pull request's change, and how: none of them approves it (separation of duties).

The roles: the PR's author; the authors and committers of its commits; the people named in its commits'
`Co-authored-by:` trailers (GitHub's `ID+login@users.noreply.github.com` and `login@users.noreply.github.com`
addresses name a login, other addresses are matched to the logins GitHub resolved for the commits); whoever
assigned the PR to an agent (the `assigned` events); and everyone who pushed to the PR's branch. Each role can
be allowed back per category by a policy key (`ROLE_KEYS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from ghapp.core.detection.trailers import parse_person
from ghapp.core.facts import Actor, Facts

Role = Literal["author", "commit_author", "committer", "co_author", "launcher", "pusher"]
ROLE_KEYS: dict[Role, str] = {  # the category key that lets a role's approvals count again
    "author": "allow_author",
    "commit_author": "allow_commit_authors",
    "committer": "allow_commit_authors",
    "co_author": "allow_co_authors",
    "launcher": "allow_launchers",
    "pusher": "allow_pushers",
}
ROLE_WORDS: dict[Role, str] = {
    "author": "is the author of the pull request",
    "commit_author": "authored or committed a commit of the pull request",
    "committer": "authored or committed a commit of the pull request",
    "co_author": "is named in a Co-authored-by trailer of a commit",
    "launcher": "assigned the pull request to an agent",
    "pusher": "pushed to the pull request's branch",
}
# GitHub's private commit addresses: `12345+login@users.noreply.github.com` and the older `login@...`
_NOREPLY = re.compile(r"(?:\d+\+)?([a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38})@users\.noreply\.github\.com")
_CO_AUTHOR = re.compile(r"[ \t]*co-authored-by[ \t]*:(.*)", re.IGNORECASE)


@dataclass(frozen=True)
class Participant:
    """A login (lower case) and every role it had in making the change."""

    login: str
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class Participation:
    """The people who took part, and the co-author addresses that name no GitHub account the App can tell."""

    people: tuple[Participant, ...] = ()
    unresolved: tuple[str, ...] = ()

    def roles(self, login: str) -> tuple[Role, ...]:
        return next((p.roles for p in self.people if p.login == login.lower()), ())


def is_bot(actor: Actor) -> bool:
    """A bot account: by its type, or by the `[bot]` its REST login carries."""
    return actor.type == "Bot" or actor.login.lower().endswith("[bot]")


def noreply_login(email: str) -> str | None:
    """The login a GitHub no-reply commit address names, or None for any other address."""
    match = _NOREPLY.fullmatch(email.strip().lower())
    return match[1] if match else None


def co_authors(message: str) -> tuple[tuple[str, str], ...]:
    """(name, lower-case email) of every `Co-authored-by:` line of a commit message.

    Every line counts, not only git's trailer block: a co-author written higher up still took part.
    """
    found = []
    for line in message.replace("\r\n", "\n").split("\n"):
        match = _CO_AUTHOR.fullmatch(line)
        if match:
            found.append(parse_person(match[1].strip()))
    return tuple(found)


def participation(
    facts: Facts,
    is_agent: Callable[[Actor], bool],
    is_ai_co_author: Callable[[str, str], bool] = lambda name, email: False,
) -> Participation:
    """Everyone who took part in `facts`' pull request. `is_agent` says whether an assignee is an AI agent
    (assigning a PR to one launches it). Bots and agents are listed too: the caller decides what to show.
    A co-author address naming no account is listed as unresolved unless `is_ai_co_author(name, email)`
    (`Claude <noreply@anthropic.com>` is a tool, not a person who could approve)."""
    roles: dict[str, list[Role]] = {}

    def add(login: str | None, role: Role) -> None:
        if login:
            kept = roles.setdefault(login.lower(), [])
            if role not in kept:
                kept.append(role)

    pr = facts.pull_request
    add(pr.author.login if pr else None, "author")
    known: dict[str, str] = {}  # email -> login, from the identities GitHub resolved for the commits
    for commit in facts.commits:
        add(commit.author.login, "commit_author")
        add(commit.committer.login, "committer")
        for person in (commit.author, commit.committer):
            if person.login and person.email:
                known.setdefault(person.email.lower(), person.login)
    unresolved: list[str] = []
    for commit in facts.commits:
        for name, email in co_authors(commit.message):
            login = noreply_login(email) or known.get(email)
            if login:
                add(login, "co_author")
            elif not is_ai_co_author(name, email):
                unresolved.append(f"{name} <{email}>" if email else name)
    for assignment in facts.assignments:
        if is_agent(assignment.assignee):
            add(assignment.assigner.login, "launcher")
    for pusher in facts.pushers:
        add(pusher.login, "pusher")
    people = tuple(Participant(login, tuple(kinds)) for login, kinds in roles.items())
    return Participation(people, tuple(_unique(unresolved)))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
