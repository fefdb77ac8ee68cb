"""PHP: composer.lock `packages` and `packages-dev`; branches (`dev-main`) and path repositories are unaudited."""

from __future__ import annotations

import json

from ghapp.runners.dependency_files import Pin
from ghapp.runners.lockfiles.common import line_of, pinned, unaudited

PACKAGIST = "Packagist"


def composer_lock(path: str, text: str) -> list[Pin]:
    data = json.loads(text)
    if not isinstance(data, dict) or "packages" not in data:
        raise ValueError("not a composer.lock (no packages)")
    pins = []
    for package in [*(data.get("packages") or []), *(data.get("packages-dev") or [])]:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        name, version = package["name"], str(package.get("version", ""))
        line = line_of(text, f'"name": "{name}"')
        dist = package.get("dist") or {}
        if version.startswith("dev-") or version.endswith("-dev") or dist.get("type") == "path":
            pins.append(unaudited(PACKAGIST, name, path, line, f"a development branch or path ({version})"))
        else:
            pins.append(pinned(PACKAGIST, name, version.removeprefix("v"), path, line))
    return pins
