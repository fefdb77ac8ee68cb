"""One GraphQL query for a pull request's facts: the same facts and policy as the REST reads, pages past 100,
and every incomplete answer read through REST instead (never taken as "no reviews" or "no commits")."""

from __future__ import annotations

from typing import Any

import pytest

from ghapp.core.facts import Facts
from ghapp.github import CallCounter
from ghapp.github.api import InstallationAPI
from ghapp.github.errors import RateLimited
from ghapp.github.facts import FactsGatherer
from ghapp.github.graphql_shapes import actor
from ghapp.github.installation import JSON
from ghapp.github.policy_source import LoadedPolicy, PolicySource
from ghapp.github.pull_query import read_pull
from ghapp.github.pull_reads import PullReads
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world
from tests.ghsim import GitHubSim
from tests.github.test_facts import policy, pr_json
from tests.github.test_policy_source import call

ORG_POLICY = "mode: enforce\n"
REPO_POLICY = "mode: enforce\n# the repository's own policy\n"


def world(sim: GitHubSim) -> int:
    """A PR with a person's and a bot's commits, reviews of every kind, hand and App labels, an assignment."""
    build_world(sim, policy=REPO_POLICY)
    sim.state.create_repo("acme/.github", files={".github/prompt-to-pr.yml": ORG_POLICY})
    pull = sim.state.create_pull(
        REPO,
        commits=[{"billing/charge.py": CHARGE_AI}, {"app/util.py": "VALUE = 2\n"}],
        messages=[AI_MESSAGE, "Tidy"],
        body=AI_BODY,
        user="alice",
    )
    sim.state.push(REPO, pull.number, {"app/bot.py": "x = 1\n"}, author="copilot-swe-agent[bot]")
    sim.state.add_review(REPO, pull.number, "bob")
    sim.state.add_review(REPO, pull.number, "carol", "CHANGES_REQUESTED")
    sim.state.add_review(REPO, pull.number, "dependabot[bot]", "COMMENTED")
    sim.state.add_review(REPO, pull.number, "erin", "PENDING")
    sim.state.label_by_hand(REPO, pull.number, "ai-generated", "carol")
    sim.state.assign(REPO, pull.number, "Copilot", by="dana")
    sim.state.assign(REPO, pull.number, "frank", by="copilot-swe-agent[bot]")
    return pull.number


def facts_and_policy(sim: GitHubSim, number: int, *, graphql: bool, counter: CallCounter | None = None) -> Any:
    data = pr_json(sim, number)

    async def body(api: InstallationAPI) -> tuple[Facts, LoadedPolicy]:
        reads = PullReads(api, "acme", "payments", number, "main") if graphql else None
        loaded = await PolicySource().load(api, "acme", "payments", "main", reads=reads)
        assert loaded.policy is not None, loaded.issues
        facts = await FactsGatherer().gather(api, "acme", "payments", data, loaded.policy, reads=reads)
        return facts, loaded

    return call(sim, body, counter)


def test_the_same_pull_request_gives_the_same_facts_and_policy_through_graphql_and_rest(
    ghsim_inprocess: GitHubSim,
) -> None:
    number = world(ghsim_inprocess)
    rest_counter, graph_counter = CallCounter(), CallCounter()
    rest_facts, rest_policy = facts_and_policy(ghsim_inprocess, number, graphql=False, counter=rest_counter)
    graph_facts, graph_policy = facts_and_policy(ghsim_inprocess, number, graphql=True, counter=graph_counter)
    assert graph_facts == rest_facts
    assert graph_policy == rest_policy
    assert len(rest_facts.commits) == 3 and len(rest_facts.reviews) == 3 and rest_facts.assignments
    assert rest_facts.codeowners and rest_facts.pull_request is not None and rest_facts.pull_request.hand_labels
    assert {c.author.login for c in rest_facts.commits} == {"alice", "copilot-swe-agent[bot]"}
    graph_calls = graph_counter.snapshot()
    assert graph_calls.calls.get("POST /graphql") == 2  # the facts, and bob's and carol's billing membership
    assert not {r for r in graph_calls.calls if "/contents/" in r or "/reviews" in r or "/events" in r}
    assert not {r for r in graph_calls.calls if r.endswith("/commits")}
    assert graph_calls.graphql_points == 2
    assert rest_counter.snapshot().total - graph_calls.total >= 5


