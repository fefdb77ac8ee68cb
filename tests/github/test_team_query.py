"""Team memberships in one GraphQL query: the same answers as REST's one call per (team, login), child teams
and pending invitations included; what the query cannot answer exactly is left to REST."""

from __future__ import annotations

from ghapp.github import CallCounter
from ghapp.github.api import InstallationAPI
from ghapp.github.pull_query import GraphQLUnusable
from ghapp.github.team_query import read_memberships
from tests.ghsim import GitHubSim
from tests.github.test_policy_source import call

PAIRS = [
    ("billing", "bob"),  # a member
    ("billing", "bo"),  # matches bob in the search, is not him
    ("billing", "kid"),  # a member of a child team: a member, as REST says
    ("billing", "invited"),  # an invitation not accepted: REST says `pending`, not a member
    ("billing", "pat"),  # in another team
    ("nosuch", "bob"),  # no such team: left to REST
]


def world(sim: GitHubSim) -> None:
    sim.state.create_installation("acme")
    sim.state.create_repo("acme/payments")
    sim.state.add_team_member("acme", "billing", "bob")
    sim.state.add_team_member("acme", "billing", "invited", state="pending")
    sim.state.add_team_member("acme", "billing-eu", "kid", parent="billing")
    sim.state.add_team_member("acme", "platform", "pat")


def test_memberships_in_one_query_answer_as_rest_does(ghsim_inprocess: GitHubSim) -> None:
    world(ghsim_inprocess)

    async def both(api: InstallationAPI) -> tuple[dict[tuple[str, str], bool], dict[tuple[str, str], bool]]:
        graph = await read_memberships(api, "acme", PAIRS)
        rest = {pair: await api.team_membership("acme", *pair) for pair in PAIRS}
        return graph, rest

    counter = CallCounter()
    graph, rest = call(ghsim_inprocess, both, counter)
    assert graph == {pair: rest[pair] for pair in PAIRS if pair[0] != "nosuch"}
    assert rest == {
        ("billing", "bob"): True,
        ("billing", "bo"): False,
        ("billing", "kid"): True,
        ("billing", "invited"): False,
        ("billing", "pat"): False,
        ("nosuch", "bob"): False,
    }
    assert counter.count("POST /graphql") == 1 and counter.snapshot().graphql_points == 1


def test_a_search_matching_more_than_a_page_is_left_to_rest(ghsim_inprocess: GitHubSim) -> None:
    world(ghsim_inprocess)
    for i in range(101):
        ghsim_inprocess.state.add_team_member("acme", "billing", f"bobby{i:03}")
    graph = call(ghsim_inprocess, lambda api: read_memberships(api, "acme", [("billing", "bob"), ("billing", "bo")]))
    # "bob" is on the first page (sorted), "bo" is nowhere on it and more pages follow: unknown
    assert graph == {("billing", "bob"): True}


def test_a_user_account_has_no_teams_and_the_query_says_so_by_an_error(ghsim_inprocess: GitHubSim) -> None:
    ghsim_inprocess.state.create_installation("solo", account_type="User")
    ghsim_inprocess.state.create_repo("solo/app", owner_type="User")

    async def ask(api: InstallationAPI) -> object:
        try:
            return await read_memberships(api, "solo", [("core", "a"), ("core", "b")])
        except GraphQLUnusable as exc:
            return exc

    assert isinstance(call(ghsim_inprocess, ask), GraphQLUnusable)
