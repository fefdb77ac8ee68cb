"""GitHubApp against the GitHub simulator over real HTTP: auth and token caching, GitHub Enterprise URLs,
pagination caps, retries, the circuit breaker, rate limits, ETags, tarballs, dropped connections, check run limits."""

from __future__ import annotations

import asyncio
import io
import logging
import tarfile
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from ghapp.github import (
    CallCounter,
    GitHubApp,
    GitHubError,
    GitHubUnavailable,
    NotFound,
    RateLimited,
    RetryPolicy,
    TooLarge,
    ValidationFailed,
)
from ghapp.github.auth import TokenCache
from tests.ghsim import GitHubSim

T = TypeVar("T")
PULL = "/repos/{owner}/{repo}/pulls/{pull_number}"


class Sleeps:
    """Records the waits the client asks for instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def world(sim: GitHubSim) -> int:
    inst = sim.state.create_installation("octo-org")
    sim.state.create_repo("octo-org/hello", files={"app.py": "x = 1\n", ".github/prompt-to-pr.yml": "version: 1\n"})
    sim.state.create_pull("octo-org/hello", changes={"app.py": "x = 2\n"}, user="alice")
    return inst.id


def run(sim: GitHubSim, body: Callable[[GitHubApp, int], Awaitable[T]], **kwargs: Any) -> T:
    installation_id = world(sim) if not sim.state.installations else next(iter(sim.state.installations))

    async def main() -> T:
        async with sim.github_app(**kwargs) as app:
            return await body(app, installation_id)

    return asyncio.run(main())


def test_one_token_serves_many_calls_and_app_routes_use_the_jwt(ghsim: GitHubSim) -> None:
    async def body(app: GitHubApp, iid: int) -> None:
        api = app.installation(iid)
        await asyncio.gather(*(api.get_pull("octo-org", "hello", 1) for _ in range(5)))
        await app.app_request("GET", "/repos/{owner}/{repo}/installation", "/repos/octo-org/hello/installation")

    run(ghsim, body)
    assert len(ghsim.state.requests("POST", r"/access_tokens$")) == 1
    token_call = ghsim.state.requests("POST", r"/access_tokens$")[0]
    assert token_call.auth == "app"  # the token request itself is signed with the App's JWT
    assert [r.auth for r in ghsim.state.requests("GET", r"/pulls/1$")] == [f"installation:{1001}"] * 5
    assert ghsim.state.requests("GET", r"/installation$")[0].auth == "app"
    token = next(iter(ghsim.state.tokens))
    assert token.startswith("ghs_") and len(token) > 500


def test_a_new_token_is_fetched_once_the_old_one_expires(ghsim: GitHubSim) -> None:
    cache = TokenCache(clock=ghsim.state.clock.now)

    async def body(app: GitHubApp, iid: int) -> None:
        api = app.installation(iid)
        await api.get_pull("octo-org", "hello", 1)
        ghsim.state.clock.advance(56 * 60)  # inside the refresh margin: renewed before GitHub would refuse it
        await api.get_pull("octo-org", "hello", 1)
        await api.get_pull("octo-org", "hello", 1)

    run(ghsim, body, token_cache=cache)
    assert len(ghsim.state.requests("POST", r"/access_tokens$")) == 2
    assert all(r.status == 200 for r in ghsim.state.requests("GET", r"/pulls/1$"))


def test_a_token_github_refuses_is_replaced_once(ghsim: GitHubSim) -> None:
    async def body(app: GitHubApp, iid: int) -> dict[str, Any]:
        api = app.installation(iid)
        await api.get_pull("octo-org", "hello", 1)
        ghsim.state.tokens.clear()  # revoked on GitHub's side
        return await api.get_pull("octo-org", "hello", 1)

    assert run(ghsim, body)["number"] == 1
    assert [r.status for r in ghsim.state.requests("GET", r"/pulls/1$")] == [200, 401, 200]


def test_github_enterprise_base_url_with_api_v3(ghsim_ghes: GitHubSim) -> None:
    assert ghsim_ghes.api_url.endswith("/api/v3/")

    async def body(app: GitHubApp, iid: int) -> tuple[dict[str, Any], int]:
        api = app.installation(iid)
        pull = await api.get_pull("octo-org", "hello", 1)
        return pull, await api.download_tarball("octo-org", "hello", pull["head"]["sha"], io.BytesIO(), 10**6)

    pull, size = run(ghsim_ghes, body)
    assert pull["number"] == 1 and size > 0
    assert {r.path for r in ghsim_ghes.state.log} >= {
        "/app/installations/1001/access_tokens",
        "/repos/octo-org/hello/pulls/1",
    }


def test_pull_files_follow_link_pages_up_to_githubs_3000_cap(ghsim: GitHubSim) -> None:
    world(ghsim)
    ghsim.state.create_pull("octo-org/hello", changes={f"f/{i:04}.txt": f"{i}\n" for i in range(3500)})
    counter = CallCounter()

    async def body(app: GitHubApp, iid: int) -> list[dict[str, Any]]:
        with counter.bind():
            return await app.installation(iid).list_pull_files("octo-org", "hello", 2)

    files = run(ghsim, body)
    assert len(files) == 3000
    assert files[0]["filename"] == "f/0000.txt" and files[-1]["filename"] == "f/2999.txt"
    pages = ghsim.state.requests("GET", r"/pulls/2/files$")
    assert len(pages) == 30 and pages[0].query == {"per_page": "100"}
    assert counter.count("GET /repos/{owner}/{repo}/pulls/{pull_number}/files") == 30


def test_server_errors_are_retried_with_short_jittered_waits(ghsim: GitHubSim) -> None:
    ghsim.faults.add(r"/pulls/1$", "5xx", 2, status=502)
    sleeps = Sleeps()

    async def body(app: GitHubApp, iid: int) -> dict[str, Any]:
        return await app.installation(iid).get_pull("octo-org", "hello", 1)

    assert run(ghsim, body, sleep=sleeps)["number"] == 1
    assert [r.status for r in ghsim.state.requests("GET", r"/pulls/1$")] == [502, 502, 200]
    policy = RetryPolicy()
    assert len(sleeps.waits) == 2 and sum(sleeps.waits) <= policy.total_wait_cap_s
    assert policy.base_delay_s / 2 <= sleeps.waits[0] <= policy.base_delay_s


def test_server_errors_that_persist_raise_github_unavailable(ghsim: GitHubSim) -> None:
    ghsim.faults.add(r"/pulls/1$", "5xx", None, status=503)

    async def body(app: GitHubApp, iid: int) -> None:
        await app.installation(iid).get_pull("octo-org", "hello", 1)

    with pytest.raises(GitHubUnavailable) as caught:
        run(ghsim, body, sleep=Sleeps())
    assert caught.value.status == 503 and caught.value.retry_after_s > 0
    assert len(ghsim.state.requests("GET", r"/pulls/1$")) == RetryPolicy().attempts


def test_circuit_breaker_opens_fails_fast_then_half_opens(ghsim: GitHubSim) -> None:
    policy = RetryPolicy(attempts=2, breaker_threshold=3, breaker_cooldown_s=0.3)
    fault = ghsim.faults.add(r"/pulls/1$", "5xx", None)

    async def body(app: GitHubApp, iid: int) -> list[str]:
        api = app.installation(iid)
        seen: list[str] = []
        for _ in range(2):  # 2 attempts each: the third failure opens the breaker
            with pytest.raises(GitHubUnavailable):
                await api.get_pull("octo-org", "hello", 1)
        seen.append(app.breaker().state)
        sent = len(ghsim.state.requests("GET", r"/pulls/1$"))
        with pytest.raises(GitHubUnavailable, match="circuit open"):
            await api.get_pull("octo-org", "hello", 1)
        assert len(ghsim.state.requests("GET", r"/pulls/1$")) == sent  # failed fast: nothing sent
        await asyncio.sleep(0.35)
        seen.append(app.breaker().state)
        fault.count = 0  # GitHub recovered
        await api.get_pull("octo-org", "hello", 1)
        seen.append(app.breaker().state)
        return seen

    assert run(ghsim, body, policy=policy, sleep=Sleeps()) == ["open", "half-open", "closed"]
    assert len(ghsim.state.requests("GET", r"/pulls/1$")) == 4


def test_failed_probe_reopens_the_breaker(ghsim: GitHubSim) -> None:
    policy = RetryPolicy(attempts=1, breaker_threshold=1, breaker_cooldown_s=0.2)
    ghsim.faults.add(r"/pulls/1$", "5xx", None)

    async def body(app: GitHubApp, iid: int) -> str:
        api = app.installation(iid)
        with pytest.raises(GitHubUnavailable):
            await api.get_pull("octo-org", "hello", 1)
        await asyncio.sleep(0.25)
        with pytest.raises(GitHubUnavailable, match="502"):  # the probe went out and failed
            await api.get_pull("octo-org", "hello", 1)
        return app.breaker().state

    assert run(ghsim, body, policy=policy) == "open"


def test_secondary_rate_limit_with_long_retry_after_reschedules_at_once(ghsim: GitHubSim) -> None:
    ghsim.faults.add(r"/requested_reviewers$", "secondary", 1, retry_after=120)

    async def body(app: GitHubApp, iid: int) -> None:
        await app.installation(iid).request_reviewers("octo-org", "hello", 1, ["bob"])

    sleeps = Sleeps()
    with pytest.raises(RateLimited) as caught:
        run(ghsim, body, sleep=sleeps)
    assert sleeps.waits == []  # handed back to the job to reschedule, not waited out in the worker
    assert len(ghsim.state.requests("POST", r"/requested_reviewers$")) == 1
    assert caught.value.retry_after_s == 120 and caught.value.status == 403
    assert ghsim.state.repo("octo-org/hello").pull(1).requested_users == []  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["secondary", "429"])
def test_short_rate_limit_waits_are_honoured_in_place(ghsim: GitHubSim, kind: str) -> None:
    ghsim.faults.add(r"/pulls/1$", kind, 1, retry_after=2)  # type: ignore[arg-type]
    sleeps = Sleeps()

    async def body(app: GitHubApp, iid: int) -> dict[str, Any]:
        return await app.installation(iid).get_pull("octo-org", "hello", 1)

    assert run(ghsim, body, sleep=sleeps)["number"] == 1
    assert sleeps.waits == [2.0]


def test_a_bare_403_is_forbidden_and_an_empty_bucket_waits_for_the_reset(ghsim: GitHubSim) -> None:
    world(ghsim)
    ghsim.faults.add(r"/pulls/1$", "5xx", 1, status=403)  # a bare 403 is not a rate limit: Forbidden
    ghsim.state.rate_limit = 2

    async def body(app: GitHubApp, iid: int) -> None:
        api = app.installation(iid)
        with pytest.raises(GitHubError) as forbidden:
            await api.get_pull("octo-org", "hello", 1)
        assert type(forbidden.value).__name__ == "Forbidden"
        await api.get_pull("octo-org", "hello", 1)
        await api.get_pull("octo-org", "hello", 1)
        await api.get_pull("octo-org", "hello", 1)  # the bucket of 2 is empty now

    with pytest.raises(RateLimited) as caught:
        run(ghsim, body)
    assert 3500 < caught.value.retry_after_s <= 3600  # until the window resets


def test_secondary_limit_without_retry_after_means_a_minute_so_reschedules(ghsim: GitHubSim) -> None:
    ghsim.faults.add(r"/pulls/1$", "secondary", 1, retry_after=None)

    async def body(app: GitHubApp, iid: int) -> None:
        await app.installation(iid).get_pull("octo-org", "hello", 1)

    with pytest.raises(RateLimited) as caught:
        run(ghsim, body)
    assert caught.value.retry_after_s == 60


def test_primary_rate_limit_raises_with_the_reset_time(ghsim: GitHubSim) -> None:
    ghsim.faults.add(r"/pulls/1$", "primary", 1, reset_in=900)
    counter = CallCounter()

    async def body(app: GitHubApp, iid: int) -> None:
        await app.installation(iid).get_pull("octo-org", "hello", 1)

    with pytest.raises(RateLimited) as caught:
        run(ghsim, body, counter=counter)
    assert 890 <= caught.value.retry_after_s <= 900
    assert counter.snapshot().rate_remaining == 0


def test_etags_turn_rereads_into_304s_that_cost_no_rate_limit(ghsim: GitHubSim) -> None:
    world(ghsim)
    ghsim.state.add_team_member("octo-org", "security", "carol")
    counter = CallCounter()

    async def body(app: GitHubApp, iid: int) -> list[Any]:
        api = app.installation(iid)
        results: list[Any] = []
        for _ in range(3):
            results.append(await api.get_content("octo-org", "hello", ".github/prompt-to-pr.yml", "main"))
            results.append(await api.team_membership("octo-org", "security", "carol"))
            results.append(await api.list_requested_reviewers("octo-org", "hello", 1))
        return results

    results = run(ghsim, body, counter=counter)
    assert results[0][0] == "version: 1\n" and results[0] == results[3] == results[6]
    assert results[1] is results[4] is results[7] is True
    statuses = [r.status for r in ghsim.state.requests("GET", r"/contents/|/memberships/|/requested_reviewers")]
    assert statuses == [200, 200, 200] + [304] * 6
    snap = counter.snapshot()
    assert snap.not_modified == 6
    bucket = ghsim.state.buckets["installation:1001"]
    assert bucket.limit - bucket.remaining == 3  # the six 304s were free


def test_content_missing_or_not_a_member_reads_as_none_and_false(ghsim: GitHubSim) -> None:
    async def body(app: GitHubApp, iid: int) -> tuple[Any, bool, bool]:
        api = app.installation(iid)
        return (
            await api.get_content("octo-org", "hello", "nope.yml"),
            await api.team_membership("octo-org", "security", "mallory"),
            await api.remove_label("octo-org", "hello", 1, "not-there"),
        )

    assert run(ghsim, body) == (None, False, False)


def test_tarball_redirect_is_followed_and_the_byte_cap_holds(ghsim: GitHubSim) -> None:
    async def body(app: GitHubApp, iid: int) -> tuple[bytes, str]:
        api = app.installation(iid)
        sha = (await api.get_pull("octo-org", "hello", 1))["head"]["sha"]
        with pytest.raises(TooLarge):
            await api.download_tarball("octo-org", "hello", sha, io.BytesIO(), 50)
        sink = io.BytesIO()
        await api.download_tarball("octo-org", "hello", sha, sink, 10**6)
        return sink.getvalue(), sha

    data, sha = run(ghsim, body)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        names = archive.getnames()
        member = archive.extractfile(f"octo-org-hello-{sha[:7]}/app.py")
        assert member is not None and member.read() == b"x = 2\n"
    assert all(name.startswith(f"octo-org-hello-{sha[:7]}/") for name in names)
    assert [r.status for r in ghsim.state.requests("GET", r"/tarball/")] == [302, 302]


def test_dropped_connection_is_retried_for_reads_not_for_creates(ghsim: GitHubSim) -> None:
    ghsim.faults.add(r"/pulls/1$", "drop", 1)
    ghsim.faults.add(r"/check-runs$", "drop", 1, method="POST")

    async def body(app: GitHubApp, iid: int) -> dict[str, Any]:
        api = app.installation(iid)
        pull = await api.get_pull("octo-org", "hello", 1)
        with pytest.raises(GitHubUnavailable):  # it may have been created: the job decides, not a blind retry
            await api.create_check_run("octo-org", "hello", {"name": "lint", "head_sha": pull["head"]["sha"]})
        return pull

    assert run(ghsim, body, sleep=Sleeps())["number"] == 1
    assert [r.status for r in ghsim.state.requests("GET", r"/pulls/1$")] == [0, 200]
    assert [r.status for r in ghsim.state.requests("POST", r"/check-runs$")] == [0]


def test_slow_answers_time_out_and_are_retried(ghsim: GitHubSim) -> None:
    ghsim.faults.add(r"/pulls/1$", "slow", 1, delay=1.5)

    async def body(app: GitHubApp, iid: int) -> dict[str, Any]:
        return await app.installation(iid).get_pull("octo-org", "hello", 1)

    sleeps = Sleeps()
    assert run(ghsim, body, timeout_s=0.5, sleep=sleeps)["number"] == 1
    assert len(sleeps.waits) == 1  # the first try was given up on: one pause, then the second try
    assert len(ghsim.state.requests("GET", r"/pulls/1$")) == 1  # the simulator never got to answer the first


def test_check_run_limits_surface_as_validation_errors(ghsim: GitHubSim) -> None:
    note = {"path": "app.py", "start_line": 1, "end_line": 1, "annotation_level": "warning", "message": "m"}

    async def body(app: GitHubApp, iid: int) -> dict[str, Any]:
        api = app.installation(iid)
        sha = (await api.get_pull("octo-org", "hello", 1))["head"]["sha"]
        output = {"title": "t", "summary": "s", "annotations": [note] * 51}
        with pytest.raises(ValidationFailed):  # githubkit refuses it before sending
            await api.create_check_run("octo-org", "hello", {"name": "lint", "head_sha": sha, "output": output})
        with pytest.raises(ValidationFailed) as unknown:
            await api.create_check_run("octo-org", "hello", {"name": "lint", "head_sha": "f" * 40})
        assert unknown.value.status == 422
        run_ = await api.create_check_run(
            "octo-org",
            "hello",
            {
                "name": "lint",
                "head_sha": sha,
                "status": "in_progress",
                "output": {"title": "t", "summary": "s", "annotations": [note] * 50},
            },
        )
        done = await api.update_check_run(
            "octo-org",
            "hello",
            run_["id"],
            {"conclusion": "failure", "output": {"title": "t", "summary": "s", "annotations": [note] * 20}},
        )
        listed = await api.list_check_runs_for_ref("octo-org", "hello", sha, check_name="lint")
        assert [r["id"] for r in listed] == [run_["id"]]
        return done

    done = run(ghsim, body)
    assert done["status"] == "completed" and done["output"]["annotations_count"] == 70
    assert len(ghsim.state.requests("POST", r"/check-runs$")) == 2  # the 51-annotation one never left


def test_not_found_and_call_counting_per_job(ghsim: GitHubSim) -> None:
    app_wide, job = CallCounter(), CallCounter()

    async def body(app: GitHubApp, iid: int) -> None:
        api = app.installation(iid)
        await api.get_pull("octo-org", "hello", 1)
        with job.bind():
            with pytest.raises(NotFound):
                await api.get_pull("octo-org", "hello", 99)
            await api.add_labels("octo-org", "hello", 1, ["ai-generated"])
            await api.download_tarball("octo-org", "hello", "main", io.BytesIO(), 10**6)

    run(ghsim, body, counter=app_wide)
    assert job.snapshot().calls == {
        f"GET {PULL}": 1,
        "POST /repos/{owner}/{repo}/issues/{issue_number}/labels": 1,
        "GET /repos/{owner}/{repo}/tarball/{ref}": 1,
        "GET 127.0.0.1": 1,
    }
    assert app_wide.count(f"GET {PULL}") == 2
    assert app_wide.count("POST /app/installations/{installation_id}/access_tokens") == 1
    assert job.snapshot().rate_remaining is not None


def test_tokens_never_reach_the_logs(ghsim: GitHubSim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def body(app: GitHubApp, iid: int) -> None:
        api = app.installation(iid)
        await api.get_pull("octo-org", "hello", 1)
        ghsim.faults.add(r"/pulls/1$", "5xx", 1)
        await api.get_pull("octo-org", "hello", 1)

    run(ghsim, body, sleep=Sleeps())
    token = next(iter(ghsim.state.tokens))
    assert caplog.records and token not in caplog.text
    assert token not in repr(ghsim.state.tokens[token])


def test_missing_credentials_are_a_clear_error(ghsim: GitHubSim) -> None:
    with pytest.raises(GitHubError, match="GHAPP_APP_ID"):
        GitHubApp(ghsim.settings(private_key=""))
