"""Strict readers for the signal table's fields: each checks one YAML value and names its key path if wrong."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from ghapp.core.errors import GhappError

Path = tuple[str | int, ...]
Reader = Callable[[Any, Path], Any]


class SignalTableError(GhappError, ValueError):
    """The table (or an org's `ai_signals:` section) is malformed; `path` is the key path to the problem."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        super().__init__(f"{where}: {message}" if where else message)


def fail(path: Path, message: str) -> NoReturn:
    raise SignalTableError(path, message)


def mapping(value: Any, path: Path, allowed: Sequence[str], required: Sequence[str] = ()) -> Mapping[str, Any]:
    """`value` as a mapping whose keys are all in `allowed` and include every `required` one."""
    if not isinstance(value, Mapping):
        fail(path, "must be a mapping")
    for key in value:
        if key not in allowed:
            fail((*path, str(key)), f"unknown key (expected one of: {', '.join(allowed)})")
    for key in required:
        if key not in value:
            fail(path, f"missing required key {key!r}")
    return value


def each(reader: Reader) -> Reader:
    """A reader for a list whose items `reader` reads; the result is a tuple."""

    def read(value: Any, path: Path) -> tuple[Any, ...]:
        if not isinstance(value, list):
            fail(path, "must be a list")
        return tuple(reader(item, (*path, index)) for index, item in enumerate(value))

    return read


def each_unique(reader: Reader) -> Reader:
    """Like `each`, as a frozenset."""
    return lambda value, path: frozenset(each(reader)(value, path))


def text(value: Any, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(path, "must be a non-empty string")
    return value


def lowered(value: Any, path: Path) -> str:
    return text(value, path).strip().lower()


def flag(value: Any, path: Path) -> bool:
    if not isinstance(value, bool):
        fail(path, "must be true or false")
    return value


def regex(value: Any, path: Path) -> re.Pattern[str]:
    """A pattern, compiled once here, case-insensitive."""
    if not isinstance(value, str):
        fail(path, "must be a regular expression (string)")
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        fail(path, f"invalid regular expression: {exc}")


def choice(options: Sequence[str]) -> Reader:
    def read(value: Any, path: Path) -> str:
        if not isinstance(value, str) or value not in options:
            fail(path, f"must be one of: {', '.join(options)}")
        return value

    return read


def matching(pattern: str, what: str) -> Reader:
    compiled = re.compile(pattern)

    def read(value: Any, path: Path) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            fail(path, f"must be {what}")
        return value

    return read


def github_id(value: Any, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        fail(path, "must be a positive GitHub account id")
    return value


def email(value: Any, path: Path) -> str:
    # a bare domain would flag every human at a vendor (people at openai.com write code too)
    if not isinstance(value, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        fail(path, "must be a whole email address (never a bare domain)")
    return value.lower()
