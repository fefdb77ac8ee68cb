"""Several team memberships in one GraphQL query, where REST asks one `GET /orgs/{org}/teams/{team}/memberships/
{login}` per (team, login).

`Team.members(query: $login, membership: ALL)` lists the team's members, child teams' included as REST counts
them, whose login or name matches the search; a login is a member when a listed login equals it. Invitations
not yet accepted (REST's `pending`) are not members there, as the App counts them. The search may match more
than a page of people (then that pair is left unanswered), and a team the query cannot see is null: whatever
is not answered exactly is left to REST, as is everything when the answer has any error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ghapp.github.api import InstallationAPI
from ghapp.github.pull_query import GraphQLUnusable, ask

Pair = tuple[str, str]  # team slug, login
PAGE = 100


def build_query(pairs: Sequence[Pair]) -> tuple[str, dict[str, Any]]:
    teams = sorted({slug.lower() for slug, _ in pairs})
    variables: dict[str, Any] = {f"s{i}": slug for i, slug in enumerate(teams)}
    fields = []
    for i, slug in enumerate(teams):
        logins = sorted({login.lower() for s, login in pairs if s.lower() == slug})
        members = " ".join(
            f"m{j}: members(first: {PAGE}, query: $t{i}m{j}, membership: ALL) "
            "{ pageInfo { hasNextPage } nodes { login } }"
            for j in range(len(logins))
        )
        variables |= {f"t{i}m{j}": login for j, login in enumerate(logins)}
        fields.append(f"t{i}: team(slug: $s{i}) {{ {members} }}")
    declared = ", ".join(f"${name}: String!" for name in ["org", *variables])
    teams_part = " ".join(fields)
    query = (
        f"query TeamMembers({declared}) {{ rateLimit {{ cost remaining }} "
        f"organization(login: $org) {{ {teams_part} }} }}"
    )
    return query, variables


async def read_memberships(api: InstallationAPI, org: str, pairs: Sequence[Pair]) -> dict[Pair, bool]:
    """The pairs GraphQL answers exactly: (slug, login) -> whether the login is a member. Raises
    `GraphQLUnusable` when the answer has an error or lacks the organization."""
    query, variables = build_query(pairs)
    body = await ask(api, query, {"org": org, **variables})
    organization = body["data"].get("organization")
    if not isinstance(organization, dict):
        raise GraphQLUnusable("GraphQL answered no organization")
    teams = sorted({slug.lower() for slug, _ in pairs})
    found: dict[Pair, bool] = {}
    for i, slug in enumerate(teams):
        team = organization.get(f"t{i}")
        if not isinstance(team, dict):
            continue  # no such team, or one the installation cannot see: REST tells them apart
        logins = sorted({login.lower() for s, login in pairs if s.lower() == slug})
        for j, login in enumerate(logins):
            members = team.get(f"m{j}")
            nodes = members.get("nodes") if isinstance(members, dict) else None
            info = members.get("pageInfo") if isinstance(members, dict) else None
            if not isinstance(nodes, list) or not isinstance(info, dict):
                continue
            listed = {str(n.get("login") or "").lower() for n in nodes if isinstance(n, dict)}
            if login in listed:
                found[(slug, login)] = True
            elif info.get("hasNextPage") is False:
                found[(slug, login)] = False
    return {
        pair: found[(pair[0].lower(), pair[1].lower())] for pair in pairs if (pair[0].lower(), pair[1].lower()) in found
    }
