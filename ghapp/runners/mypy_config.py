"""Builds the mypy config we run with from the repository's own, keeping only options that cannot run code.

A repository's mypy config may name `plugins` (imported and executed), a `python_executable` (run), a
`mypy_path` or `cache_dir` outside the checkout, report directories to write into. We read mypy.ini,
.mypy.ini, pyproject.toml `[tool.mypy]` or setup.cfg `[mypy]` (mypy's own precedence), keep an allow-list
of checking options with validated values, and drop everything else.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CONFIG_FILES = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")
_MIN_PYTHON = (3, 10)  # the oldest target the bundled mypy accepts
_BOOL_PREFIXES = (
    "disallow_",
    "warn_",
    "strict",
    "allow_",
    "check_",
    "no_implicit_",
    "implicit_",
    "local_",
    "extra_checks",
    "ignore_missing_imports",
    "follow_untyped_imports",
    "show_error_codes",
)
_LIST_OPTIONS = ("disable_error_code", "enable_error_code", "always_true", "always_false")
_CODE = re.compile(r"[A-Za-z0-9_-]+")
_MODULE = re.compile(r"[A-Za-z0-9_.*]+")
_KEY = re.compile(r"[a-z_]+")
# Always ours: the PR's dependencies are never installed, so third-party imports cannot resolve; module names
# come from paths (a `src/` layout included), so two `conftest.py` in different folders are not duplicates.
_BASE = {
    "ignore_missing_imports": "True",
    "follow_imports": "silent",
    "show_error_codes": "True",
    "explicit_package_bases": "True",
    "mypy_path": "src",
}


@dataclass(frozen=True)
class MypyConfig:
    text: str
    source: str | None  # the repository file the safe options came from
    dropped: tuple[str, ...]  # options we refused to carry over


def _bool(value: Any) -> str | None:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return "True"
    if text in ("false", "0", "no", "off"):
        return "False"
    return None


def _safe_value(key: str, value: Any) -> str | None:
    if key == "python_version":
        match = re.fullmatch(r"(\d+)\.(\d+)", str(value).strip())
        ok = match is not None and (int(match.group(1)), int(match.group(2))) >= _MIN_PYTHON
        return str(value).strip() if ok else None
    if key in _LIST_OPTIONS:
        items = value if isinstance(value, list) else str(value).split(",")
        codes = [str(i).strip() for i in items if str(i).strip()]
        return ", ".join(codes) if codes and all(_CODE.fullmatch(c) for c in codes) else None
    if key.startswith(_BOOL_PREFIXES):
        return _bool(value)
    return None


def _section(options: Mapping[str, Any], dropped: list[str], where: str) -> dict[str, str]:
    kept: dict[str, str] = {}
    for raw_key, value in options.items():
        key = raw_key.replace("-", "_")
        safe = _safe_value(key, value) if _KEY.fullmatch(key) else None
        if safe is None:
            dropped.append(f"{where}{key}")
        else:
            kept[key] = safe
    return kept


def _from_ini(text: str, prefix: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]] | None:
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    if not parser.has_section(prefix):
        return None
    overrides = {s[len(prefix) + 1 :]: dict(parser.items(s)) for s in parser.sections() if s.startswith(prefix + "-")}
    return dict(parser.items(prefix)), overrides


def _from_pyproject(text: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]] | None:
    table = tomllib.loads(text).get("tool", {}).get("mypy")
    if not isinstance(table, dict):
        return None
    overrides: dict[str, dict[str, Any]] = {}
    for entry in table.get("overrides", []):
        modules = entry.get("module", [])
        for module in [modules] if isinstance(modules, str) else modules:
            overrides[str(module)] = {k: v for k, v in entry.items() if k != "module"}
    return {k: v for k, v in table.items() if k != "overrides"}, overrides


def _read(name: str, text: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]] | None:
    if name == "pyproject.toml":
        return _from_pyproject(text)
    return _from_ini(text, "mypy")


def build_config(repo_files: Mapping[str, str]) -> MypyConfig:
    """Our config from the first of CONFIG_FILES present in `repo_files` (name -> text) with a mypy section.

    An unreadable config is ignored (our defaults apply) and reported in `dropped`.
    """
    dropped: list[str] = []
    for name in CONFIG_FILES:
        if name not in repo_files:
            continue
        try:
            found = _read(name, repo_files[name])
        except (configparser.Error, tomllib.TOMLDecodeError, AttributeError, TypeError) as exc:
            dropped.append(f"{name}: unreadable ({type(exc).__name__})")
            continue
        if found is None:
            continue
        options, overrides = found
        lines = ["[mypy]", *_lines({**_section(options, dropped, ""), **_BASE})]
        for module, module_options in overrides.items():
            if not _MODULE.fullmatch(module):
                dropped.append(f"[mypy-{module}]")
                continue
            kept = _section(module_options, dropped, f"[mypy-{module}] ")
            if kept:
                lines += ["", f"[mypy-{module}]", *_lines(kept)]
        return MypyConfig("\n".join(lines) + "\n", name, tuple(dropped))
    return MypyConfig("\n".join(["[mypy]", *_lines(_BASE)]) + "\n", None, tuple(dropped))


def _lines(options: Mapping[str, str]) -> list[str]:
    return [f"{key} = {value}" for key, value in options.items()]
