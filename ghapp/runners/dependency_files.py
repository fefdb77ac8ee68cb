"""Reads dependency files into exact pins with the line they came from; what cannot be pinned is kept as a
reason it was not audited. Supports requirements files (any `*requirements*.txt`/`.in`, and `requirements/`),
pyproject.toml (with `[build-system].requires`), setup.cfg (`install_requires`, `extras_require`,
`setup_requires`), poetry.lock, uv.lock, Pipfile.lock.

Every name and version is checked (a PEP 508 name, `packaging.version.Version`) before it can become a pin:
a lock file's `version` string must not add lines to the requirements file the audit tool reads. Index
options (`--index-url`, `--extra-index-url`, `--find-links`) are unaudited with the index they name: the
audit only knows the public index. `-r`/`-c` includes are listed by `includes` for the runner to follow.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

LOCK_FILES = frozenset({"poetry.lock", "uv.lock", "Pipfile.lock"})
_NOT_INDEX = frozenset({"git", "path", "directory", "file", "url"})  # lock-file sources outside a package index
_COMMENT = re.compile(r"(^|\s)#.*$")
_OPTION_SUFFIX = re.compile(r"\s+--?[a-z][a-z-]*(=\S*|\s+\S+)?")
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,200}[A-Za-z0-9])?")  # PEP 508
_INCLUDE = re.compile(r"^(?:--requirement|--constraint|-r|-c)(?:\s*=\s*|\s*)(?P<target>\S+)$")
_INDEX = re.compile(r"^(?P<option>--index-url|--extra-index-url|--find-links|-i|-f)(?:\s*=\s*|\s*)(?P<url>\S*)")


@dataclass(frozen=True)
class Pin:
    """One dependency entry: `version` is the exact pin, or None with `reason` saying why it cannot be audited."""

    name: str
    version: str | None
    path: str
    line: int
    reason: str = ""
    ecosystem: str = "PyPI"  # as OSV names it: PyPI, npm, Go, crates.io, RubyGems, Packagist, Maven
    via: str = ""  # `file:line` of the included file the entry comes from, when `path`/`line` are the include


def is_requirements_file(path: str) -> bool:
    """A pip requirements file by its name: `requirements.txt`, `dev-requirements.txt`, `requirements/*.txt`..."""
    pure = PurePosixPath(path)
    name = pure.name.lower()
    if not name.endswith((".txt", ".in")):
        return False
    return pure.parent.name == "requirements" or "requirements" in name or name.startswith("constraints")


def is_dependency_file(path: str) -> bool:
    name = PurePosixPath(path).name
    return name in LOCK_FILES or name in ("pyproject.toml", "setup.cfg") or is_requirements_file(path)


def read_pins(path: str, text: str) -> list[Pin]:
    """Every dependency in `text` (the file at `path`). Raises ValueError for a file that cannot be parsed."""
    name = PurePosixPath(path).name
    if name == "pyproject.toml":
        pins = list(_pyproject(path, text))
    elif name == "setup.cfg":
        pins = list(_setup_cfg(path, text))
    elif name == "Pipfile.lock":
        pins = list(_pipfile_lock(path, text))
    elif name in LOCK_FILES:
        pins = list(_toml_lock(path, text))
    else:
        pins = list(_requirements(path, text))
    return [checked(pin) for pin in pins]


def checked(pin: Pin) -> Pin:
    """The pin, or an unaudited entry when its name or version is not one (nothing else may reach a tool)."""
    if pin.version is None:
        return pin
    if not _NAME.fullmatch(pin.name):
        return Pin(pin.name[:60], None, pin.path, pin.line, "not a package name", pin.ecosystem, pin.via)
    try:
        Version(pin.version)
    except InvalidVersion:
        return Pin(pin.name, None, pin.path, pin.line, f"not a version: {pin.version[:40]!r}", pin.ecosystem, pin.via)
    return pin


def includes(text: str) -> list[tuple[int, str]]:
    """The `-r`/`--requirement` and `-c`/`--constraint` targets of a requirements file, with their lines."""
    found = []
    for number, line in _logical_lines(text):
        match = _INCLUDE.match(line)
        if match:
            found.append((number, match["target"]))
    return found


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
        elif (index := _INDEX.match(line)) is not None:
            where = index["url"] or "an index named on the next line"
            yield Pin(
                index["option"],
                None,
                path,
                number,
                f"packages may be installed from {where}, which the audit does not know",
            )
        elif line.startswith("-"):
            continue  # -r/-c includes are followed by the runner; other options do not change what is installed
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
    build = data.get("build-system", {}).get("requires", [])
    specs += [s for s in build if isinstance(s, str)]  # installed to build the package: as exposed as the rest
    for spec in specs:
        yield _from_spec(spec, path, _line_of(text, f'"{spec}"', _line_of(text, spec)))
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
    for table in tables:
        yield from _poetry_table(path, text, table)


def _setup_cfg(path: str, text: str) -> Iterator[Pin]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise ValueError(str(exc)) from exc
    values: list[str] = []
    for key in ("install_requires", "setup_requires", "tests_require"):
        values.append(parser.get("options", key, fallback=""))
    if parser.has_section("options.extras_require"):
        values += [value for _, value in parser.items("options.extras_require")]
    for value in values:
        for raw in value.splitlines():
            spec = _COMMENT.sub("", raw).strip()
            if spec:
                yield _from_spec(spec, path, _line_of(text, spec))


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
    """The distinct (name, version) pairs to audit, in a stable order (only checked ones: see `checked`)."""
    return sorted({(p.name, p.version) for p in map(checked, pins) if p.version is not None})
