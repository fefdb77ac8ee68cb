"""Git-like data for the simulator: blob and commit shas, trees, diffs with GitHub-style patches, tarballs.

A tree maps paths to blob contents; a symbolic link is a blob holding its target (as in git) with mode
`120000` in the commit's `modes`. Tarballs are made as `git archive` makes them for GitHub's codeload: when
the tree has a `.gitattributes`, by git itself (so `export-ignore` drops paths and `export-subst` rewrites
`$Format:...$`, see gitattributes(5)), links always as tar symlink members.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Tree = dict[str, bytes]
LINK = "120000"  # git's mode of a symbolic link


@dataclass(frozen=True)
class Link:
    """A change that makes `path` a symbolic link to `target` (relative, as git stores it)."""

    target: str


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
    modes: dict[str, str] = field(default_factory=dict)  # path -> git mode, for paths that are not plain files


def commit_sha(parents: list[str], tree: Tree, message: str, salt: int) -> str:
    digest = hashlib.sha1()
    for parent in parents:
        digest.update(parent.encode())
    for path in sorted(tree):
        digest.update(path.encode() + b"\0" + blob_sha(tree[path]).encode())
    digest.update(message.encode() + str(salt).encode())
    return digest.hexdigest()


def _patch(old: bytes, new: bytes) -> tuple[str | None, int, int]:
    """GitHub's `patch`: unified hunks without the ---/+++ header; None for binary files (git's test: a NUL byte in
    the first 8,000 bytes, or bytes that are not text)."""
    if b"\0" in old[:8000] or b"\0" in new[:8000]:
        return None, 0, 0
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


def apply_changes(tree: Tree, changes: Mapping[str, str | bytes | Link | None]) -> Tree:
    """A new tree: `None` deletes a path, text is stored as UTF-8, a link as its target."""
    result = dict(tree)
    for path, content in changes.items():
        if content is None:
            result.pop(path, None)
        elif isinstance(content, Link):
            result[path] = content.target.encode()
        else:
            result[path] = content.encode() if isinstance(content, str) else content
    return result


def apply_modes(modes: Mapping[str, str], changes: Mapping[str, str | bytes | Link | None]) -> dict[str, str]:
    """The modes after `changes`: a link gets git's link mode, anything else written or deleted loses its mode."""
    result = dict(modes)
    for path, content in changes.items():
        if isinstance(content, Link):
            result[path] = LINK
        else:
            result.pop(path, None)
    return result


def tarball(tree: Tree, top_dir: str, modes: Mapping[str, str] | None = None) -> bytes:
    """A tar.gz like codeload's: every file under `<owner>-<repo>-<sha7>/`, links as symlink members."""
    modes = modes or {}
    if any(path == ".gitattributes" or path.endswith("/.gitattributes") for path in tree):
        return _git_archive(tree, top_dir, modes)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(tree):
            info = tarfile.TarInfo(f"{top_dir}/{path}")
            if modes.get(path) == LINK:
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, tree[path].decode(), 0o777
                archive.addfile(info)
                continue
            info.size = len(tree[path])
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(tree[path]))
    return gzip.compress(raw.getvalue(), mtime=0)


def _git_archive(tree: Tree, top_dir: str, modes: Mapping[str, str]) -> bytes:
    """`git archive` of a commit of `tree`: git applies the tree's own `.gitattributes` (export-ignore,
    export-subst) exactly as it does for GitHub's archives."""
    with tempfile.TemporaryDirectory(prefix="ghsim-archive-") as work:
        for path, data in tree.items():
            target = os.path.join(work, *path.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if modes.get(path) == LINK:
                os.symlink(data.decode(), target)
            else:
                with open(target, "wb") as out:
                    out.write(data)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": work,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "sim",
            "GIT_AUTHOR_EMAIL": "sim@example.com",
            "GIT_AUTHOR_DATE": "1700000000 +0000",
            "GIT_COMMITTER_NAME": "sim",
            "GIT_COMMITTER_EMAIL": "sim@example.com",
            "GIT_COMMITTER_DATE": "1700000000 +0000",
        }
        for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "archive"]):
            subprocess.run(["git", "-C", work, *argv], env=env, check=True, capture_output=True)
        done = subprocess.run(
            ["git", "-C", work, "archive", "--format=tar", f"--prefix={top_dir}/", "HEAD"],
            env=env,
            check=True,
            capture_output=True,
        )
    return gzip.compress(done.stdout, mtime=0)