def test_commits_and_reviews_past_a_page_are_read_in_follow_up_queries(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess)
    changes = [{f"app/f{i}.py": f"x = {i}\n"} for i in range(130)]
    pull = ghsim_inprocess.state.create_pull(REPO, commits=changes, user="alice")
    for i in range(105):
        ghsim_inprocess.state.add_review(REPO, pull.number, f"reviewer{i}", "COMMENTED")
    counter = CallCounter()
    snapshot = call(ghsim_inprocess, lambda api: read_pull(api, "acme", "payments", pull.number, own=[]), counter)
    assert [c["sha"] for c in snapshot.commits] == pull.commits
    assert len(snapshot.reviews) == 105
    assert counter.count("POST /graphql") == 3  # the query, one more page of commits, one of reviews
    asked = [r.body["query"] for r in ghsim_inprocess.state.requests("POST", "^/graphql$")]
    assert "PullFactsPage" in asked[1] and "PullFactsPage" in asked[2]


def test_commits_stop_at_rests_250_and_the_facts_say_they_were_cut(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess)
    pull = ghsim_inprocess.state.create_pull(REPO, commits=[{"app/f.py": f"x = {i}\n"} for i in range(260)])
    data = pr_json(ghsim_inprocess, pull.number)

    async def body(api: InstallationAPI) -> Any:
        reads = PullReads(api, "acme", "payments", pull.number, "main")
        return await FactsGatherer().head(api, "acme", "payments", data, reads=reads)

    counter = CallCounter()
    head = call(ghsim_inprocess, body, counter)
    assert len(head.commits) == 250 and head.commits_truncated
    assert [c.sha for c in head.commits] == pull.commits[:250]
    assert counter.count("POST /graphql") == 3  # 100 + 100 + 100, cut to 250


class Answering(InstallationAPI):
    """The installation's API with GraphQL answering `answer` (REST still the simulator's)."""

    answer: JSON = {}

    async def graphql(self, query: str, variables: JSON) -> JSON:
        return self.answer


def with_answer(sim: GitHubSim, number: int, answer: JSON, counter: CallCounter | None = None) -> Facts:
    data = pr_json(sim, number)

    async def body(api: InstallationAPI) -> Facts:
        fake = Answering(api.app, api.installation_id)
        fake.answer = answer
        reads = PullReads(fake, "acme", "payments", number, "main")
        return await FactsGatherer().gather(fake, "acme", "payments", data, policy(), reads=reads)

    return call(sim, body, counter)


