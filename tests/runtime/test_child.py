"""`ghapp serve`'s worker process, with a stand-in child: wakes never block, a dead child is started again,
stop ends it, and the child learns from its pipe that the parent is gone (`tests/commands/test_serve.py`
runs the real `ghapp worker`)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from ghapp.runtime import child as child_module
from ghapp.runtime.child import WorkerProcess
from tests.polling import wait_for

# Reads the wake pipe until end of file, adding up the bytes it got; exits 0 on SIGTERM or end of file.
STAND_IN = """
import os, signal, sys
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
fd, out = int(sys.argv[2]), sys.argv[3]
open(f"{out}.ready.{os.getpid()}", "w").write("ready")
total = 0
while data := os.read(fd, 65536):
    total += len(data)
    open(out, "w").write(str(total))
open(out + ".eof", "w").write("end of file")
"""


class StandIn(WorkerProcess):
    program = ("-c", STAND_IN)


def ready(worker: WorkerProcess, out: Path) -> bool:
    """The current child has started and handles SIGTERM."""
    return Path(f"{out}.ready.{worker.pid}").exists()


def test_wakes_reach_the_child_and_never_block_when_the_pipe_is_full(tmp_path: Path) -> None:
    out = tmp_path / "woken"
    worker = StandIn([str(out)])
    worker.start()
    assert wait_for(lambda: ready(worker, out))
    try:
        os.kill(worker.pid or 0, signal.SIGSTOP)  # the child reads nothing: the pipe fills up
        for _ in range(200_000):  # more bytes than any pipe buffer: wake drops them instead of blocking
            worker.wake()
        os.kill(worker.pid or 0, signal.SIGCONT)
        assert wait_for(lambda: out.exists() and int(out.read_text() or 0) > 0)
    finally:
        assert worker.stop() == 0
    worker.wake()  # after stop: nothing to wake, no error


def test_a_dead_child_is_started_again_and_stop_ends_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child_module, "RESTART_DELAYS_S", (0.0,))
    out = tmp_path / "woken"
    worker = StandIn([str(out)])
    worker.start()
    assert wait_for(lambda: ready(worker, out))
    first = worker.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert wait_for(lambda: worker.restarts == 1 and worker.pid not in (None, first))
    second = worker.pid
    assert wait_for(lambda: ready(worker, out))
    worker.renew()  # new settings: replaced at once, not counted as a failure
    assert wait_for(lambda: worker.pid not in (None, second))
    assert worker.restarts == 1
    assert wait_for(lambda: ready(worker, out))
    assert worker.stop() == 0


def test_the_child_reads_end_of_file_when_the_parent_side_closes(tmp_path: Path) -> None:
    out = tmp_path / "woken"
    worker = StandIn([str(out)])
    worker.start()
    assert wait_for(lambda: ready(worker, out))
    worker._stopping.set()  # as if this process were gone: its end of the pipe closes, no signal sent
    os.close(worker._write)
    assert wait_for((tmp_path / "woken.eof").exists)
    assert worker.stop() == 0


def test_web_processes_share_a_port_only_they_have_joined() -> None:
    first = child_module.listening_socket("127.0.0.1", 0, shared=True)
    port = first.getsockname()[1]
    try:
        with child_module.listening_socket("127.0.0.1", port, shared=True, joining=True) as second:
            assert second.getsockname()[1] == port
        with pytest.raises(OSError):  # a new group on a port in use: refused, not shared
            child_module.listening_socket("127.0.0.1", port, shared=True)
        with pytest.raises(OSError):
            child_module.listening_socket("127.0.0.1", port, shared=False)
    finally:
        first.close()
