"""The worker of `ghapp serve` in a process of its own: started after the web tier has readied the database,
woken through a pipe when deliveries are committed, started again if it dies, stopped last on shutdown.

A worker thread in the web process would share its interpreter lock: every claim, handler and outcome then
slows the acknowledgements. As a child process (`ghapp worker --wake-fd N`) it runs on its own, on the same
database and queue. The pipe also tells the child its parent is gone: when the parent dies, even by SIGKILL,
the pipe's write end closes, the child reads end-of-file and stops as on SIGTERM.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence

log = logging.getLogger(__name__)
RESTART_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # after the child died unexpectedly, 1st, 2nd, ... time
STOP_TIMEOUT_S = 40.0  # the worker lets running jobs finish for up to 30 s on SIGTERM


class WorkerProcess:
    """`ghapp worker` as a child; `wake()` is thread-safe and never blocks."""

    program: tuple[str, ...] = ("-m", "ghapp", "worker")  # run by this interpreter, then --wake-fd N, args

    def __init__(self, args: Sequence[str] = (), env: Mapping[str, str] | None = None) -> None:
        self.args = list(args)
        self.env = dict(env) if env is not None else None  # None: this process's environment
        self.restarts = 0
        self._renew = threading.Event()
        self._read, self._write = os.pipe()  # neither end is inherited unless passed (PEP 446)
        os.set_blocking(self._write, False)
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

    def _spawn(self) -> None:
        command = [sys.executable, *self.program, "--wake-fd", str(self._read), *self.args]
        with self._lock:
            if self._stopping.is_set():  # stop() came first: no new child after it
                return
            # stdout and stderr are this process's: one log stream
            self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, pass_fds=(self._read,), env=self.env)
        log.info("worker process %d started", self._proc.pid)

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
            log.error("the worker process exited with %s; starting another in %.0f s", code, delay)
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

    def wake(self) -> None:
        """Deliveries were committed: have the worker look at the queue now rather than at its next poll."""
        with contextlib.suppress(OSError):  # full (a wake is pending anyway) or closed (stopping)
            os.write(self._write, b"\0")

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM the worker (it finishes running jobs) and wait for it; SIGKILL past `timeout`."""
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
                log.error("the worker process did not stop within %.0f s: killing it", timeout)
                proc.kill()
                code = proc.wait()
        if self._watcher is not None:
            self._watcher.join(5)
        for fd in (self._write, self._read):
            with contextlib.suppress(OSError):
                os.close(fd)
        return code
