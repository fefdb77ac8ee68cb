"""The App's verdict labels follow the AI verdict: added by name (GitHub creates a missing one, grey), given
their colours once GitHub created them, removed when stale; one a person added by hand stays and is read as
their judgement; an org can name them."""

from __future__ import annotations

import asyncio

import pytest

from ghapp.core.decisions import Verdict
from ghapp.core.facts import HandLabel
from ghapp.core.policy.model import LabelSettings
from ghapp.github.labels import LabelSync, dress_added, hand_labels, wanted_labels
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
    assert sim.state.repo("acme/payments").labels["ai-generated"] == "ededed"  # GitHub created it; dressed later
    run(Verdict("ai", ("claude",)))
    assert len(sim.state.requests("POST", r"/labels$")) == 1  # one add, nothing created first; nothing the 2nd time
    assert not sim.state.requests("PATCH", r"/labels/")
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


def test_a_label_github_created_is_dressed_once_from_the_apps_own_labeled_delivery(ghsim_inprocess: GitHubSim) -> None:
    sim = ghsim_inprocess
    sim.state.create_installation("acme")
    sim.state.create_repo("acme/payments")
    pull = sim.state.create_pull("acme/payments", user="alice")
    repo = sim.state.repo("acme/payments")
    repo.labels["ai-suspected"] = "123456"  # someone's own look: left as it is

    async def main() -> list[bool]:
        async with sim.github_app() as app:
            api = app.installation(next(iter(sim.state.installations)))
            await LabelSync().sync(api, "acme", "payments", pull.number, current=[], verdict=Verdict("ai", ("claude",)))
            done = []
            for name in ("ai-generated", "ai:claude", "ai-generated", "bug"):  # the deliveries' labels, read again
                label = sim.payloads.pull_request("acme/payments", pull.number, "labeled", label=name)["label"]
                done.append(await dress_added(api, "acme", "payments", label))
            label = sim.payloads.pull_request("acme/payments", pull.number, "labeled", label="ai-suspected")["label"]
            done.append(await dress_added(api, "acme", "payments", label))
            return done

    assert asyncio.run(main()) == [True, True, False, False, False]
    assert (repo.labels["ai-generated"], repo.label_descriptions["ai-generated"]) == (
        "d93f0b",
        "Written with an AI tool (prompt-to-pr)",
    )
    claude = (repo.labels["ai:claude"], repo.label_descriptions["ai:claude"])
    assert claude == ("5319e7", "Written with claude (prompt-to-pr)")
    assert repo.labels["ai-suspected"] == "123456"
    assert len(sim.state.requests("PATCH", r"/labels/")) == 2


def test_a_label_the_org_named_is_dressed_at_once(ghsim_inprocess: GitHubSim) -> None:
    """A `labeled` delivery cannot tell the org's own name for a verdict label from anyone's label."""
    sim = ghsim_inprocess
    sim.state.create_installation("acme")
    sim.state.create_repo("acme/payments")
    pull = sim.state.create_pull("acme/payments", user="alice")
    repo = sim.state.repo("acme/payments")

    async def main() -> None:
        async with sim.github_app() as app:
            api = app.installation(next(iter(sim.state.installations)))
            for _ in range(2):
                await LabelSync().sync(
                    api, "acme", "payments", pull.number, current=[], verdict=Verdict("ai", ("claude",)), settings=NAMED
                )

    asyncio.run(main())
    assert repo.issues[pull.number].labels == ["written-by-ai"]
    assert repo.labels["written-by-ai"] == "d93f0b"
    assert len(sim.state.requests("PATCH", r"/labels/")) == 1  # dressed once: not grey any more
