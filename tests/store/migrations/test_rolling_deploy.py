"""Rolling deploys: the previous release's code keeps working on the schema this release migrated to, on SQLite
and on the real PostgreSQL; migrations after the first are expand-only unless they say otherwise; a version
starts on a schema newer than its own.

The previous release is the code at the parent of the commit that added the newest migration, checked out
with `git worktree` and run in a subprocess (this venv, its PYTHONPATH pointing at the worktree).
"""

from __future__ import annotations

import ast
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import select

from ghapp.store.check_runs import CheckRun
from ghapp.store.database import Database, open_database
from ghapp.store.deliveries import Delivery, DeliveryState
from ghapp.store.evaluations import Evaluation, StoredToolReport
from ghapp.store.inbox import Inbox, NewDelivery, Recorded
from ghapp.store.migrations import alembic_config, head, is_current, ready_database, upgrade
from tests.conftest import scratch_pg_database
from tests.paths import ROOT

SCRIPT = Path(__file__).with_name("previous_release.py")
NO_HISTORY = (
    "the rolling-deploy test needs the git history (a full clone: `git fetch --unshallow`) to find the previous release"
)


def git(*args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        pytest.fail(f"{NO_HISTORY}: git is not installed")
    if done.returncode != 0:
        pytest.fail(f"{NO_HISTORY}: `git {' '.join(args)}` failed: {done.stderr.strip()}")
    return done.stdout.strip()


def newest_migration() -> Path:
    script = ScriptDirectory.from_config(alembic_config())
    revision = script.get_revision(head())
    assert revision is not None and revision.path is not None
    return Path(revision.path)


def previous_release_commit() -> str:
    """The parent of the commit that added the newest migration file (HEAD itself while it is uncommitted)."""
    if git("rev-parse", "--is-shallow-repository") == "true":
        pytest.fail(f"{NO_HISTORY}: this clone is shallow")
    path = newest_migration().relative_to(ROOT)
    added = git("log", "--follow", "--diff-filter=A", "--format=%H", "--", str(path)).splitlines()
    if not added:
        return git("rev-parse", "HEAD")
    return git("rev-parse", f"{added[-1]}^")


@pytest.fixture(scope="module")
def previous_release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    where = tmp_path_factory.mktemp("previous") / "release"
    git("worktree", "add", "--detach", str(where), previous_release_commit())
    try:
        yield where
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)],
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(where, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: a SQLite file, or `ghapp_compat_<random>` on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'compat.db'}"
        return
    with scratch_pg_database("ghapp_compat") as url:
        yield url


def new_release_writes(db: Database) -> None:
    """What this release writes before the old one touches the database: a delivery, a check run with the
    columns it added, a tool report in a table it added."""
    digest = "pull_request_review:" + "e" * 64  # the column this release added
    Inbox(db).record(
        NewDelivery("new-1", "pull_request_review", "submitted", 7, "acme/payments", 3, "{}", body_digest=digest), 3600
    )
    with db.session() as session:
        session.add(
            CheckRun(
                repository="acme/payments",
                head_sha="b" * 40,
                gate="types",
                check_run_id=99,
                status="in_progress",
                digest="d" * 64,
                annotations='["k"]',
            )
        )
        session.add(
            StoredToolReport(repository="acme/payments", head_sha="b" * 40, gate="types", fingerprint="f", report="{}")
        )
        session.commit()


