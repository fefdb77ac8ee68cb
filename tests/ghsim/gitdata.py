"""Git-like data for the simulator: blob and commit shas, trees, diffs with GitHub-style patches, tarballs."""

from __future__ import annotations

import difflib
import gzip
import hashlib
import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Tree = dict[str, bytes]


def blob_sha(data: bytes) -> str:
    """Git's blob id, the `sha` GitHub returns for a file's contents."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class CommitData:
    sha: str
    tree: Tree
    parents: list[str]
    message: str
    author_login: str
    author_name: str
    author_email: str
    date: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def commit_sha(parents: list[str], tree: Tree, message: str, salt: int) -> str:
    digest = hashlib.sha1()
    for parent in parents:
        digest.update(parent.encode())
    for path in sorted(tree):
        digest.update(path.encode() + b"\0" + blob_sha(tree[path]).encode())
    digest.update(message.encode() + str(salt).encode())
    return digest.hexdigest()


def _patch(old: bytes, new: bytes) -> tuple[str | None, int, int]:
    """GitHub's `patch`: unified hunks without the ---/+++ header; None for binary files."""
    try:
        old_lines = old.decode().splitlines()
        new_lines = new.decode().splitlines()
    except UnicodeDecodeError:
        return None, 0, 0
    lines = list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=3))[2:]
    additions = sum(1 for line in lines if line.startswith("+"))
    deletions = sum(1 for line in lines if line.startswith("-"))
    return "\n".join(lines), additions, deletions


def diff_files(base: Tree, head: Tree) -> list[dict[str, Any]]:
    """The `files` entries of GitHub's pull files / compare answers, sorted by path."""
    files = []
    for path in sorted(set(base) | set(head)):
        old, new = base.get(path), head.get(path)
        if old == new:
            continue
        status = "added" if old is None else "removed" if new is None else "modified"
        patch, additions, deletions = _patch(old or b"", new or b"")
        entry: dict[str, Any] = {
            "sha": blob_sha(new if new is not None else b""),
            "filename": path,
            "status": status,
            "additions": additions,
            "deletions": deletions,
            "changes": additions + deletions,
        }
        if patch is not None:
            entry["patch"] = patch
        files.append(entry)
    return files


def apply_changes(tree: Tree, changes: Mapping[str, str | bytes | None]) -> Tree:
    """A new tree: `None` deletes a path, text is stored as UTF-8."""
    result = dict(tree)
    for path, content in changes.items():
        if content is None:
            result.pop(path, None)
        else:
            result[path] = content.encode() if isinstance(content, str) else content
    return result


def tarball(tree: Tree, top_dir: str) -> bytes:
    """A tar.gz like codeload's: every file under `<owner>-<repo>-<sha7>/`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for path in sorted(tree):
            info = tarfile.TarInfo(f"{top_dir}/{path}")
            info.size = len(tree[path])
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(tree[path]))
    return gzip.compress(raw.getvalue(), mtime=0)