PARTIAL: list[JSON] = [
    # the pull request not found, beside the files that were
    {
        "data": {"rateLimit": {"cost": 1}, "repository": {"pullRequest": None}},
        "errors": [{"type": "NOT_FOUND", "path": ["repository", "pullRequest"], "message": "Could not resolve"}],
    },
    # GitHub's GraphQL budget spent: a 200 with RATE_LIMITED
    {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for installation ID 1."}]},
    # an answer cut short by GitHub's resource limits: data with a null connection and an error
    {
        "data": {
            "repository": {
                "pullRequest": {
                    "commits": {"totalCount": 0, "pageInfo": {"hasNextPage": False}, "nodes": []},
                    "reviews": None,
                    "timelineItems": {"pageInfo": {"hasNextPage": False}, "nodes": []},
                }
            }
        },
        "errors": [{"message": "Something went wrong while executing your query.", "path": ["repository"]}],
    },
    # no error, but a connection missing: never read as "no reviews"
    {
        "data": {
            "repository": {
                "pullRequest": {
                    "commits": {"totalCount": 0, "pageInfo": {"hasNextPage": False}, "nodes": []},
                    "timelineItems": {"pageInfo": {"hasNextPage": False}, "nodes": []},
                }
            }
        }
    },
    # a next page announced without a cursor
    {
        "data": {
            "repository": {
                "pullRequest": {
                    "commits": {"totalCount": 300, "pageInfo": {"hasNextPage": True}, "nodes": [{}]},
                    "reviews": {"pageInfo": {"hasNextPage": False}, "nodes": []},
                    "timelineItems": {"pageInfo": {"hasNextPage": False}, "nodes": []},
                }
            }
        }
    },
    {"data": None},
    {"errors": "boom"},
]


@pytest.mark.parametrize("answer", PARTIAL)
def test_an_incomplete_graphql_answer_is_read_through_rest_instead(ghsim_inprocess: GitHubSim, answer: JSON) -> None:
    build_world(ghsim_inprocess)
    pull = ghsim_inprocess.state.create_pull(
        REPO, changes={"billing/charge.py": CHARGE_AI}, messages=[AI_MESSAGE], body=AI_BODY, user="alice"
    )
    ghsim_inprocess.state.add_review(REPO, pull.number, "bob")
    counter = CallCounter()
    facts = with_answer(ghsim_inprocess, pull.number, answer, counter)
    assert [r.reviewer.login for r in facts.reviews] == ["bob"]
    assert len(facts.commits) == 1
    assert counter.count("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews") == 1
    assert counter.count("GET /repos/{owner}/{repo}/pulls/{pull_number}/commits") == 1


def test_a_secondary_limit_inside_a_graphql_answer_reschedules(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess)
    pull = ghsim_inprocess.state.create_pull(REPO, user="alice")
    answer = {"errors": [{"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}]}
    with pytest.raises(RateLimited):
        with_answer(ghsim_inprocess, pull.number, answer)


def test_a_spent_graphql_budget_reads_through_rest(ghsim_inprocess: GitHubSim) -> None:
    number = world(ghsim_inprocess)
    rest_facts, rest_policy = facts_and_policy(ghsim_inprocess, number, graphql=False)
    with ghsim_inprocess.state.lock:  # the installation's GraphQL points spent for the hour
        for bucket in ghsim_inprocess.state.buckets.values():
            if bucket.resource == "graphql":
                bucket.remaining = 0
    counter = CallCounter()
    graph_facts, graph_policy = facts_and_policy(ghsim_inprocess, number, graphql=True, counter=counter)
    assert (graph_facts, graph_policy) == (rest_facts, rest_policy)
    assert counter.count("POST /graphql") == 2  # the facts, the memberships: both then read through REST
    assert counter.count("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews") == 1
    assert counter.count("GET /orgs/{org}/teams/{team_slug}/memberships/{username}") == 2


def test_a_file_over_graphqls_text_limit_is_read_through_rest(ghsim_inprocess: GitHubSim) -> None:
    number = world(ghsim_inprocess)
    rest_facts, rest_policy = facts_and_policy(ghsim_inprocess, number, graphql=False)
    ghsim_inprocess.state.blob_text_limit = 20  # the repository's policy and CODEOWNERS are longer, the org's not
    ghsim_inprocess.state.log.clear()
    graph_facts, graph_policy = facts_and_policy(ghsim_inprocess, number, graphql=True)
    assert (graph_facts, graph_policy) == (rest_facts, rest_policy)
    read = sorted(r.path for r in ghsim_inprocess.state.requests("GET", "/contents/"))
    assert read == [
        "/repos/acme/payments/contents/.github/CODEOWNERS",
        "/repos/acme/payments/contents/.github/prompt-to-pr.yml",
    ]


def test_an_org_without_a_github_repository_has_no_org_policy_and_needs_no_rest(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess, policy=REPO_POLICY)
    pull = ghsim_inprocess.state.create_pull(REPO, user="alice")

    async def body(api: InstallationAPI) -> LoadedPolicy:
        return await PolicySource().load(
            api, "acme", "payments", "main", reads=PullReads(api, "acme", "payments", pull.number, "main")
        )

    counter = CallCounter()
    loaded = call(ghsim_inprocess, body, counter)
    assert loaded.ok and loaded.sources[-1] == ".github/prompt-to-pr.yml" and len(loaded.sources) == 2
    assert set(counter.snapshot().calls) == {"POST /app/installations/{installation_id}/access_tokens", "POST /graphql"}


def test_graphql_bot_logins_read_as_rest_spells_them() -> None:
    assert actor({"__typename": "Bot", "login": "dependabot", "databaseId": 7})["login"] == "dependabot[bot]"
    assert actor({"__typename": "Bot", "login": "Copilot"})["login"] == "Copilot"
    assert actor(None) == {"login": "ghost", "type": "User"}
    assert actor({"__typename": "Mannequin", "login": "old"}) == {"login": "old", "type": "User"}


def test_on_enterprise_server_the_query_goes_to_api_graphql_and_is_counted(ghsim_ghes: GitHubSim) -> None:
    build_world(ghsim_ghes, policy=REPO_POLICY)
    pull = ghsim_ghes.state.create_pull(REPO, user="alice")
    counter = CallCounter()
    snapshot = call(
        ghsim_ghes,
        lambda api: read_pull(api, "acme", "payments", pull.number, own=[(".github/CODEOWNERS", "main")]),
        counter,
    )
    assert [c["sha"] for c in snapshot.commits] == pull.commits
    assert counter.count("POST /graphql") == 1 and counter.snapshot().graphql_points == 1
    assert ghsim_ghes.state.requests("POST", "^/graphql$")[0].status == 200


def test_graphql_points_are_not_taken_for_the_rest_calls_remaining(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess)
    pull = ghsim_inprocess.state.create_pull(REPO, user="alice")
    ghsim_inprocess.state.graphql_points = 100

    async def body(api: InstallationAPI) -> None:
        await api.get_pull("acme", "payments", pull.number)
        await read_pull(api, "acme", "payments", pull.number, own=[])

    counter = CallCounter()
    call(ghsim_inprocess, body, counter)
    remaining = counter.snapshot().rate_remaining
    assert remaining is not None and remaining > 100  # REST's 5,000 a hour, not GraphQL's 99 points left
    assert counter.snapshot().graphql_points == 1


def test_a_known_head_needs_no_more_pages_of_its_commits(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess)
    pull = ghsim_inprocess.state.create_pull(REPO, commits=[{"app/f.py": f"x = {i}\n"} for i in range(130)])
    data = pr_json(ghsim_inprocess, pull.number)
    gatherer = FactsGatherer()

    async def evaluate(api: InstallationAPI) -> int:
        reads = PullReads(api, "acme", "payments", pull.number, "main")
        await reads.snapshot()
        head = await gatherer.head(api, "acme", "payments", data, reads=reads)
        assert await reads.reviews() == []
        return len(head.commits)

    first, second = CallCounter(), CallCounter()
    assert call(ghsim_inprocess, evaluate, first) == 130
    assert first.count("POST /graphql") == 2  # the query, and the commits' second page
    assert call(ghsim_inprocess, evaluate, second) == 130  # the same head again (a review, say)
    assert second.count("POST /graphql") == 1


def test_a_later_page_graphql_cannot_give_is_read_through_rest(ghsim_inprocess: GitHubSim) -> None:
    build_world(ghsim_inprocess)
    pull = ghsim_inprocess.state.create_pull(REPO, commits=[{"app/f.py": f"x = {i}\n"} for i in range(130)])

    async def body(api: InstallationAPI) -> list[JSON]:
        reads = PullReads(api, "acme", "payments", pull.number, "main")
        await reads.snapshot()
        ghsim_inprocess.faults.add("^/graphql$", "5xx", status=410)  # the follow-up query fails for good
        return await reads.commits()

    counter = CallCounter()
    commits = call(ghsim_inprocess, body, counter)
    assert [c["sha"] for c in commits] == pull.commits  # all of them, never only the first page
    assert counter.count("GET /repos/{owner}/{repo}/pulls/{pull_number}/commits") == 2  # REST, 100 a page
