"""Run enforcement handlers directly (no web tier): each delivery is recorded in a real inbox and claimed, so the
handler sees the same JobContext the worker gives it; GitHub is the simulator, in-process."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from ghapp.enforcement import Enforcer, handler_table
from ghapp.github import GitHubApp
from ghapp.runners import Runner
from ghapp.runtime.jobs import JobContext, find_handler
from ghapp.runtime.webhooks import describe
from ghapp.store.database import Database, open_database
from ghapp.store.inbox import Claim, Inbox
from ghapp.store.migrations import upgrade
from tests.e2e.harness import fake_runners
from tests.ghsim import GitHubSim


class Driver:
    def __init__(self, sim: GitHubSim, db: Database, tmp_path: Path) -> None:
        self.sim = sim
        self.db = db
        self.inbox = Inbox(db, max_attempts=3)
        self.settings = sim.settings(
            database_url="sqlite://", public_url="https://ghapp.example.test", data_dir=tmp_path
        )
        self.runners: Sequence[Runner] = fake_runners()
        self.enforcer = Enforcer(runners=self.runners)

    def use(self, runners: Sequence[Runner]) -> None:
        self.runners = runners
        self.enforcer = Enforcer(runners=runners)

    def record(self, event: str, payload: dict[str, Any]) -> str:
        delivery_id = str(uuid.uuid4())
        raw = json.dumps(payload)
        self.inbox.record(describe(event, delivery_id, payload, raw, lambda *_: True))
        return delivery_id

    def claim(self, delivery_id: str) -> Claim:
        claim = self.inbox.claim(delivery_id, "test", 60)
        assert isinstance(claim, Claim)
        return claim

    def context(self, claim: Claim, app: GitHubApp, *, final: bool = False) -> JobContext:
        return JobContext(delivery=claim, settings=self.settings, inbox=self.inbox, github_app=app, final_attempt=final)

    def handle(self, event: str, payload: dict[str, Any], *, final: bool = False, app: GitHubApp | None = None) -> None:
        """Record, claim and run one delivery to the end (exceptions propagate)."""
        claim = self.claim(self.record(event, payload))
        handler = find_handler(handler_table(self.enforcer), event, payload.get("action"))
        assert handler is not None, (event, payload.get("action"))

        async def main() -> None:
            github = app or self.sim.github_app()
            try:
                await handler(self.context(claim, github, final=final))
            finally:
                await github.aclose()

        try:
            asyncio.run(main())
        finally:
            self.inbox.complete(claim.delivery_id, "test", 1.0)


@pytest.fixture
def driver(ghsim_inprocess: GitHubSim, tmp_path: Path) -> Iterator[Driver]:
    db = open_database(f"sqlite:///{tmp_path / 'enforcement.db'}")
    upgrade(db)
    yield Driver(ghsim_inprocess, db, tmp_path)
    db.engine.dispose()
