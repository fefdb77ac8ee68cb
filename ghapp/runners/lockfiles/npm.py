"""npm lock files: package-lock.json / npm-shrinkwrap.json (lockfile v1 to v3), yarn.lock (classic and Berry),
pnpm-lock.yaml (v5 to v9). Packages from git, a path or a plain URL are unaudited; workspace links are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from ghapp.runners.dependency_files import Pin
from ghapp.runners.lockfiles.common import line_of, pinned, unaudited

NPM = "npm"
_NOT_REGISTRY = "installed from git, a path or a URL, not from the registry"
_REGISTRY_TARBALL = re.compile(r"https?://[^\s#]+/-/[^\s/#]+\.tgz(#.*)?")


def _registry(resolved: object) -> bool:
    return resolved is None or (isinstance(resolved, str) and bool(_REGISTRY_TARBALL.fullmatch(resolved)))


def package_lock(path: str, text: str) -> list[Pin]:
    data = json.loads(text)
    if not isinstance(data, dict) or not ({"packages", "dependencies"} & set(data)):
        raise ValueError("not an npm lock file (no packages or dependencies)")
    if isinstance(data.get("packages"), dict):  # lockfile v2 and v3
        return list(_packages(path, text, data["packages"]))
    return list(_v1(path, text, data.get("dependencies") or {}))


def _packages(path: str, text: str, packages: dict[str, Any]) -> Iterator[Pin]:
    for key, entry in packages.items():
        if not key or not isinstance(entry, dict) or entry.get("link"):
            continue  # the project itself, and workspace links
        name = str(entry.get("name") or key.rsplit("node_modules/", 1)[-1])
        line = line_of(text, f'"{key}": {{')
        if not _registry(entry.get("resolved")):
            yield unaudited(NPM, name, path, line, _NOT_REGISTRY)
        else:
            yield pinned(NPM, name, entry.get("version"), path, line)


def _v1(path: str, text: str, dependencies: dict[str, Any]) -> Iterator[Pin]:
    pending = [dependencies]
    while pending:
        for name, entry in pending.pop().items():
            if not isinstance(entry, dict):
                continue
            line = line_of(text, f'"{name}": {{')
            version = entry.get("version")
            if not _registry(entry.get("resolved")) or (isinstance(version, str) and ":" in version):
                yield unaudited(NPM, name, path, line, _NOT_REGISTRY)
            else:
                yield pinned(NPM, name, version, path, line)
            if isinstance(entry.get("dependencies"), dict):
                pending.append(entry["dependencies"])


def _spec_name(spec: str) -> str:
    """`@scope/name@^1.2` and `name@npm:^1.2` -> the package name."""
    at = spec.rfind("@")
    return spec[:at] if at > 0 else spec


def yarn_lock(path: str, text: str) -> list[Pin]:
    pins: list[Pin] = []
    block: dict[str, Any] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            if block is not None:
                pins += _yarn_block(path, block)
            header = raw.rstrip().removesuffix(":")
            first = header.split(",")[0].strip().strip('"')
            block = None if first == "__metadata" else {"name": _spec_name(first), "line": number}
        elif block is not None and raw.startswith("  ") and not raw.startswith("   "):
            key, _, value = raw.strip().partition(" ")
            block[key.rstrip(":")] = value.strip().strip('"')
    if block is not None:
        pins += _yarn_block(path, block)
    if not pins and text.strip() and "version" not in text:
        raise ValueError("not a yarn lock file")
    return pins


def _yarn_block(path: str, block: dict[str, Any]) -> list[Pin]:
    name, line = str(block["name"]), int(block["line"])
    resolution = str(block.get("resolution", ""))
    if resolution:  # Berry: `name@npm:1.2.3`, `name@workspace:.`, `name@patch:...`, `name@https://...`
        protocol = resolution[len(_spec_name(resolution)) + 1 :]
        if protocol.startswith("workspace:"):
            return []
        if not protocol.startswith(("npm:", "patch:")):
            return [unaudited(NPM, name, path, line, _NOT_REGISTRY)]
    elif not _registry(block.get("resolved")):
        return [unaudited(NPM, name, path, line, _NOT_REGISTRY)]
    return [pinned(NPM, name, block.get("version"), path, line)]


def pnpm_lock(path: str, text: str) -> list[Pin]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"cannot parse the YAML: {exc}") from None
    if not isinstance(data, dict) or "lockfileVersion" not in data:
        raise ValueError("not a pnpm lock file (no lockfileVersion)")
    major = str(data["lockfileVersion"]).split(".")[0]
    pins = []
    for key, entry in (data.get("packages") or {}).items():
        name, version = _pnpm_key(str(key), legacy=major == "5")
        line = next((line_of(text, form) for form in (f"'{key}':", f'"{key}":', f"{key}:") if form in text), 1)
        resolution = entry.get("resolution", {}) if isinstance(entry, dict) else {}
        if isinstance(resolution, dict) and (
            {"directory", "repo", "type"} & set(resolution) or str(resolution.get("tarball", "")).startswith("file:")
        ):
            pins.append(unaudited(NPM, name, path, line, _NOT_REGISTRY))
        else:
            pins.append(pinned(NPM, name, version, path, line))
    return pins


def _pnpm_key(key: str, *, legacy: bool) -> tuple[str, str]:
    """`/name/1.2.3_peer@1` (v5), `/name@1.2.3(peer@1)` (v6), `name@1.2.3` (v9) -> (name, version)."""
    key = key.removeprefix("/").split("(", 1)[0]
    if legacy:
        name, _, version = key.rpartition("/")
        return name, version.split("_", 1)[0]
    at = key.rfind("@")
    return (key[:at], key[at + 1 :]) if at > 0 else (key, "")
