"""Facts from the simulated GitHub: only what the policy needs, read in as few calls as the answers allow."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ghapp.core.facts import Actor, Facts, HandLabel, Override
from ghapp.core.policy.load import Policy, load_policy
from ghapp.github import CallCounter
from ghapp.github.facts import FactsGatherer
from ghapp.github.policy_source import bundled_signals
from ghapp.resources import default_policy_text
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world
from tests.ghsim import GitHubSim, render
from tests.ghsim.state import IssueEvent
from tests.github.test_policy_source import call


def policy(extra: str = "mode: enforce\n") -> Policy:
    result = load_policy([("default", default_policy_text()), ("repo", extra)], signals=bundled_signals())
    assert result.policy is not None, result.issues
    return result.policy


def pr_json(sim: GitHubSim, number: int) -> dict[str, Any]:
    repo = sim.state.repo(REPO)
    pull = repo.pull(number)
    assert pull is not None
    return render.pull(sim.state, repo, pull)


def gather(
    sim: GitHubSim,
    number: int,
    the_policy: Policy,
    *,
    gatherer: FactsGatherer | None = None,
    counter: CallCounter | None = None,
    **kwargs: Any,
) -> Facts:
    found = gatherer or FactsGatherer()
    data = pr_json(sim, number)
    return call(sim, lambda api: found.gather(api, "acme", "payments", data, the_policy, **kwargs), counter)


def test_a_human_pull_request_needs_only_its_commits_and_files(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess)
    pull = ghsim_inprocess.state.create_pull(
        REPO,
        commits=[{"app/util.py": "VALUE = 2\nOTHER = 3\n"}, {"app/new.py": "x = 1\n", "README.md": None}],
        messages=["Change util\n\nLonger body.", "Add new"],
        user="alice",
        body="Plain change.",
    )
    ghsim_inprocess.state.repo(REPO).issues[pull.number].labels += ["needs-review"]
    counter = CallCounter()
    facts = gather(ghsim_inprocess, pull.number, policy(), counter=counter)
    assert [c.message for c in facts.commits] == ["Change util\n\nLonger body.", "Add new"]
    assert facts.commits[0].author.login == "alice"
    by_path = {f.path: f for f in facts.files}
    assert by_path["app/util.py"].added_lines == frozenset({1, 2})
    assert by_path["README.md"].status == "removed"
    assert facts.pull_request is not None and facts.pull_request.labels == ("needs-review",)
    assert facts.reviews == () and facts.codeowners is None and dict(facts.team_members) == {}
    assert set(counter.snapshot().calls) == {
        "POST /app/installations/{installation_id}/access_tokens",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
    }


def test_an_ai_pull_request_on_billing_gathers_reviews_owners_teams_and_changes_since(
    ghsim_inprocess: GitHubSim,
) -> None:
    sim = ghsim_inprocess
    build_world(sim)
    pull = sim.state.create_pull(
        REPO, changes={"billing/charge.py": CHARGE_AI}, messages=[AI_MESSAGE], body=AI_BODY, user="alice"
    )
    first_head = pull.head_sha
    sim.state.add_review(REPO, pull.number, "bob")
    sim.state.add_review(REPO, pull.number, "carol", "COMMENTED")
    sim.state.push(REPO, pull.number, {"app/util.py": "VALUE = 5\n"}, message=AI_MESSAGE)
    sim.state.add_review(REPO, pull.number, "pat")
    facts = gather(sim, pull.number, policy(), overrides=(Override("lint", "ok", Actor("sec"), pull.head_sha),))
    assert [r.reviewer.login for r in facts.reviews] == ["bob", "carol", "pat"]
    assert facts.codeowners is not None and "@acme/billing" in facts.codeowners
    # only people who approved are looked up, only in the teams that can approve the matched files
    # (app/util.py belongs to @acme/platform, but no sensitive category matches it)
    assert dict(facts.team_members) == {"acme/billing": frozenset({"bob"})}
    assert dict(facts.changed_since) == {first_head: frozenset({"app/util.py"})}
    assert asked_members(sim) == {"bob", "pat"}
    assert not sim.state.requests("GET", "/memberships/")  # two at once: one GraphQL query


def asked_members(sim: GitHubSim) -> set[str]:
    """The logins whose team membership the App asked about, through REST or GraphQL."""
    rest = {r.path.split("/memberships/")[1] for r in sim.state.requests("GET", "/memberships/")}
    graph = {
        value
        for r in sim.state.requests("POST", "^/graphql$")
        if "TeamMembers" in r.body["query"]
        for name, value in r.body["variables"].items()
        if re.fullmatch(r"t\d+m\d+", name)
    }
    return rest | graph


def test_the_override_team_is_asked_about_the_people_who_overrode(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess)
    pull = ghsim_inprocess.state.create_pull(REPO, changes={"app/util.py": "VALUE = 2\n"}, user="alice")
    facts = gather(
        ghsim_inprocess,
        pull.number,
        policy("overrides:\n  team: '@acme/security'\n"),
        overrides=(
            Override("lint", "fine", Actor("sec"), pull.head_sha),
            Override("lint", "fine", Actor("alice"), pull.head_sha),
        ),
    )
    assert dict(facts.team_members) == {"acme/security": frozenset({"sec"})}


def test_commits_and_files_of_a_head_are_read_once(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess)
    pull = ghsim_inprocess.state.create_pull(REPO, changes={"app/util.py": "VALUE = 2\n"}, user="alice")
    gatherer = FactsGatherer()
    gather(ghsim_inprocess, pull.number, policy(), gatherer=gatherer)
    gather(ghsim_inprocess, pull.number, policy(), gatherer=gatherer)
    assert len(ghsim_inprocess.state.requests("GET", "/files$")) == 1
    ghsim_inprocess.state.push(REPO, pull.number, {"app/util.py": "VALUE = 3\n"})
    facts = gather(ghsim_inprocess, pull.number, policy(), gatherer=gatherer)
    assert len(ghsim_inprocess.state.requests("GET", "/files$")) == 2
    assert len(facts.commits) == 2


@pytest.mark.parametrize(("count", "truncated"), [(250, False), (251, True)])
def test_commit_lists_past_githubs_cap_are_flagged(ghsim_inprocess: GitHubSim, count: int, truncated: bool) -> None:
    build_world(ghsim_inprocess)
    commits: list[dict[str, str | bytes | None]] = [{f"n/{i}.md": "x\n"} for i in range(count)]
    pull = ghsim_inprocess.state.create_pull(REPO, commits=commits, user="alice")
    facts = gather(ghsim_inprocess, pull.number, policy())
    assert len(facts.commits) == 250 and facts.commits_truncated is truncated


def test_codeowners_is_read_from_githubs_first_location_on_the_base_branch(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess, files={"CODEOWNERS": "* @acme/root\n", "docs/CODEOWNERS": "* @acme/docs\n"})
    pull = ghsim_inprocess.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI, ".github/CODEOWNERS": "* @acme/pr-head\n"},
        messages=[AI_MESSAGE],
        user="alice",
    )
    facts = gather(ghsim_inprocess, pull.number, policy())
    assert facts.codeowners is not None and "@acme/billing" in facts.codeowners  # base, .github/ first
    assert "pr-head" not in facts.codeowners


def test_verdict_labels_are_dropped_and_those_a_person_added_are_read_as_hand_labels(
    ghsim_inprocess: GitHubSim,
) -> None:
    build_world(ghsim_inprocess)
    state = ghsim_inprocess.state
    pull = state.create_pull(REPO, changes={"app/util.py": "VALUE = 2\n"}, user="alice", body="Plain change.")
    issue = state.repo(REPO).issues[pull.number]
    issue.labels += ["ai-generated", "ai:claude", "needs-review"]
    issue.events += [
        IssueEvent(
            state.next_id(), "labeled", "prompt-to-pr[bot]", state.clock.now(), label=name, app_slug="prompt-to-pr"
        )
        for name in ("ai-generated", "ai:claude")
    ]
    state.label_by_hand(REPO, pull.number, "ai-suspected", "maria")
    counter = CallCounter()
    facts = gather(ghsim_inprocess, pull.number, policy(), counter=counter)
    assert facts.pull_request is not None and facts.pull_request.labels == ("needs-review",)
    assert facts.pull_request.hand_labels == (HandLabel("ai-suspected", "suspected", None, "@maria"),)
    assert "GET /repos/{owner}/{repo}/issues/{issue_number}/events" in counter.snapshot().calls
    # the org names its labels: the defaults are ordinary labels then, and the org's own are read
    named = policy("labels:\n  ai: written-by-ai\n  tool_prefix: ''\n")
    state.label_by_hand(REPO, pull.number, "written-by-ai", "maria")
    facts = gather(ghsim_inprocess, pull.number, named)
    assert facts.pull_request is not None
    assert facts.pull_request.labels == ("ai-generated", "ai:claude", "needs-review")
    assert facts.pull_request.hand_labels == (
        HandLabel("ai-suspected", "suspected", None, "@maria"),
        HandLabel("written-by-ai", "ai", None, "@maria"),
    )


def test_a_prs_events_are_read_once_for_its_hand_labels_and_its_assignments(ghsim_inprocess: GitHubSim) -> None:
    sim = ghsim_inprocess
    build_world(sim)
    pull = sim.state.create_pull(
        REPO, changes={"billing/charge.py": CHARGE_AI}, messages=[AI_MESSAGE], body=AI_BODY, user="alice"
    )
    sim.state.label_by_hand(REPO, pull.number, "ai-suspected", "maria")
    sim.state.assign(REPO, pull.number, "bob", by="alice")
    sim.state.add_review(REPO, pull.number, "bob")
    counter = CallCounter()
    facts = gather(sim, pull.number, policy(), counter=counter)
    assert facts.pull_request is not None
    assert facts.pull_request.hand_labels == (HandLabel("ai-suspected", "suspected", None, "@maria"),)
    assert [(a.assignee.login, a.assigner.login) for a in facts.assignments] == [("bob", "alice")]
    assert counter.snapshot().calls["GET /repos/{owner}/{repo}/issues/{issue_number}/events"] == 1
