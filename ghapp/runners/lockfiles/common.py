"""What every lock-file reader shares: the version check, line look-up and the Pin constructors."""

from __future__ import annotations

import re

from ghapp.runners.dependency_files import Pin

# A version as every ecosystem here writes one: no spaces, quotes, newlines or shell characters, so nothing a
# lock file says can change the query it ends up in.
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_~-]{0,127}")


def line_of(text: str, needle: str, default: int = 1) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else default


def pinned(ecosystem: str, name: str, version: object, path: str, line: int) -> Pin:
    """An exact version, or an unaudited entry saying why the value is not one."""
    if not isinstance(version, str) or not version:
        return Pin(name, None, path, line, "no exact version locked", ecosystem=ecosystem)
    if not _VERSION.fullmatch(version):
        return Pin(name, None, path, line, f"not a version: {version[:40]!r}", ecosystem=ecosystem)
    return Pin(name, version, path, line, ecosystem=ecosystem)


def unaudited(ecosystem: str, name: str, path: str, line: int, reason: str) -> Pin:
    return Pin(name, None, path, line, reason, ecosystem=ecosystem)
