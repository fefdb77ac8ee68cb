"""The schema module lists every table of the store once, and nothing else is in the metadata."""

from __future__ import annotations

from ghapp.store.schema import METADATA, TABLES


def test_every_table_is_exported_once_by_the_store() -> None:
    assert len(TABLES) == len(set(TABLES))
    assert set(TABLES) == set(METADATA.tables.values())  # no table the schema module does not list
    assert {t.name for t in TABLES} == {
        "deliveries",
        "pr_locks",
        "check_runs",
        "evaluations",
        "tool_reports",
        "overrides",
        "review_requests",
        "direct_pushes",
        "installations",
        "repositories",
        "app_state",
        "audit_events",
        "audit_tokens",
        "pull_details",
        "head_words",
    }
