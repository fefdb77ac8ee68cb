"""Each PR's word per gate of a head: saved once per version, read back whole, forgotten per PR and head."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghapp.core.decisions import Conclusion, Finding, Gate, GateResult
from ghapp.store import head_words
from ghapp.store.database import Database, open_database
from ghapp.store.migrations import upgrade

REPO = "acme/payments"
FAILED = GateResult(
    Gate.LINT,
    Conclusion.FAILURE,
    "1 finding",
    "the table",
    (Finding("a.py", 3, "E1", "bad", end_line=4),),
    Conclusion.FAILURE,
)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = open_database(f"sqlite:///{tmp_path / 'w.db'}")
    upgrade(database)
    return database


def test_a_word_is_saved_once_per_version_and_read_back_whole(db: Database) -> None:
    buttons = [{"label": "Re-run", "description": "again", "identifier": "rerun"}]
    assert head_words.save(db, REPO, "h1", 1, status="completed", result=FAILED, actions=buttons)
    assert not head_words.save(db, REPO, "h1", 1, status="completed", result=FAILED, actions=buttons)
    assert head_words.save(db, REPO, "h1", 2, status="in_progress", result=FAILED, actions=[])
    (first, second) = head_words.words(db, REPO, "h1", Gate.LINT)
    assert first.word.pr_number == 1 and first.word.result == FAILED and first.actions == tuple(buttons)
    assert second.word.status == "in_progress"
    assert head_words.words(db, REPO, "h1", Gate.TYPES) == []
    assert head_words.pulls_on_head(db, REPO, "h1") == {1, 2}


def test_a_pr_forgets_the_heads_it_left(db: Database) -> None:
    for head in ("old", "new"):
        head_words.save(db, REPO, head, 1, status="completed", result=FAILED, actions=[])
    head_words.save(db, REPO, "old", 2, status="queued", result=FAILED, actions=[])
    assert head_words.forget(db, REPO, 1, keep_head="new") == {("old", Gate.LINT)}
    assert head_words.pulls_on_head(db, REPO, "old") == {2}
    assert head_words.forget(db, REPO, 1) == {("new", Gate.LINT)}
    assert head_words.forget(db, REPO, 1) == set()


def test_a_pr_drops_its_words_on_some_gates_of_one_head_and_its_pending_gates_are_listed(db: Database) -> None:
    types = GateResult(Gate.TYPES, Conclusion.NEUTRAL, "Running", "now")
    head_words.save(db, REPO, "h", 1, status="in_progress", result=FAILED, actions=[])
    head_words.save(db, REPO, "h", 1, status="completed", result=types, actions=[])
    head_words.save(db, REPO, "h", 2, status="in_progress", result=FAILED, actions=[])
    head_words.save(db, REPO, "other", 1, status="in_progress", result=FAILED, actions=[])
    assert head_words.pending(db, REPO, "h", 1) == {Gate.LINT}
    head_words.drop(db, REPO, "h", 1, [])  # nothing named: nothing dropped
    head_words.drop(db, REPO, "h", 1, [Gate.LINT])
    assert head_words.pending(db, REPO, "h", 1) == set()
    assert [w.word.pr_number for w in head_words.words(db, REPO, "h", Gate.LINT)] == [2]
    assert head_words.pending(db, REPO, "other", 1) == {Gate.LINT}  # another head: kept
    assert head_words.words(db, REPO, "h", Gate.TYPES)[0].word.status == "completed"
