"""Rust: Cargo.lock `[[package]]` entries from crates.io; git and path sources are unaudited."""

from __future__ import annotations

import tomllib

from ghapp.runners.dependency_files import Pin
from ghapp.runners.lockfiles.common import line_of, pinned, unaudited

CRATES = "crates.io"


def cargo_lock(path: str, text: str) -> list[Pin]:
    data = tomllib.loads(text)
    pins = []
    for package in data.get("package", []):
        name, version, source = package.get("name"), package.get("version"), package.get("source")
        if not isinstance(name, str):
            continue
        line = line_of(text, f'name = "{name}"\nversion = "{version}"')
        if source is None:
            continue  # a member of this workspace
        if not str(source).startswith("registry+"):
            pins.append(unaudited(CRATES, name, path, line, "from git or another source, not a registry"))
        else:
            pins.append(pinned(CRATES, name, version, path, line))
    return pins
