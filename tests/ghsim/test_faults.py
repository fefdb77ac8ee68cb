"""Injected faults look like GitHub's failures on the wire, over real HTTP and in-process."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.ghsim import GitHubSim
from tests.ghsim.helpers import installation_client, small_world


@pytest.mark.parametrize(
    ("kind", "status", "header", "value"),
    [
        ("5xx", 502, None, None),
        ("secondary", 403, "retry-after", "7"),
        ("429", 429, "retry-after", "7"),
        ("primary", 403, "x-ratelimit-remaining", "0"),
    ],
)
def test_error_faults_then_normal_answers(
    ghsim: GitHubSim, kind: str, status: int, header: str | None, value: str | None
) -> None:
    world = small_world(ghsim)
    fault = ghsim.faults.add(r"^/repos/octo-org/hello$", kind, 2, retry_after=7)  # type: ignore[arg-type]
    with installation_client(ghsim, world["installation"].id) as gh:
        answers = [gh.get("repos/octo-org/hello") for _ in range(3)]
        assert gh.get("repos/octo-org/hello/pulls/1").status_code == 200  # other routes unaffected
    assert [a.status_code for a in answers] == [status, status, 200] and fault.hits == 2
    if header is not None:
        assert answers[0].headers[header] == value
    if kind in ("secondary", "429"):
        assert "secondary rate limit" in answers[0].json()["message"]
    if kind == "primary":
        assert int(answers[0].headers["x-ratelimit-reset"]) > time.time() + 50


def test_method_filter_and_unlimited_count(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.faults.add(r"/check-runs$", "5xx", None, method="POST", status=503)
    with installation_client(ghsim, world["installation"].id) as gh:
        statuses = [gh.post("repos/octo-org/hello/check-runs", json={}).status_code for _ in range(3)]
        assert gh.get(f"repos/octo-org/hello/commits/{world['pull'].head_sha}/check-runs").status_code == 200
        ghsim.faults.clear()
        assert gh.post("repos/octo-org/hello/check-runs", json={}).status_code == 422
    assert statuses == [503, 503, 503]
    with pytest.raises(ValueError, match="unknown fault kind"):
        ghsim.faults.add("x", "teapot")  # type: ignore[arg-type]


def test_slow_and_dropped_over_real_http(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.faults.add(r"/pulls/1$", "slow", 1, delay=0.4)
    ghsim.faults.add(r"/pulls/1/files$", "drop", 1)
    with installation_client(ghsim, world["installation"].id) as gh:
        started = time.monotonic()
        assert gh.get("repos/octo-org/hello/pulls/1").status_code == 200
        assert time.monotonic() - started >= 0.4
        with pytest.raises(httpx.RemoteProtocolError):  # the socket closed without a byte of answer
            gh.get("repos/octo-org/hello/pulls/1/files")
        assert gh.get("repos/octo-org/hello/pulls/1/files").status_code == 200
    assert [r.status for r in ghsim.state.requests(path=r"/files$")] == [0, 200]


def test_dropped_in_process(ghsim_inprocess: GitHubSim) -> None:
    world = small_world(ghsim_inprocess)
    token, _ = ghsim_inprocess.state.issue_token(world["installation"].id)
    ghsim_inprocess.faults.add(r"^/repos/octo-org/hello$", "drop", 1)

    async def main() -> int:
        async with httpx.AsyncClient(
            transport=ghsim_inprocess.transport(),
            base_url=ghsim_inprocess.api_url,
            headers={"Authorization": f"token {token}"},
        ) as gh:
            with pytest.raises(httpx.RemoteProtocolError):
                await gh.get("repos/octo-org/hello")
            return (await gh.get("repos/octo-org/hello")).status_code

    assert asyncio.run(main()) == 200
