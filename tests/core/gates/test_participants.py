"""Who took part in a change: no-reply addresses, Co-authored-by lines, launchers, pushers, and their roles."""

from __future__ import annotations

import pytest

from ghapp.core.facts import Actor, Assignment, Commit, Facts, Person, PullRequest
from ghapp.core.gates.participants import Participant, co_authors, noreply_login, participation


@pytest.mark.parametrize(
    ("email", "login"),
    [
        ("12345+octocat@users.noreply.github.com", "octocat"),
        ("octocat@users.noreply.github.com", "octocat"),  # the address GitHub gave before 2017
        ("  4175913+Pelikhan@Users.NoReply.GitHub.com ", "pelikhan"),
        ("175728472+Copilot@users.noreply.github.com", "copilot"),
        ("octocat@example.com", None),
        ("12345+octocat@users.noreply.github.com.evil.example", None),  # the whole address must match
        ("x+octocat@users.noreply.github.com", None),  # the prefix is a numeric id
        ("-bad@users.noreply.github.com", None),  # not a GitHub login
        ("noreply@github.com", None),
        ("", None),
    ],
)
def test_noreply_login(email: str, login: str | None) -> None:
    assert noreply_login(email) == login


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Fix\n\nCo-authored-by: Ann <ann@example.com>", (("Ann", "ann@example.com"),)),
        (
            "Fix\n\nCO-AUTHORED-BY:Ann <Ann@Example.com>\nco-authored-by: Bo <1+bo@users.noreply.github.com>",
            (("Ann", "ann@example.com"), ("Bo", "1+bo@users.noreply.github.com")),
        ),
        # not in the trailer block (a paragraph follows): it still names someone who took part
        ("Fix\n\nCo-authored-by: Ann <ann@example.com>\n\nMore text.", (("Ann", "ann@example.com"),)),
        ("Fix\r\n\r\nCo-authored-by: Ann <ann@example.com>\r\n", (("Ann", "ann@example.com"),)),
        ("Fix\n\nCo-authored-by: just a name", (("just a name", ""),)),
        ("Fix\n\nSigned-off-by: Ann <ann@example.com>", ()),
        ("Fix: Co-authored-by: Ann <ann@example.com> inside a line", ()),
    ],
)
def test_co_authors(message: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert co_authors(message) == expected


def _is_agent(actor: Actor) -> bool:
    return actor.type == "Bot"


def test_every_role_is_collected_once_per_person() -> None:
    alice = Person("Alice", "alice@corp.example", "Alice")
    facts = Facts(
        pull_request=PullRequest(1, Actor("copilot-swe-agent[bot]", "Bot")),
        commits=(
            Commit("a", "Work\n\nCo-authored-by: Pat <77+pat@users.noreply.github.com>", alice, alice),
            Commit(
                "b",
                "More\n\nCo-authored-by: A <ALICE@corp.example>\nCo-authored-by: Zed <zed@x.example>",
                Person("Bot", "bot@x.example"),
                Person("GitHub", "noreply@github.com", "web-flow"),
            ),
        ),
        assignments=(Assignment(Actor("Copilot", "Bot"), Actor("lead")), Assignment(Actor("bob"), Actor("eve"))),
        pushers=(Actor("Pat"), Actor("alice"), Actor("pat")),  # pushed twice: one role
    )
    found = participation(facts, _is_agent)
    assert found.people == (
        Participant("copilot-swe-agent[bot]", ("author",)),
        Participant("alice", ("commit_author", "committer", "co_author", "pusher")),
        Participant("web-flow", ("committer",)),
        Participant("pat", ("co_author", "pusher")),
        Participant("lead", ("launcher",)),
    )
    assert found.unresolved == ("Zed <zed@x.example>",)
    assert found.roles("ALICE") == ("commit_author", "committer", "co_author", "pusher")
    assert found.roles("eve") == ()


def test_no_pull_request_and_no_commits_means_nobody() -> None:
    assert participation(Facts(), _is_agent).people == ()
