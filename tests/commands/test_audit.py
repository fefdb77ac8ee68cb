"""`ghapp audit export` (CSV and JSON Lines, filtered, times given as dates or spans) and `ghapp audit token`,
as functions over a real migrated database."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from ghapp.cli import main
from ghapp.clock import utcnow
from ghapp.store.audit import AUDIT_EVENTS, Entry, record
from ghapp.store.audit_tokens import token_name
from ghapp.store.database import Database, open_database
from ghapp.store.migrations import upgrade


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Database:
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("GHAPP_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GHAPP_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    database = open_database(os.environ["GHAPP_DATABASE_URL"])
    upgrade(database)
    record(
        database,
        [
            Entry(
                "decision",
                "acme/payments",
                7,
                "a" * 40,
                "approvals",
                "action_required",
                "ai",
                ("Claude Code",),
                ("billing",),
                ("mallory",),
                "Approvals missing",
            ),
            Entry(
                "override",
                "acme/payments",
                7,
                "a" * 40,
                "lint",
                "accepted",
                people=("carol",),
                summary="-1 lint errors, said carol",
            ),
            Entry("decision", "acme/site", 2, "b" * 40, "provenance", "success", "human", summary="human"),
        ],
    )
    with database.write() as conn:  # the site decision is last quarter's
        conn.execute(
            update(AUDIT_EVENTS)
            .where(AUDIT_EVENTS.c.repository == "acme/site")
            .values(created_at=utcnow() - timedelta(days=100))
        )
    return database


def test_export_jsonl_with_filters(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "export", "--since", "30d"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["kind"], e["repository"]) for e in events] == [
        ("decision", "acme/payments"),
        ("override", "acme/payments"),
    ]
    assert events[0]["tools"] == ["Claude Code"] and events[0]["people"] == ["mallory"]
    since = (utcnow() - timedelta(days=120)).date().isoformat()
    assert main(["audit", "export", "--since", since, "--verdict", "human"]) == 0
    assert [json.loads(line)["repository"] for line in capsys.readouterr().out.splitlines()] == ["acme/site"]
    assert main(["audit", "export", "--category", "billing", "--tool", "Claude Code", "--person", "mallory"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert main(["audit", "export", "--repo", "acme/payments", "--kind", "override", "--pr", "8"]) == 0
    assert capsys.readouterr().out == ""


def test_export_csv(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "export", "--format", "csv", "--repo", "acme/payments"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["kind"] for r in rows] == ["decision", "override"]
    assert rows[1]["summary"] == "'-1 lint errors, said carol" and rows[1]["people"] == "carol"


def test_export_refuses_what_it_cannot_read(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "export", "--since", "last tuesday"]) == 2
    assert "not a time" in capsys.readouterr().err
    assert main(["audit", "export", "--format", "xml"]) == 2


def test_token_create_list_revoke(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "token", "create", "--name", "siem"]) == 0
    token = capsys.readouterr().out.strip()
    assert token_name(db, token) == "siem"
    assert main(["audit", "token", "list"]) == 0
    listed = capsys.readouterr().out
    assert "siem" in listed and "in force" in listed and token not in listed
    assert main(["audit", "token", "revoke", "1"]) == 0
    assert token_name(db, token) is None
    assert main(["audit", "token", "revoke", "1"]) == 1
