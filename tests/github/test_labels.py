"""The App's verdict labels follow the AI verdict: created once with their colours, added, removed when stale;
one a person added by hand stays and is read as their judgement; an org can name them."""

from __future__ import annotations

import asyncio

import pytest

from ghapp.core.decisions import Verdict
from ghapp.core.facts import HandLabel
from ghapp.core.policy.model import LabelSettings
from ghapp.github.labels import LabelSync, hand_labels, wanted_labels
from tests.ghsim import GitHubSim


@pytest.mark.parametrize(
    ("verdict", "labels"),
    [
        (Verdict("ai", ("claude", "copilot")), {"ai-generated", "ai:claude", "ai:copilot"}),
        (Verdict("contradictory", ("codex",)), {"ai-generated", "ai:codex"}),
        (Verdict("suspected", ("cursor",)), {"ai-suspected", "ai:cursor"}),
        (Verdict("human"), set()),
        (Verdict("attested_human"), set()),
    ],
)
def test_wanted_labels(verdict: Verdict, labels: set[str]) -> None:
    assert wanted_labels(verdict) == labels


def test_labels_are_kept_in_sync_and_others_left_alone(ghsim_inprocess: GitHubSim) -> None:
    sim = ghsim_inprocess
    sim.state.create_installation("acme")
    sim.state.create_repo("acme/payments")
    pull = sim.state.create_pull("acme/payments", user="alice")
    issue = sim.state.repo("acme/payments").issues[pull.number]
    sync = LabelSync()

    def run(verdict: Verdict) -> None:
        async def main() -> None:
            async with sim.github_app() as app:
                api = app.installation(next(iter(sim.state.installations)))
                await sync.sync(api, "acme", "payments", pull.number, current=list(issue.labels), verdict=verdict)

        asyncio.run(main())

    issue.labels.append("bug")
    run(Verdict("ai", ("claude",)))
    assert sorted(issue.labels) == ["ai-generated", "ai:claude", "bug"]
    assert sim.state.repo("acme/payments").labels["ai-generated"] == "d93f0b"
    run(Verdict("ai", ("claude",)))
    assert len(sim.state.requests("POST", r"/labels$")) == 2 + 1  # two created, one add; nothing the 2nd time
    run(Verdict("suspected", ("codex",)))  # a force-push removed the strong signals
    assert sorted(issue.labels) == ["ai-suspected", "ai:codex", "bug"]
    run(Verdict("unknown"))  # not judged: left alone
    assert sorted(issue.labels) == ["ai-suspected", "ai:codex", "bug"]
    run(Verdict("human"))
    assert issue.labels == ["bug"]


NAMED = LabelSettings(ai="written-by-ai", suspected="maybe-ai", tool_prefix="")
DEFAULT = LabelSettings()


@pytest.mark.parametrize(
    ("verdict", "labels"),
    [
        (Verdict("ai", ("claude",)), {"written-by-ai"}),
        (Verdict("suspected", ("cursor",)), {"maybe-ai"}),
        (Verdict("attested_human"), set()),
    ],
)
def test_an_org_names_the_labels(verdict: Verdict, labels: set[str]) -> None:
    assert wanted_labels(verdict, NAMED) == labels
    assert NAMED.owns("written-by-ai") and not NAMED.owns("ai-generated") and not NAMED.owns("ai:claude")
    assert NAMED.meaning("written-by-ai") == ("ai", None) and NAMED.meaning("maybe-ai") == ("suspected", None)
    assert LabelSettings().meaning("ai:claude") == ("ai", "claude") and LabelSettings().meaning("ai:") == ("ai", None)
    assert LabelSettings().wanted(Verdict("ai", ("x" * 60,))) == {"ai-generated", "ai:" + "x" * 47}


def test_a_label_a_person_added_is_never_removed_and_is_read_as_their_judgement(ghsim_inprocess: GitHubSim) -> None:
    sim = ghsim_inprocess
    sim.state.create_installation("acme")
    sim.state.create_repo("acme/payments")
    pull = sim.state.create_pull("acme/payments", user="alice")
    issue = sim.state.repo("acme/payments").issues[pull.number]
    sync = LabelSync()

    def run(verdict: Verdict, settings: LabelSettings = DEFAULT) -> tuple[HandLabel, ...]:
        async def main() -> tuple[HandLabel, ...]:
            async with sim.github_app() as app:
                api = app.installation(next(iter(sim.state.installations)))
                hand = await hand_labels(api, "acme", "payments", pull.number, list(issue.labels), settings=settings)
                await sync.sync(
                    api,
                    "acme",
                    "payments",
                    pull.number,
                    current=list(issue.labels),
                    verdict=verdict,
                    settings=settings,
                    keep=[label.name for label in hand],
                )
                return hand

        return asyncio.run(main())

    assert run(Verdict("ai", ("claude",))) == ()  # none present yet: GitHub is not asked
    assert not sim.state.requests("GET", r"/events$")
    assert run(Verdict("ai", ("claude",))) == ()  # present, but the App added them
    sim.state.label_by_hand("acme/payments", pull.number, "ai-suspected", "maria")
    assert run(Verdict("human")) == (HandLabel("ai-suspected", "suspected", None, "@maria"),)
    assert issue.labels == ["ai-suspected"]  # the App's own are gone, the maintainer's stays
    sim.state.label_by_hand("acme/payments", pull.number, "ai:claude", "maria")  # the App removed it; a person adds it
    assert run(Verdict("human")) == (
        HandLabel("ai-suspected", "suspected", None, "@maria"),
        HandLabel("ai:claude", "ai", "claude", "@maria"),
    )
    assert sorted(issue.labels) == ["ai-suspected", "ai:claude"]
    issue.labels.append("ai-generated")  # on the PR, but no event says who added it: the App cannot tell
    hand = run(Verdict("human"))
    assert HandLabel("ai-generated", "ai", None, "") in hand and "ai-generated" in issue.labels
    assert run(Verdict("ai", ()), NAMED) == ()  # under other names the defaults are ordinary labels
    assert "written-by-ai" in issue.labels and sim.state.repo("acme/payments").labels["written-by-ai"] == "d93f0b"
