"""Tools run with none of the App's powers: a tool process (as a PR could make one behave) tries to reach a port
on loopback (the App's database, Redis, the web port), read the App's credentials file, read the App's
secrets from its environment, write into the head, and leave a file in /tmp; the real tools still work."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ghapp.core.decisions import Gate, ToolReport
from ghapp.runners import Ruff, RunContext, Semgrep, ToolRun, run
from ghapp.runners.sandbox import resolve

PROBE = r"""
import json, os, socket, sys
port, secret_file, tmp_probe = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = {}
try:
    socket.create_connection(("127.0.0.1", port), timeout=2).close(); out["loopback"] = "connected"
except OSError as exc:
    out["loopback"] = type(exc).__name__
try:
    out["credentials"] = open(secret_file).read()
except OSError as exc:
    out["credentials"] = type(exc).__name__
out["env"] = sorted(k for k in os.environ if k.startswith("GHAPP_") or "TOKEN" in k)
try:
    open("planted.py", "w").write("x = 1\n"); out["head"] = "written"
except OSError as exc:
    out["head"] = type(exc).__name__
out["host_tmp"] = os.path.exists(tmp_probe)
open("/tmp/left-behind", "w").write("x")
out["uid"] = os.getuid()
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Probe:
    """A 'tool' that tries what a hostile PR would make a tool try, and reports what worked."""

    args: tuple[str, ...]
    name: str = "probe"
    gate: Gate = Gate.LINT
    dist: str = "pytest"
    needs_network: bool = False
    env: dict[str, str] = field(default_factory=dict)

    def applies_to(self, path: str) -> bool:
        return True

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return {}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        return [sys.executable, "-c", PROBE, *self.args]

    def parse(self, tool_run: ToolRun, ctx: RunContext) -> ToolReport:
        return ToolReport(gate=self.gate, tool=self.name, error=tool_run.stdout + tool_run.stderr_tail)


@pytest.fixture
def listener() -> Iterator[tuple[int, list[object]]]:
    """A loopback port standing for the App's database or Redis, counting the connections it accepts."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[object] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], accepted
    server.close()


def _world(tmp_path: Path) -> tuple[Path, Path, Path]:
    data = tmp_path / "var"
    data.mkdir()
    creds = data / "app-credentials.json"
    creds.write_text('{"pem": "-----BEGIN RSA PRIVATE KEY-----\\nsecret\\n"}')
    creds.chmod(0o600)
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "a.py").write_text("x = 1\n")
    return data, creds, tmp_path / "head"


def _probe(tmp_path: Path, port: int, sandbox: str | None, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    _, creds, head = _world(tmp_path)
    host_probe = Path("/tmp") / f"ghapp-host-probe-{os.getpid()}"
    host_probe.write_text("host")
    monkeypatch.setenv("GHAPP_WEBHOOK_SECRET", "whsec-in-the-apps-environment")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_" + "x" * 36)
    try:
        ctx = RunContext(root=head, scratch=tmp_path / "scratch", sandbox=sandbox)
        report = asyncio.run(run(Probe((str(port), str(creds), str(host_probe))), ctx, ["a.py"], timeout_s=120))
    finally:
        host_probe.unlink()
    last = report.error.strip().splitlines()[-1] if report.error.strip() else "{}"
    result: dict[str, object] = json.loads(last)
    return result


def test_a_tool_can_reach_no_loopback_port_read_no_credentials_and_write_nothing_outside_scratch(
    tmp_path: Path, listener: tuple[int, list[object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, accepted = listener
    result = _probe(tmp_path, port, resolve("auto"), monkeypatch)
    assert result["loopback"] != "connected" and accepted == [], result
    assert result["credentials"] in ("FileNotFoundError", "PermissionError"), result
    assert result["env"] == [], result
    assert result["head"] in ("OSError", "PermissionError"), result  # read-only: "Read-only file system"
    assert result["host_tmp"] is False and result["uid"] == 65534, result
    assert not (tmp_path / "head" / "planted.py").exists() and not Path("/tmp/left-behind").exists()


def test_without_the_sandbox_the_same_probe_gets_through(
    tmp_path: Path, listener: tuple[int, list[object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: what the sandbox takes away is really there to take (the environment was already clean)."""
    port, accepted = listener
    result = _probe(tmp_path, port, None, monkeypatch)
    assert result["loopback"] == "connected" and len(accepted) == 1
    assert str(result["credentials"]).startswith('{"pem"') and result["env"] == []
    Path("/tmp/left-behind").unlink(missing_ok=True)


def test_a_required_sandbox_that_is_missing_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda *_a, **_k: None)
    assert resolve("none") is None and resolve("auto") is None
    with pytest.raises(Exception, match="bubblewrap"):
        resolve("bwrap")
    with pytest.raises(Exception, match="auto, bwrap or none"):
        resolve("sometimes")


@pytest.mark.tools
def test_the_real_tools_work_in_the_sandbox(tmp_path: Path) -> None:
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "a.py").write_text("import os\n\ndef f(name):\n    return eval(name)\n")
    for runner in (Ruff(), Semgrep()):
        found = {}
        for jail in (None, resolve("bwrap")):  # bubblewrap is installed by .ci/run: required here
            ctx = RunContext(
                root=tmp_path / "head", scratch=tmp_path / f"scratch-{runner.name}-{bool(jail)}", sandbox=jail
            )
            report = asyncio.run(run(runner, ctx, ["a.py"], timeout_s=300))
            assert report.status == "ok", (runner.name, report.error)
            found[bool(jail)] = {(f.rule, f.line) for f in report.findings}
        assert found[True] and found[True] == found[False], (runner.name, found)
