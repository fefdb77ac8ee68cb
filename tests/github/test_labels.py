"""The App's own labels follow the AI verdict: created once with their colours, added, removed when stale."""

from __future__ import annotations

import asyncio

import pytest

from ghapp.core.decisions import Verdict
from ghapp.github.labels import LabelSync, wanted_labels
from tests.ghsim import GitHubSim


@pytest.mark.parametrize(("verdict", "labels"), [
    (Verdict("ai", ("claude", "copilot")), {"ai-generated", "ai:claude", "ai:copilot"}),
    (Verdict("contradictory", ("codex",)), {"ai-generated", "ai:codex"}),
    (Verdict("suspected", ("cursor",)), {"ai-suspected", "ai:cursor"}),
    (Verdict("human"), set()),
    (Verdict("attested_human"), set()),
])
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
