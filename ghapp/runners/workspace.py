"""Unpack a head tarball safely into a throw-away directory that is always removed afterwards.

The tarball is untrusted: it comes from the pull request. Only regular files and directories under the one
top-level folder are written; links of any kind are skipped (runners never need them and a link is the usual
way out of the tree) and reported to the caller, who must not take a linked path as judged. Device files,
FIFOs, absolute paths, `..` and archives over the size or file-count limits are refused. Sizes are counted
on the decompressed stream while reading, so a decompression bomb stops at the limit instead of filling the
disk, and on what is written (a sparse member stores little and unpacks to its full size). Directories count
against the file limit separately.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import stat
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, BinaryIO

from ghapp.core.errors import GhappError

_CHUNK = 1024 * 1024


class WorkspaceError(GhappError):
    """The tarball is unsafe, too large or unreadable; nothing from it is kept."""


class _Counted(io.RawIOBase):
    """Reads from `inner` and refuses to hand out more than `limit` bytes in total."""

    def __init__(self, inner: io.BufferedIOBase, limit: int) -> None:
        self.inner, self.limit, self.count = inner, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise WorkspaceError(f"archive is larger than the limit of {self.limit} bytes once decompressed")
        buffer[: len(data)] = data
        return len(data)


def _member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if not name or "\x00" in name or path.is_absolute() or name.startswith("\\"):
        raise WorkspaceError(f"archive member has an absolute or empty path: {name!r}")
    if ".." in path.parts:
        raise WorkspaceError(f"archive member leaves the tree: {name!r}")
    return path


def _open_stream(source: str | os.PathLike[str] | BinaryIO) -> tuple[IO[bytes], bool]:
    """The raw stream and whether we opened it (and so must close it)."""
    if isinstance(source, str | os.PathLike):
        return Path(source).open("rb"), True
    return source, False


def unpack_tarball(
    source: str | os.PathLike[str] | BinaryIO,
    dest: Path,
    *,
    max_bytes: int,
    max_files: int,
    max_member_bytes: int,
    links: dict[str, str] | None = None,
) -> Path:
    """Unpack a (gzipped) tarball with one top folder into `dest`; return that folder's path inside `dest`.

    `links`, when given, receives each skipped link: its path below the top folder -> where it points.
    Raises WorkspaceError for anything unsafe; `dest` may then hold a partial tree (the caller's Workspace
    removes it).
    """
    raw, owned = _open_stream(source)
    try:
        head = raw.read(2)
        rest: io.BufferedIOBase = io.BufferedReader(_Chain(head, raw))
        if head == b"\x1f\x8b":  # gzip magic
            rest = gzip.GzipFile(fileobj=rest, mode="rb")
        counted: IO[bytes] = io.BufferedReader(_Counted(rest, max_bytes), _CHUNK)
        return _extract(
            counted,
            dest,
            max_bytes=max_bytes,
            max_files=max_files,
            max_member_bytes=max_member_bytes,
            links={} if links is None else links,
        )
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, OSError) as exc:
        raise WorkspaceError(f"cannot read the archive: {exc}") from exc
    finally:
        if owned:
            raw.close()


class _Chain(io.RawIOBase):
    """`head` (bytes already read to sniff the format) followed by the rest of `inner`."""

    def __init__(self, head: bytes, inner: IO[bytes]) -> None:
        self.head, self.inner = head, inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            return n
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _extract(
    stream: IO[bytes], dest: Path, *, max_bytes: int, max_files: int, max_member_bytes: int, links: dict[str, str]
) -> Path:
    top: str | None = None
    files = dirs = written = 0
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            path = _member_path(member.name)
            if top is None:
                top = path.parts[0]
            elif path.parts[0] != top:
                raise WorkspaceError(f"archive has more than one top-level folder: {top!r} and {path.parts[0]!r}")
            if member.issym() or member.islnk():
                if len(path.parts) > 1:
                    links["/".join(path.parts[1:])] = member.linkname[:1024]
                continue  # links are skipped, never followed or created
            if not (member.isfile() or member.isdir()):
                raise WorkspaceError(f"archive member is a device, FIFO or other special file: {member.name!r}")
            target = dest.joinpath(*path.parts)
            if member.isdir():
                dirs += 1  # directories cost inodes too: as many as files at most
                if dirs > max_files:
                    raise WorkspaceError(f"archive has more than the limit of {max_files} directories")
                target.mkdir(parents=True, exist_ok=True)
                continue
            files += 1
            if files > max_files:
                raise WorkspaceError(f"archive has more than the limit of {max_files} files")
            if member.size > max_member_bytes:
                raise WorkspaceError(f"{member.name!r} is larger than the per-file limit of {max_member_bytes} bytes")
            # A sparse member unpacks to its full size from a few stored bytes: count what is written.
            written += member.size
            if written > max_bytes:
                raise WorkspaceError(f"archive is larger than the limit of {max_bytes} bytes once unpacked")
            _write(archive, member, target)
    if top is None:
        raise WorkspaceError("archive is empty")
    root = dest / top
    root.mkdir(exist_ok=True)
    return root


def _write(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o755 if member.mode & stat.S_IXUSR else 0o644
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, mode)
    except FileExistsError:
        raise WorkspaceError(f"archive member appears twice: {member.name!r}") from None
    source = archive.extractfile(member)
    with os.fdopen(fd, "wb") as out:
        if source is not None:
            shutil.copyfileobj(source, out, _CHUNK)


class Workspace:
    """A temporary directory removed on exit, whatever happened inside the `with` block."""

    def __init__(self, prefix: str = "ghapp-ws-", parent: Path | None = None) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        self.links: dict[str, str] = {}  # the links the last `unpack` skipped: path -> target

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def unpack(
        self,
        source: str | os.PathLike[str] | BinaryIO,
        *,
        max_bytes: int,
        max_files: int,
        max_member_bytes: int | None = None,
    ) -> Path:
        """Unpack `source` under this workspace and return the repository root; the links skipped are in
        `links`."""
        self.links = {}
        return unpack_tarball(
            source,
            self.path / "src",
            max_bytes=max_bytes,
            max_files=max_files,
            max_member_bytes=max_bytes if max_member_bytes is None else max_member_bytes,
            links=self.links,
        )
