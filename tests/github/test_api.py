"""InstallationAPI's calls against the in-process simulator: what each returns, and clear errors on odd answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from ghapp.github import GitHubError, InstallationAPI
from tests.ghsim import GitHubSim

T = TypeVar("T")


def run(sim: GitHubSim, body: Callable[[InstallationAPI], Awaitable[T]]) -> T:
    inst = sim.state.create_installation("octo-org")
    sim.state.create_repo(
        "octo-org/hello",
        files={"README.md": "hi\n", "docs/a.md": "a\n", "big.txt": "b" * (1024 * 1024 + 10), "bin.dat": b"\xff\xfe"},
    )
    sim.state.create_pull("octo-org/hello", commits=[{"x.py": "1\n"}, {"x.py": "2\n"}], user="alice")

    async def main() -> T:
        async with sim.github_app() as app:
            return await body(app.installation(inst.id))

    return asyncio.run(main())


def test_reads(ghsim_inprocess: GitHubSim) -> None:
    async def body(api: InstallationAPI) -> dict[str, Any]:
        ghsim_inprocess.state.add_review("octo-org/hello", 1, "bob", "COMMENTED")
        pull = await api.get_pull("octo-org", "hello", 1)
        return {
            "repo": (await api.get_repo("octo-org", "hello"))["default_branch"],
            "commits": [c["commit"]["message"] for c in await api.list_pull_commits("octo-org", "hello", 1)],
            "reviews": [r["state"] for r in await api.list_reviews("octo-org", "hello", 1)],
            "compare": (await api.compare("octo-org", "hello", "main", pull["head"]["sha"]))["ahead_by"],
            "big": len((await api.get_content("octo-org", "hello", "big.txt") or ("", ""))[0]),
        }

    assert run(ghsim_inprocess, body) == {
        "repo": "main",
        "commits": ["Change 1", "Change 2"],
        "reviews": ["COMMENTED"],
        "compare": 2,
        "big": 1024 * 1024 + 10,
    }


def test_writes(ghsim_inprocess: GitHubSim) -> None:
    ghsim_inprocess.state.add_team_member("octo-org", "security", "carol")

    async def body(api: InstallationAPI) -> dict[str, Any]:
        await api.request_reviewers("octo-org", "hello", 1, ["bob"], ["security"])
        after = await api.remove_requested_reviewers("octo-org", "hello", 1, ["bob"])
        await api.add_labels("octo-org", "hello", 1, ["ai-generated", "sensitive"])
        removed = await api.remove_label("octo-org", "hello", 1, "sensitive")
        issue = await api.create_issue("octo-org", "hello", "Policy invalid", "line 3", ["policy"], assignees=["carol"])
        dressed = [
            await api.update_label("octo-org", "hello", name, "ffcc00", "Reviewed") for name in ("ai-generated", "nope")
        ]
        head = (await api.get_pull("octo-org", "hello", 1))["head"]["sha"]
        containing = [p["number"] for p in await api.list_commit_pulls("octo-org", "hello", head)]
        comment = await api.create_comment("octo-org", "hello", 1, "Checks started")
        runs = await api.list_check_runs_for_ref("octo-org", "hello", "main", app_id=4242)
        return {
            "requested": [t["slug"] for t in after["requested_teams"]] + after["requested_reviewers"],
            "labels": [x["name"] for x in await api.list_labels("octo-org", "hello", 1)],
            "removed": removed,
            "issue": (issue["number"], [x["name"] for x in issue["labels"]], issue["assignees"][0]["login"]),
            "comment": comment["body"],
            "runs": runs,
            "dressed": dressed,
            "containing": containing,
        }

    assert run(ghsim_inprocess, body) == {
        "requested": ["security"],
        "labels": ["ai-generated"],
        "removed": True,
        "issue": (2, ["policy"], "carol"),
        "comment": "Checks started",
        "runs": [],
        "dressed": [True, False],
        "containing": [1],
    }
    assert ghsim_inprocess.state.requests("GET", r"/check-runs$")[0].query["app_id"] == "4242"


@pytest.mark.parametrize(("path", "message"), [("docs", "is not a file"), ("bin.dat", "not UTF-8")])
def test_content_that_is_not_a_text_file_is_a_clear_error(ghsim_inprocess: GitHubSim, path: str, message: str) -> None:
    async def body(api: InstallationAPI) -> Any:
        return await api.get_content("octo-org", "hello", path)

    with pytest.raises(GitHubError, match=message):
        run(ghsim_inprocess, body)


def test_answers_of_the_wrong_shape_are_clear_errors() -> None:
    sim = GitHubSim()

    def odd(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/access_tokens"):
            return httpx.Response(201, json={"token": "ghs_" + "x" * 40, "expires_at": "2099-01-01T00:00:00Z"})
        if request.url.path.endswith("/contents/weird.yml"):
            return httpx.Response(200, json={"type": "file", "encoding": "base64", "content": "%%%", "sha": "1"})
        return httpx.Response(200, json=["a list"])

    async def main() -> None:
        async with sim.github_app(transport=httpx.MockTransport(odd)) as app:
            api = app.installation(1)
            with pytest.raises(GitHubError, match="where an object was expected"):
                await api.get_pull("o", "r", 1)
            with pytest.raises(GitHubError, match="list of objects"):
                await api.add_labels("o", "r", 1, ["x"])
            with pytest.raises(GitHubError, match="undecodable"):
                await api.get_content("o", "r", "weird.yml")

    asyncio.run(main())
