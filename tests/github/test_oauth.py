"""Dashboard sign-in calls: GitHub's 200-with-error quirk, paging, and every failure as one GitHubError."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ghapp.github.errors import GitHubError
from ghapp.github.oauth import authorize_url, exchange_code, identify, installation_repositories
from tests.ghsim import GitHubSim
from tests.ghsim.oauth import oauth_of


def test_authorize_url() -> None:
    url = urlsplit(authorize_url("https://ghe.test/", "Iv1.x", "https://app/auth/callback", "st"))
    assert (url.netloc, url.path) == ("ghe.test", "/login/oauth/authorize")
    assert parse_qs(url.query) == {
        "client_id": ["Iv1.x"],
        "redirect_uri": ["https://app/auth/callback"],
        "state": ["st"],
        "allow_signup": ["false"],
    }


def exchange(handler: Any) -> str:
    return asyncio.run(
        exchange_code(
            "https://gh.test", "id", "secret", "code", "https://app/cb", transport=httpx.MockTransport(handler)
        )
    )


def test_exchange_posts_the_form_and_reads_the_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": "ghu_abc", "token_type": "bearer"})

    assert exchange(answer) == "ghu_abc"
    assert str(seen[0].url) == "https://gh.test/login/oauth/access_token"
    assert parse_qs(seen[0].content.decode()) == {
        "client_id": ["id"],
        "client_secret": ["secret"],
        "code": ["code"],
        "redirect_uri": ["https://app/cb"],
    }
    assert seen[0].headers["accept"] == "application/json"


@pytest.mark.parametrize(
    ("response", "text"),
    [
        (
            httpx.Response(200, json={"error": "bad_verification_code", "error_description": "The code is expired."}),
            "The code is expired.",
        ),
        (httpx.Response(200, json={"error": "redirect_uri_mismatch"}), "redirect_uri_mismatch"),
        (httpx.Response(500, json={}), "HTTP 500"),
        (httpx.Response(200, text="<html>"), "not JSON"),
        (httpx.Response(200, json=["x"]), "HTTP 200"),
    ],
)
def test_exchange_refusals(response: httpx.Response, text: str) -> None:
    with pytest.raises(GitHubError, match=text):
        exchange(lambda _: response)


def test_exchange_unreachable() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow", request=request)

    with pytest.raises(GitHubError, match="cannot reach"):
        exchange(fail)


def api(routes: dict[str, httpx.Response]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer ghu_t"
        key = request.url.path + ("?" + request.url.query.decode() if request.url.query else "")
        return routes.get(key, httpx.Response(404, json={"message": "Not Found"}))

    return httpx.MockTransport(answer)


def test_identify_follows_pages() -> None:
    page2 = "https://gh.test/api/user/installations?per_page=100&page=2"
    installs = "/api/user/installations?per_page=100"
    transport = api(
        {
            "/api/user": httpx.Response(200, json={"id": 9, "login": "Alice"}),
            installs: httpx.Response(
                200,
                json={"total_count": 3, "installations": [{"id": 5}, {"id": 3}]},
                headers={"link": f'<{page2}>; rel="next"'},
            ),
            installs + "&page=2": httpx.Response(200, json={"installations": [{"id": 5}, {"id": 8}]}),
            "/api/user/teams?per_page=100": httpx.Response(
                200,
                json=[
                    {"slug": "Security", "organization": {"login": "Acme"}},
                    {"slug": "billing", "organization": {"login": "acme"}},
                ],
            ),
        }
    )
    user = asyncio.run(identify("https://gh.test/api/", "ghu_t", transport=transport))
    assert (user.id, user.login, user.installations) == (9, "Alice", (3, 5, 8))
    assert user.teams == ("acme/billing", "acme/security")


@pytest.mark.parametrize(
    ("routes", "text"),
    [
        ({"/api/user": httpx.Response(401, json={"message": "Bad credentials"})}, "GET /api/user answered HTTP 401"),
        (
            {
                "/api/user": httpx.Response(200, json={"id": 1, "login": "a"}),
                "/api/user/installations?per_page=100": httpx.Response(200, json={"installations": "no"}),
            },
            "did not answer a list",
        ),
        (
            {
                "/api/user": httpx.Response(200, json={"id": 1, "login": "a"}),
                "/api/user/installations?per_page=100": httpx.Response(200, json={"installations": []}),
                "/api/user/teams?per_page=100": httpx.Response(200, json=[]),
            },
            None,
        ),
        (
            {
                "/api/user": httpx.Response(200, json={"id": 1}),
                "/api/user/installations?per_page=100": httpx.Response(200, json={"installations": []}),
                "/api/user/teams?per_page=100": httpx.Response(200, json=[]),
            },
            "did not name a user",
        ),
    ],
)
def test_identify_failures(routes: dict[str, httpx.Response], text: str | None) -> None:
    run = identify("https://gh.test/api", "ghu_t", transport=api(routes))
    if text is None:
        assert asyncio.run(run).installations == ()
        return
    with pytest.raises(GitHubError, match=text):
        asyncio.run(run)


def test_identify_unreachable() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(GitHubError, match="cannot reach GitHub: ConnectError"):
        asyncio.run(identify("https://gh.test/api", "t", transport=httpx.MockTransport(fail)))


def test_installation_repositories_carry_the_users_admin_bit(ghsim_inprocess: GitHubSim) -> None:
    """GitHub puts the user's `permissions` on each repository listed; only `admin: true` administers."""
    sim = ghsim_inprocess
    inst = sim.state.create_installation("acme")
    for name in ("acme/payments", "acme/site", "acme/docs"):
        sim.state.create_repo(name)
    oauth = oauth_of(sim.state)
    oauth.add_member("acme", "ada")
    oauth.set_role("acme/payments", "ada", "admin")
    oauth.set_role("acme/site", "ada", "maintain")  # maintain is not admin
    oauth.tokens["ghu_ada"] = "ada"
    found = asyncio.run(installation_repositories(sim.api_url, "ghu_ada", inst.id, transport=sim.transport()))
    assert found == {"acme/payments": True, "acme/site": False, "acme/docs": False}
    assert oauth.permissions("acme/site", "ada") == {
        "admin": False,
        "maintain": True,
        "push": True,
        "triage": True,
        "pull": True,
    }
    assert oauth.permissions("ada/own", "ada")["admin"]  # a personal repository's owner administers it
