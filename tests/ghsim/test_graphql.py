"""The simulator's `POST /graphql` answers as GitHub's GraphQL API does: the state the REST routes serve, errors
beside the data with their `type`, the node and page limits, points taken from a budget apart from REST's."""

from __future__ import annotations

from typing import Any

import httpx

from tests.ghsim import GitHubSim
from tests.ghsim.gitdata import blob_sha
from tests.ghsim.helpers import client, installation_client, small_world

PULL = """query($owner: String!, $name: String!, $number: Int!) {
  rateLimit { cost remaining nodeCount }
  repository(owner: $owner, name: $name) {
    readme: object(expression: "HEAD:README.md") { __typename ... on Blob { oid byteSize isTruncated text } }
    missing: object(expression: "main:nope.txt") { __typename }
    src: object(expression: "main:src") { __typename }
    pullRequest(number: $number) {
      headRefOid
      commits(first: 100) { totalCount nodes { commit { oid message author { name email user { login } } } } }
      reviews(first: 100) { nodes { state databaseId author { __typename login } commit { oid } } }
      timelineItems(first: 100, itemTypes: [LABELED_EVENT, ASSIGNED_EVENT]) {
        nodes {
          __typename
          ... on LabeledEvent { actor { __typename login } label { name } }
          ... on AssignedEvent { actor { login } assignee { __typename ... on Bot { login } ... on User { login } } }
        }
      }
    }
  }
}"""


def post(gh: httpx.Client, query: str, **variables: Any) -> httpx.Response:
    return gh.post("graphql", json={"query": query, "variables": variables})


