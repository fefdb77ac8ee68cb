"""No secret or token in logs, error pages or stored errors.

The App runs with a known webhook secret, the simulator's private key, OAuth client and session secrets, and
the installation tokens the simulator hands out (each recorded as issued). Deliveries are driven through it,
good and bad: an AI pull request with findings, a review, a GitHub outage while a job runs, revoked tokens,
bad signatures, malformed bodies, pages that do not exist. Everything is captured (every log record at DEBUG
through caplog, the App's JSON log handler, the stderr of a real `ghapp serve` process, every HTTP response
with its headers, the errors stored in the database) and scanned for the secrets and for anything shaped
like a token, a JWT or a PEM key."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from ghapp.core.decisions import Finding
from ghapp.observability import configure_logging
from ghapp.runtime.webhooks import WEBHOOK_PATH
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, AppServer, build_world, fake_runners
from tests.ghsim import GitHubSim
from tests.ghsim.webhooks import signature_256
from tests.reliability.app_under_test import fast_forward, serving

WEBHOOK_SECRET = "whsec-" + secrets.token_hex(20)
OAUTH_SECRET = "oauth-" + secrets.token_hex(20)
SESSION_SECRET = "session-" + secrets.token_hex(20)
SHAPES = re.compile(r"ghs_|ghu_|gho_|ghp_|github_pat_|-----BEGIN|\beyJ[A-Za-z0-9_-]{8,}\.")


class Issued:
    """Wraps the simulator's token issuer to remember every installation token handed to the App."""

    def __init__(self, sim: GitHubSim) -> None:
        self.tokens: list[str] = []
        self._issue = sim.state.issue_token
        sim.state.issue_token = self  # type: ignore[method-assign]

    def __call__(self, installation_id: int) -> Any:
        value, token = self._issue(installation_id)
        self.tokens.append(value)
        return value, token


def secret_values(sim: GitHubSim, issued: Issued) -> list[str]:
    key = sim.keys.private_pem
    body_lines = [line for line in key.splitlines() if line and not line.startswith("-----")]
    return [
        WEBHOOK_SECRET,
        OAUTH_SECRET,
        SESSION_SECRET,
        key,
        *body_lines,
        *issued.tokens,
        *(t.split(".")[-1] for t in issued.tokens),
    ]


def assert_clean(where: str, text_: str, values: list[str], *, shapes_in: str | None = None) -> None:
    """No secret in `text_`, and nothing token-shaped in `shapes_in` (default: `text_` itself)."""
    for value in values:
        assert value not in text_, f"a secret ({value[:8]}...) appears in {where}"
    text_ = text_ if shapes_in is None else shapes_in
    shaped = SHAPES.search(text_)
    assert shaped is None, f"{where}: token-shaped text {text_[max(0, shaped.start() - 60) : shaped.end() + 60]!r}"


@pytest.fixture
def sim() -> Iterator[GitHubSim]:
    with GitHubSim(webhook_secret=WEBHOOK_SECRET) as simulator:
        yield simulator


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The App's JSON log handler (as `ghapp serve` installs it) writing to a buffer; removed afterwards."""
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    handler = configure_logging("DEBUG", (WEBHOOK_SECRET, OAUTH_SECRET, SESSION_SECRET), stream=stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


@contextmanager
def quiet_test_client() -> Iterator[None]:
    """The test's own HTTP client logs the App's responses (cookies included) at DEBUG: keep those out of the
    capture, which is about what the App logs. The App makes no GitHub call meanwhile."""
    loggers = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _responses(app: AppServer) -> list[httpx.Response]:
    """Requests that end in error pages and refusals."""
    base = app.url.removesuffix(WEBHOOK_PATH)
    body = b'{"zen": "x"}'
    with quiet_test_client(), httpx.Client(base_url=base, timeout=30) as client:
        return [
            client.post(
                WEBHOOK_PATH,
                content=body,
                headers={
                    "X-GitHub-Event": "ping",
                    "X-GitHub-Delivery": "bad-1",
                    "X-Hub-Signature-256": "sha256=" + "0" * 64,
                },
            ),
            client.post(WEBHOOK_PATH, content=body, headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "bad-2"}),
            client.post(
                WEBHOOK_PATH,
                content=b"{not json",
                headers={
                    "X-GitHub-Event": "ping",
                    "X-GitHub-Delivery": "bad-3",
                    "X-Hub-Signature-256": signature_256(WEBHOOK_SECRET, b"{not json"),
                },
            ),
            client.post(
                WEBHOOK_PATH,
                content=b"[" * 27_000_000,
                headers={
                    "X-GitHub-Event": "ping",
                    "X-GitHub-Delivery": "bad-4",
                    "X-Hub-Signature-256": "sha256=" + "1" * 64,
                },
            ),
            client.get("/does-not-exist"),
            client.post("/"),
            client.get(WEBHOOK_PATH),
            client.get("/setup"),
            client.get("/setup/callback", params={"code": "x", "state": "y"}),
            client.get("/auth/callback", params={"code": "x", "state": "\u00e9"}),
            client.get("/auth/login"),
            client.get("/dashboard"),
            client.get("/healthz"),
            client.get("/readyz"),
            client.get("/metrics"),
            client.get("/"),
        ]