def run_previous_release(release: Path, url: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(release)}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), url],
        cwd=release,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"the previous release failed on the new schema:\n{done.stderr[-4000:]}"
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_the_previous_release_works_on_the_new_schema(previous_release: Path, fresh_url: str) -> None:
    db = open_database(fresh_url)
    upgrade(db)  # this release's migrations, as `ghapp db upgrade` runs them before the rollout
    new_release_writes(db)

    old = run_previous_release(previous_release, fresh_url)

    assert str(old["ghapp"]).startswith(str(previous_release)), "the subprocess did not run the previous release"
    assert old["db_revision"] == head() != old["code_head"]  # the old code really is behind the schema
    assert old["recorded"] == [True, False]
    assert old["claimed"] == "old-1" and old["extended"] is True and old["completed"] is True
    assert old["claimed_again"] == "old-2" and isinstance(old["retry_in"], float) and old["retry_in"] > 0
    assert old["new_release_delivery"] == "new-1" and old["new_release_completed"] is True
    assert old["swept"] == []
    assert old["counts"] == {"pending": 1, "processing": 0, "done": 2, "failed": 0, "ignored": 0, "shed": 0}
    assert old["check_runs"] == [[99, "types", "completed", "failure"], [4242, "lint", "completed", "success"]]
    assert old["evaluations"] == ["lint"]

    # and this release reads what the old one wrote, its own columns intact
    with db.session() as session:
        runs = {run.check_run_id: run for run in session.exec(select(CheckRun)).all()}
        assert runs[99].digest == "d" * 64 and runs[99].conclusion == "failure"
        assert runs[4242].digest is None and runs[4242].annotations is None
        evaluation = session.exec(select(Evaluation)).one()
        assert evaluation.delivery_id == "old-1" and evaluation.created_at.tzinfo is not None
        states = {d.delivery_id: d.state for d in session.exec(select(Delivery)).all()}
    assert states == {"old-1": DeliveryState.DONE, "old-2": DeliveryState.PENDING, "new-1": DeliveryState.DONE}
    db.engine.dispose()


def test_a_version_runs_on_a_schema_a_later_release_migrated(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'ahead.db'}"
    db = ready_database(url)
    assert is_current(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_a_later_release'"))
    db.engine.dispose()
    with caplog.at_level(logging.WARNING, logger="ghapp.store.migrations"):
        again = ready_database(url)  # neither migrated (this version cannot go down) nor refused
    assert "newer than this version's" in caplog.text
    assert Inbox(again).record(NewDelivery("d", "ping", None, None, None, None, "{}")) is Recorded.NEW
    again.engine.dispose()


FORBIDDEN_IN_EXPAND = {
    "drop_table",
    "drop_column",
    "drop_index",
    "drop_constraint",
    "alter_column",
    "rename_table",
    "execute",
}


def migration_files() -> list[Path]:
    return sorted(p for p in newest_migration().parent.glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("path", migration_files()[1:], ids=lambda p: p.stem)
def test_migrations_after_the_first_only_expand_unless_they_say_so(path: Path) -> None:
    """A release adds tables and nullable columns (expand); a backfill (`execute`, data only) or a contract
    (drops, type or NOT NULL changes) is a revision of its own whose docstring starts its phase line with
    `Phase: backfill` or `Phase: contract`, shipped a release after the code stopped needing the old shape."""
    tree = ast.parse(path.read_text())
    doc = ast.get_docstring(tree) or ""
    phase = next((line.split(":", 1)[1].strip() for line in doc.splitlines() if line.startswith("Phase:")), "expand")
    upgrade_fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")
    calls = [n for n in ast.walk(upgrade_fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    problems = []
    for call in calls:
        name = call.func.attr  # type: ignore[attr-defined]
        if name in FORBIDDEN_IN_EXPAND and not (phase == "contract" or (phase == "backfill" and name == "execute")):
            problems.append(f"line {call.lineno}: {name} in a migration of phase {phase}")
        if name == "add_column" and phase == "expand":
            column = call.args[-1] if call.args else None
            keywords = {k.arg: k.value for k in getattr(column, "keywords", [])}
            nullable = keywords.get("nullable")
            if not (isinstance(nullable, ast.Constant) and nullable.value is True) and "server_default" not in keywords:
                problems.append(f"line {call.lineno}: column added without explicit nullable=True or server_default")
    assert phase in ("expand", "backfill", "contract"), f"{path.name}: unknown phase {phase!r}"
    assert not problems, f"{path.name} is not safe for a rolling deploy: {problems}"