def test_a_pull_request_read_in_one_query_matches_the_rest_routes(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    pull = world["pull"]
    ghsim.state.push("octo-org/hello", pull.number, {"bot.py": "x\n"}, author="copilot-swe-agent[bot]")
    ghsim.state.add_review("octo-org/hello", pull.number, "bob")
    ghsim.state.add_review("octo-org/hello", pull.number, "dependabot[bot]", "COMMENTED")
    ghsim.state.label_by_hand("octo-org/hello", pull.number, "ai-generated", "carol")
    ghsim.state.assign("octo-org/hello", pull.number, "Copilot", by="dana")
    with installation_client(ghsim, world["installation"].id) as gh:
        answer = post(gh, PULL, owner="octo-org", name="hello", number=pull.number)
        rest_commits = gh.get("repos/octo-org/hello/pulls/1/commits").json()
        rest_reviews = gh.get("repos/octo-org/hello/pulls/1/reviews").json()
    assert answer.status_code == 200 and "errors" not in answer.json()
    repo = answer.json()["data"]["repository"]
    assert repo["readme"] == {
        "__typename": "Blob",
        "oid": blob_sha(b"hi\n"),
        "byteSize": 3,
        "isTruncated": False,
        "text": "hi\n",
    }
    assert repo["missing"] is None and repo["src"] == {"__typename": "Tree"}
    found = repo["pullRequest"]
    assert found["headRefOid"] == ghsim.state.repo("octo-org/hello").pull(1).head_sha  # type: ignore[union-attr]
    commits = [n["commit"] for n in found["commits"]["nodes"]]
    assert [c["oid"] for c in commits] == [c["sha"] for c in rest_commits]
    assert commits[0]["author"]["user"] == {"login": "alice"}
    assert commits[1]["author"]["user"] is None  # `GitActor.user` is a User: a bot's commit has none
    assert [r["databaseId"] for r in found["reviews"]["nodes"]] == [r["id"] for r in rest_reviews]
    assert found["reviews"]["nodes"][1]["author"] == {"__typename": "Bot", "login": "dependabot"}  # no `[bot]`
    labeled, assigned = found["timelineItems"]["nodes"]
    assert labeled == {
        "__typename": "LabeledEvent",
        "actor": {"__typename": "User", "login": "carol"},
        "label": {"name": "ai-generated"},
    }
    assert assigned["assignee"] == {"__typename": "Bot", "login": "Copilot"}
    assert answer.json()["data"]["rateLimit"]["cost"] == 1
    assert answer.headers["x-ratelimit-resource"] == "graphql"


def test_connections_page_with_cursors(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.state.create_pull("octo-org/hello", commits=[{"f.txt": f"{i}\n"} for i in range(5)])
    query = """query($after: String) { repository(owner: "octo-org", name: "hello") { pullRequest(number: 2) {
      commits(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { commit { oid } } }
    } } }"""
    seen: list[str] = []
    after = None
    with installation_client(ghsim, world["installation"].id) as gh:
        while True:
            page = post(gh, query, after=after).json()["data"]["repository"]["pullRequest"]["commits"]
            seen += [n["commit"]["oid"] for n in page["nodes"]]
            assert page["totalCount"] == 5
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    assert seen == ghsim.state.repo("octo-org/hello").pull(2).commits  # type: ignore[union-attr]


def test_what_the_installation_cannot_see_is_not_found_beside_the_data(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.state.create_installation("other-org")
    ghsim.state.create_repo("other-org/secret")
    query = """{ rateLimit { cost }
      a: repository(owner: "other-org", name: "secret") { name }
      b: repository(owner: "octo-org", name: "hello") { pullRequest(number: 99) { number } } }"""
    with installation_client(ghsim, world["installation"].id) as gh:
        answer = post(gh, query)
    assert answer.status_code == 200
    body = answer.json()
    assert body["data"] == {"rateLimit": {"cost": 1}, "a": None, "b": {"pullRequest": None}}
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert errors[("a",)]["type"] == "NOT_FOUND"
    assert errors[("a",)]["message"] == "Could not resolve to a Repository with the name 'other-org/secret'."
    assert errors[("b", "pullRequest")]["type"] == "NOT_FOUND"
    assert {"line", "column"} <= set(errors[("a",)]["locations"][0])


def test_queries_past_githubs_limits_are_refused_whole(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    pull = 'repository(owner: "octo-org", name: "hello") { pullRequest(number: 1) { %s } }'
    cases = {
        "MISSING_PAGINATION_BOUNDARIES": pull % "commits { totalCount }",
        "ARGUMENT_LIMIT": pull % "commits(first: 101) { totalCount }",
        "MAX_NODE_LIMIT_EXCEEDED": pull
        % "commits(first: 100) { nodes { commit { parents(first: 100) { nodes { parents(first: 100) "
        "{ totalCount } } } } } }",
    }
    with installation_client(ghsim, world["installation"].id) as gh:
        for kind, selection in cases.items():
            body = post(gh, "{ " + selection + " }").json()
            assert "data" not in body and [e["type"] for e in body["errors"]] == [kind], kind
        unknown = post(gh, '{ repository(owner: "octo-org", name: "hello") { stars } }').json()
    assert "data" not in unknown and "stars" in unknown["errors"][0]["message"]


def test_points_come_from_a_graphql_budget_and_a_spent_one_answers_rate_limited(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.state.graphql_points = 3
    query = '{ rateLimit { cost remaining } repository(owner: "octo-org", name: "hello") { name } }'
    with installation_client(ghsim, world["installation"].id) as gh:
        rest_before = gh.get("repos/octo-org/hello").headers["x-ratelimit-remaining"]
        answers = [post(gh, query) for _ in range(4)]
        rest_after = gh.get("repos/octo-org/hello").headers["x-ratelimit-remaining"]
    assert [a.json()["data"]["rateLimit"]["remaining"] for a in answers[:3]] == [2, 1, 0]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    spent = answers[3]
    assert spent.status_code == 200 and spent.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert int(rest_before) - int(rest_after) == 1  # REST's budget is apart


def test_graphql_needs_a_token_and_lives_at_api_graphql_on_enterprise_server(ghsim_ghes: GitHubSim) -> None:
    world = small_world(ghsim_ghes)
    query = '{ repository(owner: "octo-org", name: "hello") { name } }'
    with client(ghsim_ghes) as anonymous:
        refused = anonymous.post(ghsim_ghes.root_url + "api/graphql", json={"query": query})
    assert refused.status_code == 401
    assert refused.json()["message"] == "This endpoint requires you to be authenticated."
    with installation_client(ghsim_ghes, world["installation"].id) as gh:
        answer = gh.post(ghsim_ghes.root_url + "api/graphql", json={"query": query})
    assert answer.json() == {"data": {"repository": {"name": "hello"}}}
    assert ghsim_ghes.state.requests("POST", "^/graphql$")[-1].status == 200


def test_blob_text_past_the_limit_is_cut_and_binary_blobs_have_none(ghsim: GitHubSim) -> None:
    inst = ghsim.state.create_installation("octo-org")
    ghsim.state.create_repo("octo-org/hello", files={"big.txt": "a" * 50, "bin.dat": b"\0\1\2"})
    ghsim.state.blob_text_limit = 10
    query = """{ repository(owner: "octo-org", name: "hello") {
      big: object(expression: "HEAD:big.txt") { ... on Blob { byteSize isTruncated text } }
      bin: object(expression: "HEAD:bin.dat") { ... on Blob { isBinary text } } } }"""
    with installation_client(ghsim, inst.id) as gh:
        repo = post(gh, query).json()["data"]["repository"]
    assert repo["big"] == {"byteSize": 50, "isTruncated": True, "text": "a" * 10}
    assert repo["bin"] == {"isBinary": True, "text": None}


def test_team_members_include_child_teams_not_invitations_and_other_orgs_are_not_found(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.state.add_team_member("octo-org", "core", "bob")
    ghsim.state.add_team_member("octo-org", "core", "invited", state="pending")
    ghsim.state.add_team_member("octo-org", "core-eu", "kid", parent="core")
    query = """query($org: String!) { organization(login: $org) {
      all: team(slug: "core") { members(first: 10) { nodes { login } } }
      own: team(slug: "core") { members(first: 10, membership: IMMEDIATE) { nodes { login } } }
      kid: team(slug: "core") { members(first: 10, query: "ki") { nodes { login } } }
      none: team(slug: "nosuch") { slug } } }"""
    with installation_client(ghsim, world["installation"].id) as gh:
        found = post(gh, query, org="octo-org").json()["data"]["organization"]
        other = post(gh, query, org="someone-else").json()
    assert [n["login"] for n in found["all"]["members"]["nodes"]] == ["bob", "kid"]
    assert [n["login"] for n in found["own"]["members"]["nodes"]] == ["bob"]
    assert [n["login"] for n in found["kid"]["members"]["nodes"]] == ["kid"]
    assert found["none"] is None
    assert other["data"] == {"organization": None} and other["errors"][0]["type"] == "NOT_FOUND"