def _stored_errors(app: AppServer) -> str:
    with app.app.state.inbox.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT coalesce(last_error, '') FROM deliveries")).scalars().all()
        evaluations = conn.execute(text("SELECT * FROM evaluations")).all()
    return "\n".join(rows) + "\n" + "\n".join(repr(tuple(row)) for row in evaluations)


def test_no_secret_reaches_logs_pages_or_stored_errors(
    sim: GitHubSim, tmp_path: Path, caplog: pytest.LogCaptureFixture, json_logs: io.StringIO
) -> None:
    issued = Issued(sim)
    build_world(sim)
    caplog.set_level(logging.DEBUG)
    finding = Finding("billing/charge.py", 3, "S105", "possible hardcoded password")
    with serving(
        sim,
        tmp_path,
        runners=fake_runners(lint=[finding]),
        log_level="DEBUG",
        max_attempts=1,
        oauth_client_id="Iv1.test",
        oauth_client_secret=OAUTH_SECRET,
        session_secret=SESSION_SECRET,
    ) as app:
        pull = sim.state.create_pull(
            REPO,
            changes={"billing/charge.py": CHARGE_AI},
            messages=[AI_MESSAGE],
            body=AI_BODY,
            user="alice",
            title="Refund fee",
        )
        sent = [sim.send_webhook(app.url, "pull_request", sim.payloads.pull_request(REPO, pull.number, "opened"))]
        app.idle()
        review = sim.state.add_review(REPO, pull.number, "bob", "APPROVED")
        sent.append(
            sim.send_webhook(
                app.url, "pull_request_review", sim.payloads.pull_request_review(REPO, pull.number, review.id)
            )
        )
        app.idle()
        sim.faults.add(r".*", "5xx", count=None, status=502)  # GitHub down for the whole of one job
        sim.state.push(REPO, pull.number, {"billing/charge.py": CHARGE_AI + "# more\n"}, message=AI_MESSAGE)
        sent.append(
            sim.send_webhook(app.url, "pull_request", sim.payloads.pull_request(REPO, pull.number, "synchronize"))
        )
        # the job met the outage and was put off
        _wait_for(lambda: "502" in _stored_errors(app), what="the outage to be recorded")
        sim.faults.clear()
        fast_forward(app)
        app.idle()
        with sim.state.lock:
            sim.state.tokens.clear()  # every token the App holds is now refused with 401
        sent.append(sim.send_webhook(app.url, "pull_request", sim.payloads.pull_request(REPO, pull.number, "reopened")))
        app.idle()
        responses = _responses(app)
        stored = _stored_errors(app)
    assert all(d.status_code == 202 for d in sent)
    assert len(issued.tokens) >= 2, "the App should have asked for a token again after they were revoked"
    values = secret_values(sim, issued)
    records = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''} {vars(r)}" for r in caplog.records)
    formatter = logging.Formatter()
    tracebacks = "\n".join(formatter.formatException(r.exc_info) for r in caplog.records if r.exc_info)
    assert_clean("log records", records + tracebacks, values)
    assert_clean("JSON logs", json_logs.getvalue(), values)
    assert json_logs.getvalue().count("\n") > 12  # the handler really saw the run (the HTTP client logs no URLs)
    pages = "\n".join(f"{r.status_code} {r.headers} {r.text}" for r in responses)
    # the App's own signed cookies (sign-in state, session) look like JWTs and are meant for the browser
    without_cookies = "\n".join(
        f"{r.status_code} {[(k, v) for k, v in r.headers.items() if k != 'set-cookie']} {r.text}" for r in responses
    )
    assert {r.status_code for r in responses} >= {401, 400, 404, 405, 413, 200}
    assert all(r.status_code < 500 or r.status_code == 503 for r in responses), pages[:2000]
    assert_clean("HTTP responses", pages, values, shapes_in=without_cookies)
    assert_clean("stored errors and evaluations", stored, values)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ghapp_serve_writes_no_secret_to_stderr(sim: GitHubSim, tmp_path: Path) -> None:
    """A real `ghapp serve` process at DEBUG: a human PR processed, an outage, refused deliveries."""
    issued = Issued(sim)
    build_world(sim)
    port = _free_port()
    # nothing inherited but PATH and HOME: no setting of another test can leak into the process
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "GHAPP_APP_ID": str(sim.state.app_id),
        "GHAPP_PRIVATE_KEY": sim.keys.private_pem,
        "GHAPP_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "GHAPP_GITHUB_API_URL": sim.api_url,
        "GHAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "GHAPP_QUEUE_PATH": str(tmp_path / "q.db"),
        "GHAPP_DATA_DIR": str(tmp_path / "var"),
        "GHAPP_HOST": "127.0.0.1",
        "GHAPP_PORT": str(port),
        "GHAPP_LOG_LEVEL": "DEBUG",
        "GHAPP_MAX_ATTEMPTS": "1",
        "GHAPP_OAUTH_CLIENT_SECRET": OAUTH_SECRET,
        "GHAPP_SESSION_SECRET": SESSION_SECRET,
        "GHAPP_OSV_URL": "http://127.0.0.1:9/v1/query",
    }
    # files, not pipes: at DEBUG the App writes more than a pipe holds, and would block on a full one
    out_path, err_path = tmp_path / "serve.out", tmp_path / "serve.err"
    with out_path.open("wb") as out_file, err_path.open("wb") as err_file:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "ghapp"), "serve"],
            env=env,
            cwd=tmp_path,
            stdout=out_file,
            stderr=err_file,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a generous wait for a start on a loaded machine, not a speed bound
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "ghapp serve did not start"
            time.sleep(0.1)
        pull = sim.state.create_pull(REPO, changes={"app/util.py": "VALUE = 2\n"}, user="alice", title="Bump")
        first = sim.send_webhook(
            f"{url}{WEBHOOK_PATH}", "pull_request", sim.payloads.pull_request(REPO, pull.number, "opened")
        )
        _wait_for(lambda: len(sim.state.check_runs_for(REPO, pull.head_sha)) >= 1, what="the first check run")
        # a second pull request, so the App must ask GitHub (the first head's answers may all be cached by now)
        other = sim.state.create_pull(REPO, changes={"app/other.py": "VALUE = 3\n"}, user="alice", title="Other")
        sim.faults.add(r".*", "5xx", count=None, status=503)
        second = sim.send_webhook(
            f"{url}{WEBHOOK_PATH}", "pull_request", sim.payloads.pull_request(REPO, other.number, "opened")
        )
        _wait_for(lambda: sum(1 for r in sim.state.requests() if r.status >= 500) >= 3, what="the outage to be met")
        time.sleep(1.0)
        sim.faults.clear()
        bad = httpx.post(
            f"{url}{WEBHOOK_PATH}",
            content=b"{}",
            headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "x", "X-Hub-Signature-256": "sha256=" + "1" * 64},
        )
        pages = [httpx.get(f"{url}/nope"), httpx.get(f"{url}/readyz"), httpx.get(f"{url}/setup")]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    out, err = out_path.read_bytes(), err_path.read_bytes()
    assert (first.status_code, second.status_code, bad.status_code) == (202, 202, 401)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    stderr = err.decode(errors="replace")
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert len(lines) > 5 and any(line.get("level") == "debug" for line in lines)
    values = secret_values(sim, issued)
    assert issued.tokens
    assert_clean("ghapp serve stderr", stderr + out.decode(errors="replace"), values)
    assert_clean("ghapp serve pages", "\n".join(f"{p.headers} {p.text}" for p in pages), values)


def _wait_for(condition: Any, timeout: float = 60.0, what: str = "a condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
