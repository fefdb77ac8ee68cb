"""Ruby: Gemfile.lock `GEM` specs (platform suffixes dropped); `GIT` and `PATH` gems are unaudited."""

from __future__ import annotations

import re

from ghapp.runners.dependency_files import Pin
from ghapp.runners.lockfiles.common import pinned, unaudited

GEMS = "RubyGems"
_SPEC = re.compile(r"^    ([^\s(]+) \(([^)]+)\)\s*$")  # four spaces: a locked gem; six: one of its dependencies
_PLATFORM = re.compile(r"-(x86|x64|arm|aarch64|universal|java|mingw|mswin|darwin|linux)[\w.-]*$")


def gemfile_lock(path: str, text: str) -> list[Pin]:
    pins: list[Pin] = []
    section = ""
    sections_seen = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if raw and not raw[0].isspace():
            section = raw.strip()
            sections_seen += 1
            continue
        match = _SPEC.match(raw)
        if not match:
            continue
        name, version = match.group(1), _PLATFORM.sub("", match.group(2))
        if section == "GEM":
            pins.append(pinned(GEMS, name, version, path, number))
        elif section in ("GIT", "PATH"):
            pins.append(unaudited(GEMS, name, path, number, f"from a {section.lower()} source, not a gem server"))
    if not sections_seen and text.strip():
        raise ValueError("not a Gemfile.lock (no sections)")
    return pins
