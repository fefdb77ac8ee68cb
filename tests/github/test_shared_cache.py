"""Two App processes (two `GitHubApp`s, each with its own Redis connection) sharing the cache in the real Redis
against the GitHub simulator: one installation token, one membership question and one read of a missing
policy file serve both; a file one read is revalidated by the other with a free 304. Without the shared cache
each asks for itself."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator

import pytest

from ghapp.core.decisions import Gate
from ghapp.github import GitHubApp
from ghapp.github.api import MEMBERSHIP_TTL_S
from ghapp.github.cache import Cache, MemoryCache, RedisCache, cache_from_settings
from ghapp.github.policy_source import POLICY_PATH, PolicySource
from tests.conftest import REDIS_URL
from tests.ghsim import GitHubSim

REPO_POLICY = "gates:\n  lint:\n    applies_to: all\n"


@pytest.fixture
def shared(ghsim_inprocess: GitHubSim) -> Iterator[Callable[[], Cache]]:
    """Caches as two processes of one App would build them: same Redis, same prefix, same private key."""
    settings = ghsim_inprocess.settings(redis_url=REDIS_URL, queue_name=f"ghapp-test-{uuid.uuid4().hex[:10]}")
    made: list[RedisCache] = []

    def build() -> Cache:
        cache = cache_from_settings(settings)
        assert isinstance(cache, RedisCache)
        made.append(cache)
        return cache

    yield build
    made[0].clear()
    for cache in made:
        cache.close()


def world(sim: GitHubSim) -> int:
    inst = sim.state.create_installation("acme")
    sim.state.create_repo("acme/payments", files={"README.md": "x\n", POLICY_PATH: REPO_POLICY})
    sim.state.add_team_member("acme", "billing", "bob")
    return inst.id


def one_process(sim: GitHubSim, cache: Cache | None, installation_id: int) -> tuple[bool, bool, str]:
    """What a worker does for a review: its token, the policy (org file missing, repository file present),
    the memberships of the people who approved."""

    async def main() -> tuple[bool, bool, str]:
        async with sim.github_app(cache=cache) as app:
            api = app.installation(installation_id)
            loaded = await PolicySource().load(api, "acme", "payments", "main")
            bob = await api.team_membership("acme", "billing", "bob")
            carol = await api.team_membership("acme", "billing", "carol")
            assert loaded.policy is not None and loaded.policy.gate(Gate.LINT).applies_to == "all"
            return bob, carol, ",".join(loaded.sources)

    return asyncio.run(main())


def calls(sim: GitHubSim) -> dict[str, list[int]]:
    """Statuses of the simulator's answers, by the kind of call."""
    kinds = {
        "token": ("POST", r"/access_tokens$"),
        "member": ("GET", r"/memberships/"),
        "org policy": ("GET", r"/repos/acme/\.github/contents/"),
        "repo policy": ("GET", r"/repos/acme/payments/contents/"),
    }
    return {kind: [r.status for r in sim.state.requests(method, path)] for kind, (method, path) in kinds.items()}


@pytest.mark.redis
def test_two_processes_sharing_redis_ask_github_once(ghsim_inprocess: GitHubSim, shared: Callable[[], Cache]) -> None:
    iid = world(ghsim_inprocess)
    first = one_process(ghsim_inprocess, shared(), iid)
    second = one_process(ghsim_inprocess, shared(), iid)
    assert first == second == (True, False, f"policies/default.yml,{POLICY_PATH}")
    assert calls(ghsim_inprocess) == {
        "token": [201],  # the second process took the first one's token
        "member": [200, 404],  # bob and carol asked once, by the first process
        "org policy": [404],  # missing: remembered for both
        "repo policy": [200, 304],  # found: the second revalidated the first's copy at no rate-limit cost
    }


def test_without_a_shared_cache_each_process_asks_for_itself(ghsim_inprocess: GitHubSim) -> None:
    iid = world(ghsim_inprocess)
    one_process(ghsim_inprocess, None, iid)
    one_process(ghsim_inprocess, None, iid)
    assert calls(ghsim_inprocess) == {
        "token": [201, 201],
        "member": [200, 404, 200, 404],
        "org policy": [404, 404],
        "repo policy": [200, 200],
    }


@pytest.mark.redis
def test_the_shared_token_expires_before_github_would_refuse_it(
    ghsim_inprocess: GitHubSim, shared: Callable[[], Cache]
) -> None:
    iid = world(ghsim_inprocess)
    cache = shared()
    assert isinstance(cache, RedisCache)
    one_process(ghsim_inprocess, cache, iid)
    ttl_ms = cache.client.pttl(cache.prefix + f"installation-token:{iid}")
    value, token = next(iter(ghsim_inprocess.state.tokens.items()))
    lifetime = (token.expires_at - ghsim_inprocess.state.clock.now()).total_seconds()
    # GitHub gives an hour; the shared copy is dropped at the 5-minute refresh margin, not at expiry
    assert 3000 < ttl_ms / 1000 <= lifetime - 290
    raw = cache.client.get(cache.prefix + f"installation-token:{iid}")
    assert raw is not None and value.encode() not in raw and b"ghs_" not in raw
    assert 0 < cache.client.pttl(cache.prefix + "team-member:" + f"{iid}:acme/billing:bob") <= MEMBERSHIP_TTL_S * 1000


def test_a_membership_answer_is_kept_for_its_ttl_only() -> None:
    clock = [0.0]
    cache = MemoryCache(clock=lambda: clock[0])
    cache.set("team-member:1:acme/billing:bob", True, MEMBERSHIP_TTL_S)
    clock[0] = MEMBERSHIP_TTL_S + 1
    assert cache.get("team-member:1:acme/billing:bob") is None


def test_the_app_builds_its_github_client_with_the_cache(ghsim_inprocess: GitHubSim) -> None:
    app = GitHubApp(ghsim_inprocess.settings(), cache=MemoryCache())
    assert app.cache is not None and app.tokens._shared is app.cache and app.etags._shared is app.cache
