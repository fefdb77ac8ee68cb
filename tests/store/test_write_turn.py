"""Writers of one SQLite file take turns through a lock file beside it: across processes (several web
processes and the worker share the file), across threads, and without deadlocking a nested write."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from ghapp.store.database import open_database
from ghapp.store.write_turn import WriteTurn
from tests.polling import wait_for

HOLDER = """
import sys, time
from pathlib import Path
from ghapp.store.write_turn import WriteTurn
turn = WriteTurn(Path(sys.argv[1]))
with turn():
    Path(sys.argv[2]).write_text("holding")
    time.sleep(float(sys.argv[3]))
    Path(sys.argv[2] + ".done").write_text("letting go")
"""


def test_a_writer_waits_for_another_process_holding_the_turn(tmp_path: Path) -> None:
    lock, holding = tmp_path / "ghapp.db-writer", tmp_path / "holding"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), str(holding), "1.0"])
    try:
        assert wait_for(holding.exists)
        with WriteTurn(lock)():
            assert Path(f"{holding}.done").exists()  # the turn came only once the holder let it go
        assert holder.wait(30) == 0
    finally:
        holder.wait(30)


def test_threads_take_turns_and_a_nested_write_keeps_its_turn(tmp_path: Path) -> None:
    turn = WriteTurn(tmp_path / "db-writer")
    inside: list[int] = []
    overlaps: list[int] = []

    def write(n: int) -> None:
        for _ in range(20):
            with turn():
                if inside:
                    overlaps.append(n)
                inside.append(n)
                with turn():  # nested in the same thread: no deadlock
                    time.sleep(0.001)
                inside.remove(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert overlaps == [] and inside == []


def test_a_sqlite_file_database_takes_turns_and_memory_does_not_need_to(tmp_path: Path) -> None:
    on_disk = open_database(f"sqlite:///{tmp_path / 'ghapp.db'}")
    try:
        assert isinstance(on_disk.write_turn, WriteTurn)
        with on_disk.write() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        assert (tmp_path / "ghapp.db-writer").exists()
        assert (tmp_path / "ghapp.db-writer").stat().st_mode & 0o077 == 0  # private, as the database
    finally:
        on_disk.engine.dispose()
    in_memory = open_database("sqlite://")
    assert not isinstance(in_memory.write_turn, WriteTurn)


def test_two_databases_of_one_file_share_a_turn_so_a_nested_write_cannot_wait_on_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ghapp.db'}"
    first, second = open_database(url), open_database(url)
    try:
        assert first.write_turn is second.write_turn
        with first.write_turn(), second.write_turn():  # the same thread, nested: no wait
            pass
    finally:
        first.engine.dispose()
        second.engine.dispose()
