"""Make the tools' copy of a head hold exactly the committed files, and say which files it cannot vouch for.

GitHub's source archive honours `.gitattributes` and keeps links as links (see `ghapp.core.committed`). After
unpacking, every changed file the PR keeps is hashed and matched to the blob id in GitHub's file list. A
regular file that is missing or differs is fetched by its blob id through the Git Data API and written in
place (at most `max_fetch` files and `max_bytes` bytes); links, and files that cannot be fetched, are
returned with why, so the gates that would read them fail closed.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from ghapp.core.committed import Copy, blob_id, mismatch
from ghapp.core.facts import ChangedFile
from ghapp.github.api import InstallationAPI

MAX_FETCH = 100


def _copy(root: Path, path: str, links: Mapping[str, str]) -> Copy:
    if path in links:
        return Copy("link", target=links[path])
    target = root / path
    if target.is_symlink():
        return Copy("link", target="?")
    if target.is_dir():
        return Copy("folder")
    if not target.is_file():
        return Copy("missing")
    return Copy("file", sha=blob_id(target.read_bytes()))


def _safe(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\0" not in path


def _write(root: Path, path: str, data: bytes) -> bool:
    """Put the committed bytes at `path` under `root`, replacing whatever the archive left there."""
    target = root.joinpath(*PurePosixPath(path).parts)
    try:
        for parent in reversed(target.relative_to(root).parents):
            folder = root / parent
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                return False
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        target.write_bytes(data)
    except OSError:
        return False
    return True


async def make_committed(
    api: InstallationAPI,
    owner: str,
    repo: str,
    root: Path,
    *,
    links: Mapping[str, str],
    files: Sequence[ChangedFile],
    max_bytes: int,
    max_fetch: int = MAX_FETCH,
) -> dict[str, str]:
    """path -> why, for each changed, kept file the copy at `root` still cannot vouch for after fetching."""
    return await verify_committed(
        lambda sha: api.get_blob(owner, repo, sha),
        root,
        links=links,
        files=files,
        max_bytes=max_bytes,
        max_fetch=max_fetch,
    )


async def verify_committed(
    get_blob: Callable[[str], Awaitable[bytes | None]],
    root: Path,
    *,
    links: Mapping[str, str],
    files: Sequence[ChangedFile],
    max_bytes: int,
    max_fetch: int = MAX_FETCH,
) -> dict[str, str]:
    """`make_committed` for any head source: `get_blob` gives a committed file's bytes by its blob id."""
    problems: dict[str, str] = {}
    fetched = spent = 0
    for changed in files:
        if changed.status == "removed":
            continue
        if not _safe(changed.path):
            problems[changed.path] = "a path the workspace cannot hold"
            continue
        copy = _copy(root, changed.path, links)
        why = mismatch(changed.sha, copy)
        if why is None or copy.kind == "link" or not changed.sha:
            if why is not None:
                problems[changed.path] = why
            continue
        if fetched >= max_fetch:
            problems[changed.path] = f"{why}; over {max_fetch} such files, the rest were not fetched"
            continue
        fetched += 1
        data = await get_blob(changed.sha)
        if data is None or blob_id(data) != changed.sha.lower():
            problems[changed.path] = f"{why}; its blob could not be fetched"
        elif spent + len(data) > max_bytes:
            problems[changed.path] = f"{why}; fetching it would pass the {max_bytes:,} byte limit"
        elif not _write(root, changed.path, data):
            problems[changed.path] = f"{why}; the committed file could not be written in its place"
        else:
            spent += len(data)
    return problems
