"""Reads dependency files into exact pins with the line they came from; what cannot be pinned is kept as a
reason it was not audited. Supports requirements files, pyproject.toml, poetry.lock, uv.lock, Pipfile.lock.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

LOCK_FILES = frozenset({"poetry.lock", "uv.lock", "Pipfile.lock"})
_NOT_INDEX = frozenset({"git", "path", "directory", "file", "url"})  # lock-file sources outside a package index
_COMMENT = re.compile(r"(^|\s)#.*$")
_OPTION_SUFFIX = re.compile(r"\s+--?[a-z][a-z-]*(=\S*|\s+\S+)?")


@dataclass(frozen=True)
class Pin:
    """One dependency entry: `version` is the exact pin, or None with `reason` saying why it cannot be audited."""

    name: str
    version: str | None
    path: str
    line: int
    reason: str = ""
    ecosystem: str = "PyPI"  # as OSV names it: PyPI, npm, Go, crates.io, RubyGems, Packagist, Maven


def is_dependency_file(path: str) -> bool:
    pure = PurePosixPath(path)
    name = pure.name
    if name in LOCK_FILES or name == "pyproject.toml":
        return True
    in_requirements_dir = pure.parent.name == "requirements" and name.endswith((".txt", ".in"))
    return in_requirements_dir or (name.startswith("requirements") and name.endswith((".txt", ".in")))


def read_pins(path: str, text: str) -> list[Pin]:
    """Every dependency in `text` (the file at `path`). Raises ValueError for a file that cannot be parsed."""
    name = PurePosixPath(path).name
    if name == "pyproject.toml":
        return list(_pyproject(path, text))
    if name == "Pipfile.lock":
        return list(_pipfile_lock(path, text))
    if name in LOCK_FILES:
        return list(_toml_lock(path, text))
    return list(_requirements(path, text))


def _from_spec(spec: str, path: str, line: int) -> Pin:
    try:
        req = Requirement(spec)
    except InvalidRequirement:
        return Pin(spec.split(maxsplit=1)[0], None, path, line, "not a requirement pip-audit can read")
    name = canonicalize_name(req.name)
    if req.url:
        return Pin(name, None, path, line, "installed from a URL or path, not from the index")
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return Pin(name, specs[0].version, path, line)
    return Pin(name, None, path, line, f"not pinned to one version ({req.specifier or 'any version'})")


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, (pending + line).strip()
        pending = ""
    if pending.strip():
        yield start, pending.strip()


def _requirements(path: str, text: str) -> Iterator[Pin]:
    for number, line in _logical_lines(text):
        if not line:
            continue
        if line.startswith(("-e", "--editable")):
            yield Pin(line.split()[-1], None, path, number, "editable install, not from the index")
        elif line.startswith("-"):
            continue  # -r/-c includes and index options: included files are audited when they change
        elif line.startswith((".", "/")) or "://" in line.split(" @ ")[0]:
            yield Pin(line.split()[0], None, path, number, "installed from a URL or path, not from the index")
        else:
            yield _from_spec(_OPTION_SUFFIX.sub("", line), path, number)


def _line_of(text: str, needle: str, default: int = 1) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else default


def _pyproject(path: str, text: str) -> Iterator[Pin]:
    data = tomllib.loads(text)
    project = data.get("project", {})
    specs: list[str] = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        specs += group
    for group in data.get("dependency-groups", {}).values():
        specs += [s for s in group if isinstance(s, str)]
    for spec in specs:
        yield _from_spec(spec, path, _line_of(text, f'"{spec}"', _line_of(text, spec)))
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
    for table in tables:
        yield from _poetry_table(path, text, table)


def _poetry_table(path: str, text: str, table: dict[str, Any]) -> Iterator[Pin]:
    for name, value in table.items():
        if name.lower() == "python":
            continue
        line = _line_of(text, f"\n{name} =") + 1 if f"\n{name} =" in text else _line_of(text, name)
        version = value.get("version") if isinstance(value, dict) else value
        if not isinstance(version, str):
            yield Pin(canonicalize_name(name), None, path, line, "installed from a URL, path or VCS")
        elif re.fullmatch(r"=*\s*\d[\w.!+-]*", version):
            yield Pin(canonicalize_name(name), version.lstrip("= "), path, line)
        else:
            yield Pin(canonicalize_name(name), None, path, line, f"not pinned to one version ({version})")


def _toml_lock(path: str, text: str) -> Iterator[Pin]:
    for package in tomllib.loads(text).get("package", []):
        name, version = package.get("name"), package.get("version")
        line = _line_of(text, f'name = "{name}"')
        source = package.get("source", {})
        source = source if isinstance(source, dict) else {}
        if {"editable", "virtual"} & set(source):
            continue  # the project itself
        if _NOT_INDEX & set(source) or source.get("type") in _NOT_INDEX:
            yield Pin(canonicalize_name(str(name)), None, path, line, "installed from a URL, path or VCS")
        elif isinstance(name, str) and isinstance(version, str):
            yield Pin(canonicalize_name(name), version, path, line)


def _pipfile_lock(path: str, text: str) -> Iterator[Pin]:
    data = json.loads(text)
    for section in ("default", "develop"):
        entries: dict[str, Any] = data.get(section, {})
        for name, entry in entries.items():
            line = _line_of(text, f'"{name}": {{')
            version = entry.get("version", "") if isinstance(entry, dict) else ""
            if isinstance(version, str) and version.startswith("=="):
                yield Pin(canonicalize_name(name), version[2:], path, line)
            else:
                yield Pin(canonicalize_name(name), None, path, line, "installed from a URL, path or VCS")


def unique_pins(pins: Iterable[Pin]) -> list[tuple[str, str]]:
    """The distinct (name, version) pairs to audit, in a stable order."""
    return sorted({(p.name, p.version) for p in pins if p.version is not None})
