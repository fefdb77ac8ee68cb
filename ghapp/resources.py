"""Reads the data the App ships inside its package: the default policy, the AI signal table,
the Semgrep rules and the App manifest.

They live at the top of the repository (`policies/`, `app.yml`); `ghapp/policies` and `ghapp/app.yml` link
there, so an editable checkout reads them in place and a wheel carries copies as package data
(pyproject.toml). Nothing here looks beside the package, so an installed App runs from any directory.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

DEFAULT_POLICY_SOURCE = "policies/default.yml"  # how reports name the bundled layer


@cache
def package_root() -> Path:
    """The installed `ghapp` package as a directory (wheels install unzipped, and semgrep needs real paths)."""
    root = files("ghapp")
    if not isinstance(root, Path):
        raise RuntimeError(f"the ghapp package is not a directory on disk: {root}")
    return root


def policies_dir() -> Path:
    return package_root() / "policies"


def semgrep_rules_dir() -> Path:
    return policies_dir() / "semgrep"


def app_manifest_path() -> Path:
    return package_root() / "app.yml"


@cache
def default_policy_text() -> str:
    return (policies_dir() / "default.yml").read_text(encoding="utf-8")


@cache
def ai_signals_text() -> str:
    return (policies_dir() / "ai-signals.yml").read_text(encoding="utf-8")
