"""Every real webhook payload replayed with each field mutated (removed, null, wrong type, huge string):
the endpoint accepts it (it is signed), and the worker's handler ends it with a clear outcome (done,
ignored, or failed with a reason), never an exception out of the worker.

Top-level fields are mutated in every fixture. Nested fields (one level down) are mutated in the base fixture
of each (event, action) the App handles, where a handler actually reads them: all of them when there are few,
else a fixed, seeded sample (the same on every run, so a failure reproduces). The simulator knows none of
the fixtures' installations, so handlers that reach GitHub end failed with GitHub's answer as the reason.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ghapp.app import create_app
from ghapp.handlers import build_handlers, low_value
from ghapp.runtime.jobs import HandlerTable, JobContext, find_handler
from ghapp.runtime.queue import Queue
from ghapp.runtime.webhooks import WEBHOOK_PATH
from ghapp.runtime.worker import Worker
from ghapp.settings import Settings
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox
from tests.conftest import WEBHOOKS, TestClient, delivery_headers
from tests.ghsim import GitHubSim

FIXTURES = sorted(WEBHOOKS.glob("*/*.json"))
KINDS = ("removed", "null", "wrong type", "huge string")
HUGE = "\U0001f600" + "x" * 70_000  # over every column width and over GitHub's 65,535-character summary cap
NESTED_SAMPLE = 12  # nested fields mutated per handled fixture, at most

Path_ = tuple[str, ...]


def _wrong_type(value: Any) -> Any:
    if isinstance(value, dict | list | str):
        return 12345
    return {"unexpected": [1, "two"]}


def mutate(payload: dict[str, Any], path: Path_, kind: str) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if kind == "removed":
        del parent[last]
    elif kind == "null":
        parent[last] = None
    elif kind == "wrong type":
        parent[last] = _wrong_type(parent[last])
    else:
        parent[last] = HUGE
    return changed


def field_paths(payload: dict[str, Any], *, nested: bool, seed: str) -> list[Path_]:
    top: list[Path_] = [(key,) for key in payload]
    if not nested:
        return top
    below = [(key, child) for key, value in payload.items() if isinstance(value, dict) for child in value]
    if len(below) > NESTED_SAMPLE:
        below = sorted(random.Random(seed).sample(below, NESTED_SAMPLE))
    return top + below


def handled(event: str, payload: dict[str, Any]) -> bool:
    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    return find_handler(build_handlers(), event, action) is not None


def cases(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    payload: dict[str, Any] = json.loads(path.read_bytes())
    nested = handled(path.parent.name, payload) and "." not in path.stem  # not the `.with-x` variants
    for field in field_paths(payload, nested=nested, seed=f"{path.parent.name}/{path.name}"):
        for kind in KINDS:
            yield f"{'.'.join(field)} {kind}", mutate(payload, field, kind)


@pytest.fixture
def sim() -> GitHubSim:
    """In-process and fresh per fixture: its rate limits start full."""
    return GitHubSim()


@pytest.fixture
def app_settings(tmp_path: Path, sim: GitHubSim) -> Iterator[Settings]:
    # Thousands of small commits: on a RAM disk when there is one, so the run measures the App, not fsync.
    shm = Path("/dev/shm")
    where = Path(tempfile.mkdtemp(prefix="ghapp-mut-", dir=shm)) if shm.is_dir() else tmp_path
    yield sim.settings(
        database_url=f"sqlite:///{where / 'ghapp.db'}",
        queue_path=str(where / "queue.db"),
        data_dir=tmp_path / "var",
        max_attempts=1,
        job_timeout_s=30,
    )
    shutil.rmtree(where, ignore_errors=True)


def seed(sim: GitHubSim, payload: dict[str, Any]) -> None:
    """Make the fixture's world exist on the simulator (installation, repository, pull request), so handlers
    given a mutated payload get past the first API call and read deeper into it."""
    repository = payload.get("repository") or {}
    full_name = repository.get("full_name")
    installation = (payload.get("installation") or {}).get("id")
    if not isinstance(full_name, str) or not isinstance(installation, int):
        return
    sim.state.create_installation(full_name.split("/")[0], installation_id=installation)
    branch = str(repository.get("default_branch") or "main")
    sim.state.create_repo(full_name, default_branch=branch)
    pull = (
        payload.get("pull_request")
        or (payload.get("issue") if "pull_request" in (payload.get("issue") or {}) else None)
        or {}
    )
    for _ in range(int(pull.get("number") or payload.get("number") or 0)):
        sim.state.create_pull(full_name, title=str(pull.get("title") or "A change"), user="octocat", base=branch)


def process_all(settings: Settings, inbox: Inbox, queue: Queue, sim: GitHubSim, ids: list[str]) -> dict[str, str]:
    async def run() -> dict[str, str]:
        github = sim.github_app()
        worker = Worker(
            settings,
            inbox,
            queue,
            handlers=build_handlers(),
            sheddable=low_value,
            github=lambda: github,
            periodic=False,
            concurrency=1,
        )
        try:
            return {delivery_id: await worker.process(delivery_id) for delivery_id in ids}
        finally:
            await github.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_field_mutated_is_accepted_and_ends_with_a_clear_outcome(
    fixture: Path, app_settings: Settings, sim: GitHubSim
) -> None:
    event = fixture.parent.name
    seed(sim, json.loads(fixture.read_bytes()))
    sent: dict[str, tuple[str, bytes]] = {}
    with TestClient(create_app(app_settings, run_worker=False), raise_server_exceptions=False) as client:
        inbox: Inbox = client.app.state.inbox  # type: ignore[attr-defined]
        queue: Queue = client.app.state.queue  # type: ignore[attr-defined]
        bodies: set[bytes] = set()
        for name, payload in cases(fixture):
            body = json.dumps(payload).encode()
            if body in bodies:  # a field set to null that was null: the same body again would be a replay
                continue
            bodies.add(body)
            headers = delivery_headers(event, body, delivery_id=str(uuid.uuid4()))
            response = client.post(WEBHOOK_PATH, content=body, headers=headers)
            assert response.status_code == 202, f"{name}: {response.status_code} {response.text}"
            assert response.json()["status"] in ("accepted", "ignored"), name
            sent[headers["X-GitHub-Delivery"]] = (name, body)
        pending = [d for d in sent if (row := inbox.get(d)) is not None and row.state == DeliveryState.PENDING]
        outcomes = process_all(app_settings, inbox, queue, sim, pending)
        for delivery_id, (name, body) in sent.items():
            row = inbox.get(delivery_id)
            assert row is not None, f"{name}: lost"
            assert row.payload.encode() == body, f"{name}: not stored as sent"
            assert row.state in (DeliveryState.DONE, DeliveryState.IGNORED, DeliveryState.FAILED, DeliveryState.SHED), (
                f"{name}: left {row.state}"
            )
            # failed for good at once, or after its one allowed attempt: with a reason
            if row.state == DeliveryState.FAILED:
                error = row.last_error or ""
                never = error.endswith(("carries no installation", "names no repository"))  # unprocessable at once
                assert error.startswith("gave up after 1 attempts: ") or never, name
                assert len(error.removeprefix("gave up after 1 attempts: ")) > 3, f"{name}: no reason"
            if delivery_id in outcomes:
                assert outcomes[delivery_id] in ("done", "ignored", "failed", "shed"), f"{name}: {outcomes}"
        # the worker still works after all that: the fixture as sent is processed normally
        body = fixture.read_bytes()
        headers = delivery_headers(event, body)
        assert client.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 202
        row = inbox.get(headers["X-GitHub-Delivery"])
        assert row is not None
        if row.state == DeliveryState.PENDING:
            outcome = process_all(app_settings, inbox, queue, sim, [row.delivery_id])[row.delivery_id]
            assert outcome in ("done", "failed"), outcome
        inbox.db.engine.dispose()


def test_mutations_cover_nested_fields_of_handled_events() -> None:
    """The plan itself: handled fixtures get nested mutations, a field is removed, nulled, retyped and
    blown up, and the sample is stable across runs."""
    path = WEBHOOKS / "installation" / "created.json"
    names = [name for name, _ in cases(path)]
    payload = json.loads(path.read_bytes())
    nested = [name for name in names if "." in name.split(" ")[0]]
    assert len(nested) == NESTED_SAMPLE * len(KINDS) and len(names) == (len(payload) + NESTED_SAMPLE) * len(KINDS)
    assert {name.split(" ", 1)[1] for name in nested} == set(KINDS)
    assert names == [name for name, _ in cases(path)]
    assert [n for n, _ in cases(WEBHOOKS / "installation" / "created.with-requester.json") if "." in n.split()[0]] == []
    unhandled = [name for name, _ in cases(WEBHOOKS / "team" / "created.json")]
    assert all("." not in name.split(" ")[0] for name in unhandled)
    assert mutate({"a": {"b": 1}}, ("a", "b"), "wrong type") == {"a": {"b": {"unexpected": [1, "two"]}}}
    assert mutate({"a": "s"}, ("a",), "wrong type") == {"a": 12345}


async def _noop(ctx: JobContext) -> None:
    assert isinstance(ctx.payload, dict)


@pytest.mark.parametrize(
    "fixture",
    [WEBHOOKS / "push" / "payload.json", WEBHOOKS / "pull_request" / "labeled.json"],
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_shedding_under_backpressure_reads_mutated_payloads_safely(fixture: Path, app_settings: Settings) -> None:
    """Over the queue-depth limit the worker looks into the payload to decide what to shed (a push to the
    default branch is kept): a mutated payload is shed or run, never an exception out of the worker."""
    settings = app_settings.with_overrides(queue_depth_limit=0)
    table: HandlerTable = {"push": _noop, ("pull_request", "labeled"): _noop}
    with TestClient(create_app(settings, run_worker=False, handlers=table)) as client:
        inbox: Inbox = client.app.state.inbox  # type: ignore[attr-defined]
        ids = []
        bodies: set[bytes] = set()
        for _, payload in cases(fixture):
            body = json.dumps(payload).encode()
            if body in bodies:  # the same body again would be a replay, not recorded
                continue
            bodies.add(body)
            headers = delivery_headers(fixture.parent.name, body)
            assert client.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 202
            ids.append(headers["X-GitHub-Delivery"])

        async def run() -> list[str]:
            worker = client.app.state.services.worker(periodic=False, concurrency=1)  # type: ignore[attr-defined]
            return [await worker.process(d) for d in ids]

        outcomes = asyncio.run(run())
        assert set(outcomes) <= {"shed", "done", "ignored", "skipped"}, outcomes
        assert "shed" in outcomes
        inbox.db.engine.dispose()
