"""Structured JSON log lines carrying the job's context (delivery, installation, repo, PR), with secrets redacted,
and a budget for lines anyone outside can cause."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

_CONTEXT: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("ghapp_log_context", default={})  # noqa: B039

# Token shapes GitHub hands out (classic `ghp_`, installation `ghs_` including the new stateless
# `ghs_APPID_JWT` form with dots, OAuth `gho_`, user-to-server `ghu_`, refresh `ghr_`, fine-grained
# `github_pat_`), JSON Web Tokens (the App's own JWT), and PEM private keys.
_TOKEN_PATTERNS = (
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
    r"\bgh[pousr]_[A-Za-z0-9._-]{20,}",
    r"\bgithub_pat_[A-Za-z0-9_]{20,}",
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
)
REDACTED = "[REDACTED]"
# Credentials carried in a URL's query: the archive link's `token=` (codeload), OAuth and setup callbacks'
# `code=`/`state=`, and anything named like a token or secret.
_QUERY_SECRET = re.compile(r"([?&](?:[A-Za-z_]*token|code|state|[A-Za-z_]*secret|jwt)=)[^&#\s\"'<>]+", re.IGNORECASE)
# Libraries that log each request's full URL at INFO (httpx: "HTTP Request: GET <url>"); the App logs its own
# GitHub calls by route template instead.
_URL_LOGGERS = ("httpx", "httpcore", "hishel")
# uvicorn adds `color_message` (the message with terminal colour codes) to its records: not for JSON.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}


class LogBudget:
    """At most `lines` log lines of one kind in each `window_s`: a request anyone can send (a bad signature) is
    logged, but a flood of them does not fill the disk. `take()` says whether this one is logged and, if so,
    how many were left out since the last logged one; what must be counted exactly is counted apart (the
    webhook's bad signatures in `ghapp_deliveries_total`)."""

    def __init__(self, lines: int = 20, window_s: float = 60.0, clock: Callable[[], float] | None = None) -> None:
        self.lines, self.window_s = lines, window_s
        self.clock = clock if clock is not None else time.monotonic
        self._window_start = float("-inf")
        self._used = 0
        self._left_out = 0

    def take(self) -> int | None:
        """None: do not log this one. Otherwise log it, saying the number returned were left out before it."""
        now = self.clock()
        if now - self._window_start >= self.window_s:
            self._window_start, self._used = now, 0
        if self._used >= self.lines:
            self._left_out += 1
            return None
        self._used += 1
        left_out, self._left_out = self._left_out, 0
        return left_out

    def warning(self, logger: logging.Logger, msg: str, *args: object, extra: dict[str, Any]) -> None:
        """`logger.warning` within the budget; a line after some were left out says how many, in
        `not_logged_before`."""
        left_out = self.take()
        if left_out is None:
            return
        logger.warning(msg, *args, extra={**extra, "not_logged_before": left_out} if left_out else extra)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` (delivery_id, installation_id, repo, pr, ...) to every log line inside the block."""
    merged = {**_CONTEXT.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = _CONTEXT.set(merged)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_context() -> Mapping[str, Any]:
    return _CONTEXT.get()


class Redactor:
    """Replaces token-like strings and the configured secrets with `[REDACTED]`."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        literal = [re.escape(s) for s in secrets if len(s) >= 6]  # a 2-letter "secret" would eat every line
        self._pattern = re.compile("|".join([*_TOKEN_PATTERNS, *literal]), re.DOTALL)

    def __call__(self, text: str) -> str:
        return _QUERY_SECRET.sub(rf"\1{REDACTED}", self._pattern.sub(REDACTED, text))


class RedactionFilter(logging.Filter):
    """Scrubs the formatted message, the arguments and the exception text of every record it sees."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, self._redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the log context, `extra=` fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(_CONTEXT.get())
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS and not k.startswith("_")})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(
    level: str = "INFO", secrets: tuple[str, ...] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Send every `ghapp`, uvicorn and huey record to one JSON handler on `stream` (stderr), redacted."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactionFilter(Redactor(secrets)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_ghapp", False)]:
        root.removeHandler(old)
    handler._ghapp = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "huey"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for name in _URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
