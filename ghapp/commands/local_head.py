"""The head `ghapp check` judges, read from the local git repository: the same `HeadSource` the App reads
from GitHub (ghapp.enforcement.head), so the local report comes from the App's own path
(ghapp.enforcement.tools.run_on_head): the committed files only, verified by blob id, links and files a tool
cannot read named as unaudited, the semgrep rule files taken from the base branch.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import IO

from ghapp.core.errors import GhappError
from ghapp.core.facts import ChangedFile


class CheckError(GhappError):
    """The repository or the arguments do not allow a check (exit 2)."""


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Output of a git command in `repo`; CheckError when it fails (and `check` is set)."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except OSError as exc:
        raise CheckError(f"cannot run git: {exc.strerror}") from None
    if check and done.returncode != 0:
        raise CheckError(f"git {args[0]} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode("utf-8", errors="replace") if done.returncode == 0 else ""


def show(repo: Path, ref: str, path: str) -> str | None:
    """A file's text at `ref`, None when it is not there."""
    out = subprocess.run(["git", "-C", str(repo), "show", f"{ref}:{path}"], capture_output=True, check=False)
    return out.stdout.decode("utf-8", errors="replace") if out.returncode == 0 else None


def with_blob_ids(repo: Path, commit: str, files: Sequence[ChangedFile]) -> tuple[ChangedFile, ...]:
    """`files` with the blob id each has in `commit` (what GitHub's file list carries for the App)."""
    kept = [f.path for f in files if f.status != "removed"]
    ids: dict[str, str] = {}
    if kept:
        listing = git(repo, "-c", "core.quotePath=false", "ls-tree", "-z", commit, "--", *kept)
        for entry in listing.split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                ids[path] = parts[2]
    return tuple(replace(f, sha=ids.get(f.path, f.sha)) for f in files)


@dataclass(frozen=True)
class LocalHead:
    """A commit of the local repository, with `base` the branch the pull request would target."""

    repo: Path
    head: str
    base: str
    max_unpacked_bytes: int = 2 * 1024**3
    max_files: int = 500_000

    async def write_archive(self, sink: IO[bytes]) -> None:
        done = await asyncio.to_thread(
            subprocess.run,
            ["git", "-C", str(self.repo), "archive", "--format=tar", "--prefix=head/", self.head],
            stdout=sink,
            stderr=subprocess.PIPE,
            check=False,
        )
        if done.returncode != 0:
            raise CheckError(f"git archive failed: {done.stderr.decode(errors='replace').strip()}")

    async def get_blob(self, sha: str) -> bytes | None:
        done = await asyncio.to_thread(
            subprocess.run, ["git", "-C", str(self.repo), "cat-file", "blob", sha], capture_output=True, check=False
        )
        return done.stdout if done.returncode == 0 else None

    async def base_text(self, path: str) -> str | None:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts:
            return None
        return await asyncio.to_thread(show, self.repo, self.base, path)
