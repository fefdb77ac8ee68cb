"""App state: one turn per interval across workers, and named values that survive restarts."""

from __future__ import annotations

from datetime import timedelta

from ghapp.clock import utcnow
from ghapp.store.app_state import read_value, take_turn, write_value
from ghapp.store.database import Database


def test_one_turn_per_interval(db: Database) -> None:
    now = utcnow()
    assert take_turn(db, "sweep", 30, now) is True
    assert take_turn(db, "sweep", 30, now + timedelta(seconds=10)) is False
    assert take_turn(db, "other", 30, now + timedelta(seconds=10)) is True
    assert take_turn(db, "sweep", 30, now + timedelta(seconds=31)) is True


def test_values_survive(db: Database) -> None:
    assert read_value(db, "k") is None
    write_value(db, "k", "one")
    write_value(db, "k", "two")
    assert read_value(db, "k") == "two"


def test_a_turn_and_a_value_of_the_same_name_do_not_collide(db: Database) -> None:
    write_value(db, "sweep", "kept")
    assert take_turn(db, "sweep", 30) is True
    assert read_value(db, "sweep") == "kept"
