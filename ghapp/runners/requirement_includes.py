"""Follow the `-r`/`-c` includes of changed requirements files inside the head's copy, and never outside it.

pip resolves an include relative to the file that names it. An included file is audited even when the PR does
not change it (it is what the changed file installs); its entries are reported on the include line of the
changed file, naming where they come from. An include that leaves the repository, names a URL or a link, or
is missing is an unaudited entry with the reason; cycles are followed once, and at most `MAX_INCLUDED` files.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ghapp.runners.dependency_files import Pin, includes, is_requirements_file, read_pins

MAX_INCLUDED = 50
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class _Walk:
    root: Path
    changed: frozenset[str]
    seen: set[str] = field(default_factory=set)
    pins: list[Pin] = field(default_factory=list)

    def follow(self, path: str, text: str, site: tuple[str, int] | None) -> None:
        for line, target in includes(text):
            at = site or (path, line)
            norm = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            why = self._refusal(target, norm)
            if why is not None:
                if why:
                    self.pins.append(Pin(target[:200], None, at[0], at[1], why))
                continue
            self.seen.add(norm)
            included = (self.root / norm).read_text(encoding="utf-8", errors="replace")
            if norm not in self.changed:  # a changed dependency file is audited on its own
                try:
                    found = read_pins(norm, included)
                except ValueError as exc:
                    found = [Pin(norm, None, norm, 1, f"cannot parse the file: {exc}")]
                self.pins += [replace(pin, path=at[0], line=at[1], via=f"{norm}:{pin.line}") for pin in found]
            self.follow(norm, included, at)

    def _refusal(self, target: str, norm: str) -> str | None:
        """Why this include is not followed ("" when it was followed already), or None to follow it."""
        if "://" in target:
            return "included from a URL, which the audit cannot read"
        if target.startswith("/") or norm == ".." or norm.startswith("../"):
            return f"includes {target}, outside the repository: not read, so not audited"
        source = self.root / norm
        try:
            inside = source.resolve().is_relative_to(self.root.resolve())
        except OSError:
            inside = False
        if source.is_symlink() or not inside:
            return f"includes {norm}, a link: not followed, so not audited"
        if not source.is_file():
            return f"includes {norm}, which is not in the head"
        if norm in self.seen:
            return ""
        if len(self.seen) >= MAX_INCLUDED:
            return f"includes more than {MAX_INCLUDED} files: {norm} was not read"
        if source.stat().st_size > MAX_BYTES:
            return f"includes {norm}, which is too large to read"
        return None


def included_pins(root: Path, files: Sequence[str]) -> list[Pin]:
    """The entries the changed requirements files in `files` bring in through their includes."""
    walk = _Walk(root, frozenset(files), seen=set(files))
    for path in files:
        source = root / path
        if (
            is_requirements_file(path)
            and source.is_file()
            and not source.is_symlink()
            and source.stat().st_size <= MAX_BYTES
        ):
            walk.follow(path, source.read_text(encoding="utf-8", errors="replace"), None)
    return walk.pins
