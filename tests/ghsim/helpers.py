"""Small helpers for the simulator's own tests: raw HTTP clients authenticated as the App or an installation."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt

from tests.ghsim import GitHubSim


def app_jwt(sim: GitHubSim, *, iss: str | None = None, lifetime: int = 540, key: str | None = None) -> str:
    now = int(time.time())
    claims = {"iat": now - 60, "exp": now + lifetime, "iss": iss or str(sim.state.app_id)}
    return jwt.encode(claims, key or sim.keys.private_pem, algorithm="RS256")


def client(sim: GitHubSim, auth: str | None = None, **headers: str) -> httpx.Client:
    """A plain httpx client on the simulator's API root (GitHub Enterprise prefix included)."""
    if auth:
        headers["Authorization"] = auth
    return httpx.Client(base_url=sim.api_url, headers=headers, timeout=10)


def installation_client(sim: GitHubSim, installation_id: int, **headers: str) -> httpx.Client:
    token, _ = sim.state.issue_token(installation_id)
    return client(sim, f"token {token}", **headers)


def small_world(sim: GitHubSim) -> dict[str, Any]:
    inst = sim.state.create_installation("octo-org")
    repo = sim.state.create_repo("octo-org/hello", files={"README.md": "hi\n", "src/app.py": "x = 1\n"})
    pull = sim.state.create_pull(
        "octo-org/hello", changes={"src/app.py": "x = 2\n", "docs/new.md": "new\n"}, user="alice", title="Change x"
    )
    return {"installation": inst, "repo": repo, "pull": pull}
