"""Shared test fixtures: settings, databases (SQLite and the real PostgreSQL), Redis, real webhook payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from starlette.exceptions import StarletteDeprecationWarning

from ghapp.settings import Settings
from ghapp.store.database import Database, open_database
from ghapp.store.migrations import upgrade
from ghapp.store.schema import METADATA
from tests.ghsim.fixtures import ghsim, ghsim_ghes, ghsim_inprocess  # noqa: F401 - the GitHub simulator
from tests.paths import FIXTURES

with warnings.catch_warnings():
    # Starlette 1.10 wants the `httpx2` fork for its TestClient and warns when it finds httpx; the App
    # depends on httpx, and the client behaves the same for these tests.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["TestClient", "delivery_headers", "load_webhook", "sign"]

WEBHOOKS = FIXTURES / "webhooks"
WEBHOOK_SECRET = "It's a Secret to Everybody"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def load_webhook(event: str, name: str) -> bytes:
    """Raw bytes of a real payload from the shared fixtures (signatures must cover these exact bytes)."""
    return (WEBHOOKS / event / f"{name}.json").read_bytes()


def delivery_headers(
    event: str, body: bytes, *, delivery_id: str | None = None, secret: str = WEBHOOK_SECRET
) -> dict[str, str]:
    """The headers GitHub sends with a delivery."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "292430182",
        "X-Hub-Signature-256": sign(secret, body),
    }


@pytest.fixture
def webhook_fixture() -> Callable[[str, str], bytes]:
    return load_webhook


@pytest.fixture
def webhook_payload() -> Callable[[str, str], dict[str, Any]]:
    def load(event: str, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(load_webhook(event, name))
        return data

    return load


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for one test: SQLite database and queue in tmp_path, a webhook secret, fake App id/key."""

    def build(**overrides: Any) -> Settings:
        base = Settings(
            app_id="12345",
            private_key="-----BEGIN RSA PRIVATE KEY-----\ntest\n-----END RSA PRIVATE KEY-----\n",
            webhook_secret=WEBHOOK_SECRET,
            database_url=f"sqlite:///{tmp_path / 'ghapp.db'}",
            queue_path=str(tmp_path / "queue.db"),
            data_dir=tmp_path / "var",
            github_api_url="http://127.0.0.1:9",
        )
        return base.with_overrides(**overrides)

    return build


@contextmanager
def scratch_pg_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database named `<prefix>_<random>`, dropped (connections and all) after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_pg_database(prefix: str) -> Iterator[str]:
    """Like `scratch_pg_database`, migrated to head."""
    with scratch_pg_database(prefix) as url:
        db = open_database(url)
        upgrade(db)
        db.engine.dispose()
        yield url


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of its own for this test run, migrated to head, dropped afterwards."""
    with migrated_pg_database("ghapp_test") as url:
        yield url


def truncate_all(db: Database) -> None:
    """Empty every table of a migrated database (PostgreSQL)."""
    tables = [t.name for t in METADATA.sorted_tables]
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))  # ids from 1, as in a new database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'inbox.db'}"
        db = open_database(url)
        upgrade(db)
    else:
        url = request.getfixturevalue("pg_database")
        db = open_database(url)
        truncate_all(db)
    db.engine.dispose()
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
