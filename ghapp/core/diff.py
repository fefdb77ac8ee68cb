"""Reads unified diffs: the lines a change added, per file, from GitHub's `patch` field or `git diff` output."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ghapp.core.facts import ChangedFile, FileStatus

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def added_lines(patch: str) -> frozenset[int]:
    """New-side line numbers that the hunks in `patch` add or change (GitHub's `patch` field, or one file's diff)."""
    lines, _, _ = _count(_lines(patch))
    return lines


def _lines(text: str) -> list[str]:
    """Diff lines split at newlines only: `str.splitlines` also splits at form feeds, U+2028, U+0085 and other
    characters that sit inside source lines, which would shift every later line number."""
    return text.split("\n")


def _count(body: list[str]) -> tuple[frozenset[int], int, int]:
    """(added new-side line numbers, additions, deletions) of the hunk lines in `body`."""
    added: set[int] = set()
    line = additions = deletions = 0
    in_hunk = False
    for text in body:
        start = _HUNK.match(text)
        if start:
            line, in_hunk = int(start.group(1)), True
        elif not in_hunk or text.startswith("\\"):
            continue  # file headers before the first hunk; "\ No newline at end of file"
        elif text.startswith("+"):
            added.add(line)
            line, additions = line + 1, additions + 1
        elif text.startswith("-"):
            deletions += 1
        else:
            line += 1
    return frozenset(added), additions, deletions


def unquote_path(text: str) -> str:
    """A path as git prints it: C-quoted (`"a/t\\303\\251st"`) when it holds unusual bytes, else verbatim."""
    if not (len(text) >= 2 and text.startswith('"') and text.endswith('"')):
        return text
    out = bytearray()
    body, i = text[1:-1], 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 == len(body):
            out += char.encode()
            i += 1
        elif body[i + 1] in "01234567":
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out += _ESCAPES.get(body[i + 1], body[i + 1]).encode()
            i += 2
    return out.decode("utf-8", errors="replace")


@dataclass
class _File:
    old: str = ""
    new: str = ""
    status: FileStatus = "modified"
    binary: bool = False
    body: list[str] = field(default_factory=list)

    def changed_file(self) -> ChangedFile:
        added, additions, deletions = _count(self.body)
        renamed = self.status in ("renamed", "copied")
        path = self.old if self.status == "removed" else self.new
        return ChangedFile(
            path=path,
            status=self.status,
            previous_path=self.old if renamed else None,
            additions=additions,
            deletions=deletions,
            added_lines=added,
            binary=self.binary,
            patch_missing=self.binary,
        )


def _strip_prefix(path: str) -> str:
    path = unquote_path(path.rstrip("\t"))
    return path[2:] if path[:2] in ("a/", "b/") else path


def _git_line_paths(rest: str) -> tuple[str, str]:
    """Old and new path from `diff --git a/X b/Y`; unquoted paths with spaces are split at the middle."""
    if rest.startswith('"') or rest.endswith('"'):
        parts = re.findall(r'"(?:[^"\\]|\\.)*"|\S+', rest)
        return _strip_prefix(parts[0]), _strip_prefix(parts[-1])
    half = (len(rest) - 1) // 2
    return _strip_prefix(rest[:half]), _strip_prefix(rest[half + 1 :])


_HEADERS: dict[str, tuple[str, FileStatus | None]] = {
    "rename from ": ("old", "renamed"),
    "rename to ": ("new", "renamed"),
    "copy from ": ("old", "copied"),
    "copy to ": ("new", "copied"),
    "new file mode": ("", "added"),
    "deleted file mode": ("", "removed"),
}


def parse_unified_diff(text: str) -> dict[str, ChangedFile]:
    """Every file in a `git diff` (renames, copies, binary files, deletions), keyed by its path on the new side
    (the old path for a deletion)."""
    files: list[_File] = []
    for raw in _lines(text):
        if raw.startswith("diff --git "):
            old, new = _git_line_paths(raw[len("diff --git ") :])
            files.append(_File(old=old, new=new))
            continue
        if not files:
            continue
        current = files[-1]
        if current.body or raw.startswith("@@"):
            current.body.append(raw)
        elif raw.startswith("--- ") and raw != "--- /dev/null":
            current.old = _strip_prefix(raw[4:])
        elif raw.startswith("+++ ") and raw != "+++ /dev/null":
            current.new = _strip_prefix(raw[4:])
        elif raw.startswith(("Binary files ", "GIT binary patch")):
            current.binary = True
        else:
            _header(current, raw)
    changed = [f.changed_file() for f in files]
    return {c.path: c for c in changed}


def _header(current: _File, raw: str) -> None:
    for prefix, (attr, status) in _HEADERS.items():
        if raw.startswith(prefix):
            if attr:
                setattr(current, attr, unquote_path(raw[len(prefix) :]))
            if status is not None and current.status == "modified":
                current.status = status
            return


def with_added_lines(changed: ChangedFile, patch: str | None) -> ChangedFile:
    """`changed` with the added lines of GitHub's `patch` (absent for binary or very large files)."""
    if patch is None:
        return replace(changed, patch_missing=True)
    return replace(changed, added_lines=added_lines(patch))
