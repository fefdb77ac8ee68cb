"""The App under test over real HTTP: `create_app` served by uvicorn (lifespan on, so the recorder and the
in-process worker run) on a loopback port, talking to the GitHub simulator; plus the world the scenarios
share (an org with a billing team, a repository with CODEOWNERS) and fake runners for fast tests."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from ghapp.app import create_app
from ghapp.core.decisions import Finding, Gate, ToolReport
from ghapp.enforcement import Enforcer
from ghapp.github import CallCounter, GitHubApp
from ghapp.github.cache import RedisCache, cache_from_settings
from ghapp.handlers import build_handlers
from ghapp.observability import Telemetry
from ghapp.runners import RunContext, Runner, ToolRun
from ghapp.settings import Settings
from ghapp.store.deliveries import DeliveryState
from tests.conftest import REDIS_URL
from tests.ghsim import GitHubSim

ORG = "acme"
REPO = "acme/payments"
AI_MESSAGE = (
    "Add a refund fee to charge()\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
    "Co-Authored-By: Claude <noreply@anthropic.com>"
)
AI_BODY = "Adds a refund fee.\n\n## Prompt\nAdd a 2% refund fee to charge() in billing/charge.py.\n"
CHARGE = 'def charge(amount: int) -> int:\n    """Charge `amount` cents."""\n    return amount\n'
CHARGE_AI = (
    'def charge(amount: int) -> int:\n    """Charge `amount` cents plus the refund fee."""\n'
    "    fee = amount // 50\n    return amount + fee\n"
)
CODEOWNERS = "* @acme/platform\nbilling/ @acme/billing\n"


def build_world(sim: GitHubSim, *, policy: str | None = None, files: dict[str, str] | None = None) -> int:
    """The `acme` org: `payments` with CODEOWNERS (billing/ -> @acme/billing), teams billing (bob),
    platform (pat) and security (sec); returns the installation id."""
    inst = sim.state.create_installation(ORG)
    tree = {
        "README.md": "# payments\n",
        "billing/charge.py": CHARGE,
        "app/util.py": "VALUE = 1\n",
        ".github/CODEOWNERS": CODEOWNERS,
        **(files or {}),
    }
    if policy is not None:
        tree[".github/prompt-to-pr.yml"] = policy
    sim.state.create_repo(REPO, files=tree)
    sim.state.add_team_member(ORG, "billing", "bob")
    sim.state.add_team_member(ORG, "platform", "pat")
    sim.state.add_team_member(ORG, "security", "sec")
    return inst.id


@dataclass(frozen=True)
class FakeRunner:
    """A runner that never starts a process: `findings` are reported for whichever files it is given."""

    name: str
    gate: Gate
    suffixes: tuple[str, ...] = (".py",)
    findings: tuple[Finding, ...] = ()
    dist: str = "prompt-to-pr"
    needs_network: bool = False
    env: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def applies_to(self, path: str) -> bool:
        return path.endswith(self.suffixes)

    def prepare(self, ctx: RunContext, files: Sequence[str]) -> dict[str, str]:
        return {}

    def command(self, ctx: RunContext, files: Sequence[str]) -> list[str]:
        self.calls.append(tuple(files))
        return ["/bin/true"]

    def parse(self, run: ToolRun, ctx: RunContext) -> ToolReport:
        wanted = set(run.files)
        return ToolReport(gate=self.gate, tool=self.name, findings=tuple(f for f in self.findings if f.path in wanted))


def fake_runners(**findings: Sequence[Finding]) -> tuple[FakeRunner, ...]:
    return (
        FakeRunner("ruff", Gate.LINT, findings=tuple(findings.get("lint", ()))),
        FakeRunner("mypy", Gate.TYPES, findings=tuple(findings.get("types", ()))),
        FakeRunner(
            "semgrep", Gate.SEMGREP, suffixes=(".py", ".yml", ".txt"), findings=tuple(findings.get("semgrep", ()))
        ),
        FakeRunner("pip-audit", Gate.DEPENDENCY_AUDIT, suffixes=("requirements.txt",)),
    )


class AppServer:
    """The App (web tier + in-process worker) served over HTTP."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._sock = sock
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/api/github/webhooks"
        config = uvicorn.Config(app, log_level="critical", access_log=False, lifespan="on", loop="asyncio")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)

    def start(self) -> AppServer:
        self._thread.start()
        deadline = time.monotonic() + 60  # a generous wait for a start on a loaded machine, not a speed bound
        while not self._server.started:
            assert self._thread.is_alive() and time.monotonic() < deadline, "the App did not start"
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()

    def idle(self, timeout: float = 120.0) -> None:
        """Wait until every accepted delivery has been processed."""
        inbox = self.app.state.inbox
        deadline = time.monotonic() + timeout
        while True:
            counts = inbox.counts()
            if counts[DeliveryState.PENDING] == 0 and counts[DeliveryState.PROCESSING] == 0:
                return
            assert time.monotonic() < deadline, f"deliveries still waiting: {counts}"
            time.sleep(0.05)


def app_settings(sim: GitHubSim, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'app.db'}",
        "queue_path": str(tmp_path / "q.db"),
        "data_dir": tmp_path / "var",
        "public_url": "https://ghapp.example.test",
        "workers": 1,
        "sweep_interval_s": 1,
    }
    return sim.settings(**{**values, **overrides})


@contextmanager
def running_app(
    sim: GitHubSim,
    tmp_path: Path,
    *,
    runners: Sequence[Runner] | None = None,
    counter: CallCounter | None = None,
    telemetry: Telemetry | None = None,
    **overrides: Any,
) -> Iterator[AppServer]:
    settings = app_settings(sim, tmp_path, **overrides)
    enforcer = Enforcer(runners=runners) if runners is not None else Enforcer()
    handlers = build_handlers(enforcer)
    cache = cache_from_settings(settings)  # as `ghapp serve` builds it: Redis when the settings name one
    github = GitHubApp(settings, counter=counter, cache=cache)
    server = AppServer(create_app(settings, github=github, handlers=handlers, telemetry=telemetry)).start()
    try:
        yield server
    finally:
        server.stop()
        server.app.state.inbox.db.engine.dispose()  # the App's pool (PostgreSQL keeps real connections)
        if isinstance(cache, RedisCache):  # the test's own queue name: leave nothing behind in Redis
            server.app.state.queue.huey.flush()
            cache.clear()
        server.app.state.queue.close()
        cache.close()


def scaled_out(database_url: str) -> dict[str, Any]:
    """Settings overrides for the `database_url` fixture's database: with PostgreSQL, also a Redis queue and
    cache under a name of this test's own (the scale-out configuration); SQLite keeps the embedded queue."""
    if database_url.startswith("sqlite"):
        return {"database_url": database_url}
    return {"database_url": database_url, "redis_url": REDIS_URL, "queue_name": f"ghapp-e2e-{uuid.uuid4().hex[:10]}"}


def comment_payload(sim: GitHubSim, number: int, login: str, body: str, comment_id: int) -> dict[str, Any]:
    """An `issue_comment` `created` delivery on a pull request, written a second after the last thing that
    happened (GitHub's times have whole seconds, and an override speaks for the head its comment saw)."""
    sim.state.clock.advance(1)
    return sim.payloads.issue_comment(REPO, number, login=login, body=body, comment_id=comment_id)
