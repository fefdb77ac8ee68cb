"""PostgreSQL and Redis failing under load, with the App scaled out (PostgreSQL inbox, Redis queue, workers in
process): every backend of the App's database terminated, then every Redis connection of the App's queue
killed, before each of 12 pull-request deliveries. A delivery refused during the fault (503) is redelivered by the
missed-delivery job from GitHub's delivery log, as in production. Afterwards every pull request has one run
per gate and one review request, and every delivery the App accepted is done.

Shared services: only this test's own database and its own Redis database number are touched
(`pg_terminate_backend` on that database's backends, `CLIENT KILL ID` on clients of that Redis database)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import psycopg
import pytest
import redis

from ghapp.store.deliveries import DeliveryState
from tests.conftest import PG_ADMIN, migrated_pg_database
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, AppServer, build_world, fake_runners
from tests.ghsim import GitHubSim
from tests.ghsim.state import Pull
from tests.reliability.app_under_test import fast_forward, serving

REDIS_DB = 11  # a Redis database number of this test's own; its clients alone are killed
PULLS = 12


@pytest.fixture
def own_database() -> Iterator[str]:
    with migrated_pg_database("ghapp_faults") as url:
        yield url


def terminate_backends(database: str) -> int:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return len(rows)


def kill_redis_clients(db: int) -> int:
    client = redis.Redis(host="127.0.0.1", port=6379, db=0)
    try:
        mine = client.client_id()
        victims = [c["id"] for c in client.client_list() if int(c.get("db", -1)) == db and int(c["id"]) != mine]
        for victim in victims:
            client.client_kill_filter(_id=victim)
        return len(victims)
    finally:
        client.close()


def run_load(sim: GitHubSim, app: AppServer, fault: Callable[[], int], tag: str) -> tuple[list[Pull], int]:
    """Open PULLS pull requests, one delivery each; the fault strikes before every one."""
    pulls, killed = [], 0
    for i in range(PULLS):
        killed += fault()
        pull = sim.state.create_pull(
            REPO,
            changes={"billing/charge.py": CHARGE_AI + f"# {tag} {i}\n"},
            messages=[AI_MESSAGE],
            body=AI_BODY,
            user="alice",
            title=f"{tag} {i}",
        )
        sim.send_webhook(app.url, "pull_request", sim.payloads.pull_request(REPO, pull.number))
        pulls.append(pull)
    return pulls, killed


def finish(sim: GitHubSim, app: AppServer, pulls: list[Pull], timeout: float = 120) -> None:
    """Let redelivery and retries run their course (their waits skipped), then check GitHub's state."""
    inbox = app.app.state.inbox
    deadline = time.monotonic() + timeout
    while True:
        counts = inbox.counts()
        failed_upstream = [d for d in sim.state.deliveries if d.status_code != 202 and not d.redelivery]
        done_heads = all(
            len(sim.state.check_runs_for(REPO, p.head_sha)) >= 6
            and all(r.status == "completed" for r in sim.state.check_runs_for(REPO, p.head_sha))
            for p in pulls
        )
        if counts[DeliveryState.PENDING] == 0 and counts[DeliveryState.PROCESSING] == 0 and done_heads:
            break
        assert time.monotonic() < deadline, f"still waiting: {counts}, refused by the App: {len(failed_upstream)}"
        fast_forward(app)
        time.sleep(0.2)
    for pull in pulls:
        runs = sim.state.check_runs_for(REPO, pull.head_sha)
        names = Counter(r.name for r in runs)
        assert len(names) == 6 and set(names.values()) == {1}, names
        asked = [
            r for r in sim.state.requests("POST", rf"/pulls/{pull.number}/requested_reviewers$") if r.status == 201
        ]
        assert len(asked) == 1
    accepted = {d.guid for d in sim.state.deliveries if d.status_code == 202}
    states = {d: getattr(inbox.get(d), "state", None) for d in accepted}
    assert set(states.values()) == {DeliveryState.DONE}, Counter(states.values())
    assert inbox.counts()[DeliveryState.FAILED] == 0


def scaled_app(sim: GitHubSim, tmp_path: Path, database_url: str) -> AbstractContextManager[AppServer]:
    return serving(
        sim,
        tmp_path,
        runners=fake_runners(),
        database_url=database_url,
        redis_url=f"redis://127.0.0.1:6379/{REDIS_DB}",
        queue_name=f"faults-{uuid.uuid4().hex[:8]}",
        workers=2,
        redeliver_interval_s=1,
        sweep_interval_s=1,
    )  # the default 10-minute lease


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_postgres_backends_terminated_under_load(tmp_path: Path, own_database: str) -> None:
    name = own_database.rsplit("/", 1)[1]
    with GitHubSim() as sim:
        build_world(sim)
        with scaled_app(sim, tmp_path, own_database) as app:
            pulls, killed = run_load(sim, app, lambda: terminate_backends(name), "pg")
            assert killed >= PULLS  # the App's connections were really cut, again and again
            finish(sim, app, pulls)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_redis_connections_killed_under_load(tmp_path: Path, own_database: str) -> None:
    with GitHubSim() as sim:
        build_world(sim)
        with scaled_app(sim, tmp_path, own_database) as app:
            pulls, killed = run_load(sim, app, lambda: kill_redis_clients(REDIS_DB), "redis")
            assert killed >= PULLS // 2
            finish(sim, app, pulls)
