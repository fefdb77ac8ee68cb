"""The simulator authenticates like GitHub: App JWTs on app routes, installation tokens elsewhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.ghsim import GitHubSim
from tests.ghsim.helpers import app_jwt, client, installation_client, small_world


def test_token_request_needs_a_valid_app_jwt(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    url = f"app/installations/{world['installation'].id}/access_tokens"
    other_key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with client(ghsim) as anonymous:
        assert anonymous.post(url).status_code == 401
    for bad in (app_jwt(ghsim, key=other_key), app_jwt(ghsim, iss="999"), app_jwt(ghsim, lifetime=3600)):
        with client(ghsim, f"Bearer {bad}") as wrong:
            answer = wrong.post(url)
            assert answer.status_code == 401
            assert set(answer.json()) == {"message", "documentation_url", "status"}
    with client(ghsim, f"Bearer {app_jwt(ghsim)}") as app:
        answer = app.post(url)
        assert app.post("app/installations/424242/access_tokens").status_code == 404
    assert answer.status_code == 201
    body = answer.json()
    assert re.fullmatch(r"ghs_[A-Za-z0-9._-]{36,}", body["token"]) and len(body["token"]) > 500
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["expires_at"])  # exactly what githubkit parses
    expires = datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)


def test_installation_tokens_expire_and_unknown_tokens_are_bad_credentials(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    with installation_client(ghsim, world["installation"].id) as gh:
        assert gh.get("repos/octo-org/hello").status_code == 200
        ghsim.state.clock.advance(3601)
        expired = gh.get("repos/octo-org/hello")
    assert expired.status_code == 401 and expired.json()["message"] == "Bad credentials"
    assert expired.json()["documentation_url"].startswith("https://docs.github.com/")
    with client(ghsim, "token ghs_unknown") as gh:
        assert gh.get("repos/octo-org/hello").json()["message"] == "Bad credentials"


def test_app_routes_refuse_installation_tokens_and_tokens_see_only_their_repos(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    other = ghsim.state.create_installation("elsewhere")
    ghsim.state.create_repo("elsewhere/secret")
    with installation_client(ghsim, world["installation"].id) as gh:
        assert gh.get("app/hook/deliveries").status_code == 401
        assert gh.get("repos/elsewhere/secret").status_code == 404
        assert gh.get("orgs/elsewhere/teams/x/memberships/y").status_code == 404
    with installation_client(ghsim, other.id) as gh:
        assert gh.get("repos/elsewhere/secret").status_code == 200
    with client(ghsim, f"Bearer {app_jwt(ghsim)}") as app:
        found = app.get("repos/octo-org/hello/installation")
        assert found.status_code == 200 and found.json()["id"] == world["installation"].id
        assert app.get("repos/nobody/nothing/installation").status_code == 404


def test_github_enterprise_prefix(ghsim_ghes: GitHubSim) -> None:
    world = small_world(ghsim_ghes)
    with installation_client(ghsim_ghes, world["installation"].id) as gh:
        assert str(gh.base_url).endswith("/api/v3/")
        assert gh.get("repos/octo-org/hello").status_code == 200
        assert gh.get(ghsim_ghes.root_url + "repos/octo-org/hello").status_code == 404  # outside /api/v3
