"""JSON log lines carry the job context, and no token or configured secret survives into a log line."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from ghapp.observability import secrets_of
from ghapp.observability.logs import (
    REDACTED,
    JsonFormatter,
    LogBudget,
    Redactor,
    configure_logging,
    current_context,
    log_context,
)
from ghapp.settings import Settings

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx7\nabc/def+ghi==\n-----END RSA PRIVATE KEY-----"
JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiIxMjMiLCJpYXQiOjF9.c2lnbmF0dXJlLXBhcnQ"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", secrets=("whsec-very-secret", "x"), stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_line_of_a_job_carries_its_context(lines: io.StringIO) -> None:
    log = logging.getLogger("ghapp.runtime.jobs")
    with log_context(delivery_id="d-1", installation_id=7, repo="octo/app"):
        log.info("claimed")
        with log_context(pr=42):
            log.info("evaluated %s gates", 6, extra={"gate": "lint"})
        log.warning("done")
    log.info("outside")
    out = records(lines)
    assert [r["msg"] for r in out] == ["claimed", "evaluated 6 gates", "done", "outside"]
    assert out[0]["delivery_id"] == "d-1" and out[0]["installation_id"] == 7 and "pr" not in out[0]
    assert out[1]["pr"] == 42 and out[1]["repo"] == "octo/app" and out[1]["gate"] == "lint"
    assert out[2]["level"] == "warning" and "pr" not in out[2]
    assert "delivery_id" not in out[3] and out[3]["logger"] == "ghapp.runtime.jobs"
    assert current_context() == {}


def test_context_does_not_leak_between_threads(lines: io.StringIO) -> None:
    seen: list[object] = []
    with log_context(delivery_id="main"):
        worker = threading.Thread(target=lambda: seen.append(dict(current_context())))
        worker.start()
        worker.join()
    assert seen == [{}]


@pytest.mark.parametrize(
    "secret",
    [
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        "ghs_123456_" + JWT,  # the stateless installation-token form
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "gho_abcdefghijklmnopqrstuvwxyz0123456789",
        "ghu_abcdefghijklmnopqrstuvwxyz0123456789",
        "ghr_abcdefghijklmnopqrstuvwxyz0123456789",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        JWT,
        PEM,
        "whsec-very-secret",
    ],
)
def test_tokens_and_secrets_are_redacted_everywhere(lines: io.StringIO, secret: str) -> None:
    log = logging.getLogger("ghapp.github")
    log.info("token %s in args", secret, extra={"header": f"Bearer {secret}"})
    log.info(f"token {secret} in message")
    try:
        raise RuntimeError(f"request failed with {secret}")
    except RuntimeError:
        log.exception("call failed")
    text = lines.getvalue()
    assert secret not in text
    assert secret.splitlines()[1 if "\n" in secret else 0] not in text  # not even a fragment of a key
    out = records(lines)
    assert out[0]["msg"] == f"token {REDACTED} in args" and out[0]["header"] == f"Bearer {REDACTED}"
    assert out[1]["msg"] == f"token {REDACTED} in message"
    assert "RuntimeError: request failed with [REDACTED]" in str(out[2]["exc"])


def test_short_secrets_are_not_used_as_patterns() -> None:
    # A one-letter "secret" would otherwise blank every x in every line.
    assert Redactor(("x",))("box of 6 mixed items") == "box of 6 mixed items"


def test_ordinary_text_is_left_alone() -> None:
    text = "delivery 72d3162e-cc78-11e3-81ab-4c9367dc0958 for octo/ghs_repo sha " + "6dcb09b5b57875f334f6" * 2
    assert Redactor()(text) == text


def test_reconfiguring_replaces_the_handler_instead_of_duplicating_lines() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", stream=first)
    handler = configure_logging("INFO", stream=second)
    try:
        logging.getLogger("ghapp").info("once")
        logging.getLogger("ghapp").debug("below the level")
    finally:
        logging.getLogger().removeHandler(handler)
    assert first.getvalue() == "" and [r["msg"] for r in records(second)] == ["once"]


def test_the_formatter_alone_writes_the_traceback() -> None:
    try:
        raise KeyError("missing")
    except KeyError:
        record = logging.getLogger("x").makeRecord("x", logging.ERROR, "f", 1, "failed", None, sys.exc_info())
    record.color_message = "\x1b[31mfailed\x1b[0m"  # what uvicorn adds
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "failed" and "KeyError: 'missing'" in line["exc"] and "color_message" not in line


def test_configured_secrets_are_collected_from_settings() -> None:
    settings = Settings(webhook_secret="whsec-1", oauth_client_secret="", session_secret="sess-2", private_key="pem")
    assert secrets_of(settings) == ("whsec-1", "sess-2", "pem")


def test_a_log_budget_keeps_a_flood_to_its_lines_a_window_and_says_how_many_it_left_out() -> None:
    ticks = [0.0]
    budget = LogBudget(lines=3, window_s=60.0, clock=lambda: ticks[0])
    assert [budget.take() for _ in range(5)] == [0, 0, 0, None, None]
    ticks[0] = 59.9
    assert budget.take() is None
    ticks[0] = 60.0  # a new window: the first line says three were left out, the next ones none
    assert [budget.take() for _ in range(4)] == [3, 0, 0, None]
    ticks[0] = 500.0
    assert budget.take() == 1
