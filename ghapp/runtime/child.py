"""The child processes of `ghapp serve`, each started after the first web process has readied the database,
started again if it dies and stopped on shutdown (the worker last):

- the worker (`WorkerProcess`), woken through a pipe when deliveries are committed. A worker thread in the
  web process would share its interpreter lock: every claim, handler and outcome then slows the
  acknowledgements. As a child process (`ghapp worker --wake-fd N`) it runs on its own, on the same database
  and queue;
- more web processes (`WebProcess`), each on a socket of its own joined to the same port: one Python process
  acknowledges with one core, and the kernel spreads new connections over the sockets.

A pipe tells each child its parent is gone: when the parent dies, even by SIGKILL, the pipe's write end
closes, the child reads end-of-file and stops as on SIGTERM. The worker's pipe is its wake pipe, whose write
end the web processes hold too; each of those stops when the parent goes, and then the worker does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence

log = logging.getLogger(__name__)
RESTART_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # after the child died unexpectedly, 1st, 2nd, ... time
STOP_TIMEOUT_S = 40.0  # the worker lets running jobs finish for up to 30 s on SIGTERM


class ChildProcess:
    """A child run by this interpreter (`program`, then `arguments()`), passed only the descriptors `fds()`."""

    program: tuple[str, ...] = ()
    role = "child"

    def __init__(self, args: Sequence[str] = (), env: Mapping[str, str] | None = None) -> None:
        self.args = list(args)
        self.env = dict(env) if env is not None else None  # None: this process's environment
        self.restarts = 0
        self._renew = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="ghapp-worker-process", daemon=True)
        self._watcher.start()

    def arguments(self) -> list[str]:
        return self.args

    def fds(self) -> tuple[int, ...]:
        """The descriptors the child inherits (every other one is closed in it: PEP 446)."""
        return ()

    def _spawn(self) -> None:
        command = [sys.executable, *self.program, *self.arguments()]
        with self._lock:
            if self._stopping.is_set():  # stop() came first: no new child after it
                return
            # stdout and stderr are this process's: one log stream
            self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, pass_fds=self.fds(), env=self.env)
        log.info("%s process %d started", self.role, self._proc.pid)

    def _watch(self) -> None:
        while True:
            proc = self._proc
            assert proc is not None
            code = proc.wait()
            if self._stopping.is_set():
                return
            if self._renew.is_set():  # asked for (new settings): no error, no delay
                self._renew.clear()
                self._spawn()
                continue
            delay = RESTART_DELAYS_S[min(self.restarts, len(RESTART_DELAYS_S) - 1)]
            log.error("the %s process exited with %s; starting another in %.0f s", self.role, code, delay)
            if self._stopping.wait(delay):
                return
            self.restarts += 1
            self._spawn()

    def renew(self) -> None:
        """Replace the worker by a new one that reads the settings again (the setup flow stored credentials);
        the old one finishes its running jobs first."""
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None and not self._stopping.is_set():
            self._renew.set()
            proc.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM the child (it finishes what it was doing) and wait for it; SIGKILL past `timeout`."""
        with self._lock:
            self._stopping.set()
            proc = self._proc
        code = None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.error("the %s process did not stop within %.0f s: killing it", self.role, timeout)
                proc.kill()
                code = proc.wait()
        if self._watcher is not None:
            self._watcher.join(5)
        self.close()
        return code

    def close(self) -> None:
        """Close this side's descriptors of the child (after it stopped)."""


def _close(*fds: int) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


class WorkerProcess(ChildProcess):
    """`ghapp worker --wake-fd N` as a child; `wake()` is thread-safe and never blocks."""

    program = ("-m", "ghapp", "worker")
    role = "worker"

    def __init__(self, args: Sequence[str] = (), env: Mapping[str, str] | None = None) -> None:
        super().__init__(args, env)
        self._read, self._write = os.pipe()  # neither end is inherited unless passed (PEP 446)
        os.set_blocking(self._write, False)

    @property
    def wake_fd(self) -> int:
        """The write end of the wake pipe: a web process given it wakes the worker with `wake_by(fd)`."""
        return self._write

    def arguments(self) -> list[str]:
        return ["--wake-fd", str(self._read), *self.args]

    def fds(self) -> tuple[int, ...]:
        return (self._read,)

    def wake(self) -> None:
        """Deliveries were committed: have the worker look at the queue now rather than at its next poll."""
        wake_by(self._write)

    def close(self) -> None:
        _close(self._write, self._read)


def wake_by(fd: int) -> None:
    """Write one byte to a wake pipe's write end, never blocking."""
    with contextlib.suppress(OSError):  # full (a wake is pending anyway) or closed (stopping)
        os.write(fd, b"\0")


class WebProcess(ChildProcess):
    """`ghapp serve` on a socket of its own bound to this process's port (`listening_socket`, shared), waking
    the worker through `wake_fd` (or nobody), and stopping when this process is gone (`--parent-fd`).

    Each start gets a new socket, and this process closes its copy once the child has it: when the child
    dies, its socket closes with it and the kernel sends new connections to the other processes' sockets.
    """

    program = ("-m", "ghapp", "serve")
    role = "web"

    def __init__(
        self,
        host: str,
        port: int,
        wake_fd: int | None,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> None:
        super().__init__(args, env)
        self.host, self.port, self.wake_fd = host, port, wake_fd
        self._listen_fd = -1
        self._life_read, self._life_write = os.pipe()  # only this process holds the write end

    def arguments(self) -> list[str]:
        wake = ["--wake-write-fd", str(self.wake_fd)] if self.wake_fd is not None else []
        return ["--listen-fd", str(self._listen_fd), "--parent-fd", str(self._life_read), *wake, *self.args]

    def fds(self) -> tuple[int, ...]:
        return (self._listen_fd, self._life_read, *((self.wake_fd,) if self.wake_fd is not None else ()))

    def _spawn(self) -> None:
        with listening_socket(self.host, self.port, shared=True, joining=True) as sock:
            self._listen_fd = sock.fileno()
            super()._spawn()

    def close(self) -> None:
        _close(self._life_write, self._life_read)


def listening_socket(host: str, port: int, *, shared: bool, joining: bool = False) -> socket.socket:
    """A socket listening on `host:port`. `shared`: with SO_REUSEPORT, so that several web processes each
    listen on a socket of their own and the kernel spreads new connections evenly over them (a process that
    is busy or still starting is handed its share, queued until it accepts). Unless `joining` the sockets of
    this `ghapp serve`, the port must be free: another server already on it (another `ghapp serve` with its
    own data, say) is an error, as without SO_REUSEPORT, never a silent share of its deliveries."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if shared and not joining:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))  # OSError (address in use) when anything listens there
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def stop_when_parent_is_gone(fd: int, again_s: float = 1.0) -> None:
    """In a web child: SIGTERM this process (a graceful stop) when the parent's end of pipe `fd` closes, and
    again every `again_s` until it is gone: one that arrives before uvicorn's handlers are in place is lost."""

    def watch() -> None:
        while True:
            try:
                if not os.read(fd, 4096):
                    break
            except InterruptedError:
                continue
            except OSError:
                break
        log.warning("the serving process is gone: stopping")
        while True:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(again_s)

    threading.Thread(target=watch, name="ghapp-parent-watch", daemon=True).start()
