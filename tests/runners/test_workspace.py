"""Safe tarball unpacking: hostile archives built with `tarfile` are refused or defanged, and cleanup is certain."""

from __future__ import annotations

import gzip
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from ghapp.runners.workspace import Workspace, WorkspaceError, unpack_tarball

LIMITS = {"max_bytes": 10_000_000, "max_files": 100, "max_member_bytes": 1_000_000}


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], *, gz: bool = True) -> Path:
    with tarfile.open(path, "w:gz" if gz else "w") as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes = b"x = 1\n", mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info, data


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True).stdout


def _special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info, None


def test_unpacks_a_github_style_tarball_and_returns_its_top_folder(tmp_path: Path) -> None:
    top = tarfile.TarInfo("octo-repo-abc123")
    top.type = tarfile.DIRTYPE
    archive = _tar(
        tmp_path / "t.tgz",
        [
            (top, None),
            _file("octo-repo-abc123/app/main.py"),
            _file("octo-repo-abc123/run.sh", b"#!/bin/sh\n", 0o755),
        ],
    )
    root = unpack_tarball(archive, tmp_path / "out", **LIMITS)
    assert root == tmp_path / "out" / "octo-repo-abc123"
    assert (root / "app" / "main.py").read_text() == "x = 1\n"
    assert (root / "run.sh").stat().st_mode & 0o777 == 0o755


def test_reads_from_an_open_file_object_and_plain_tar(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "t.tar", [_file("top/a.py")], gz=False)
    with archive.open("rb") as handle:
        root = unpack_tarball(handle, tmp_path / "out", **LIMITS)
    assert (root / "a.py").is_file()


def test_unpacks_git_archive_output_with_its_pax_global_header(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "m.py").write_text("print(1)\n")
    (repo / "link.py").symlink_to("m.py")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "x")
    data = _git(repo, "archive", "--format=tar.gz", "--prefix=o-r-1/", "HEAD")
    root = unpack_tarball(io.BytesIO(data), tmp_path / "out", **LIMITS)
    assert root.name == "o-r-1"
    assert (root / "m.py").read_text() == "print(1)\n"
    assert not (root / "link.py").exists()


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([_file("/etc/evil")], "absolute"),
        ([_file("top/../../evil")], "leaves the tree"),
        ([_file("top/a"), _file("other/b")], "more than one top-level folder"),
        ([_special("top/dev", tarfile.CHRTYPE)], "device"),
        ([_special("top/fifo", tarfile.FIFOTYPE)], "device"),
        ([_file("top/a"), _file("top/a")], "appears twice"),
        ([], "empty"),
    ],
)
def test_refuses_hostile_members(
    tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], message: str
) -> None:
    archive = _tar(tmp_path / "t.tgz", members)
    with pytest.raises(WorkspaceError, match=message):
        unpack_tarball(archive, tmp_path / "out", **LIMITS)
    assert not (tmp_path / "evil").exists()
    assert not Path("/etc/evil").exists()


def test_skips_symlinks_and_hardlinks_even_when_they_point_outside(tmp_path: Path) -> None:
    archive = _tar(
        tmp_path / "t.tgz",
        [
            _special("top/up", tarfile.SYMTYPE, "../../.."),
            _special("top/passwd", tarfile.LNKTYPE, "/etc/passwd"),
            _file("top/up/escaped.py"),  # would land outside if the symlink had been created
            _file("top/ok.py"),
        ],
    )
    root = unpack_tarball(archive, tmp_path / "out", **LIMITS)
    assert (root / "ok.py").is_file()
    assert not (root / "passwd").exists()
    assert (root / "up").is_dir() and not (root / "up").is_symlink()
    assert not (tmp_path / "escaped.py").exists()


@pytest.mark.parametrize(
    ("limit", "value", "message"),
    [("max_files", 2, "more than the limit of 2 files"), ("max_member_bytes", 10, "per-file limit")],
)
def test_refuses_archives_over_limits(tmp_path: Path, limit: str, value: int, message: str) -> None:
    archive = _tar(tmp_path / "t.tgz", [_file(f"top/{i}.py", b"y" * 20) for i in range(3)])
    with pytest.raises(WorkspaceError, match=message):
        unpack_tarball(archive, tmp_path / "out", **{**LIMITS, limit: value})


def test_refuses_a_decompression_bomb_while_streaming(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.tgz"
    with gzip.open(bomb, "wb", compresslevel=9) as out, tarfile.open(fileobj=out, mode="w|") as archive:
        info = tarfile.TarInfo("top/zeros")
        info.size = 200_000_000
        archive.addfile(info, _Zeros(info.size))
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(WorkspaceError, match="larger than the limit of 5000000 bytes"):
        unpack_tarball(bomb, tmp_path / "out", max_bytes=5_000_000, max_files=10, max_member_bytes=10**9)
    written = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written <= 5_000_000


def test_garbage_is_a_workspace_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(WorkspaceError, match="cannot read the archive"):
        unpack_tarball(bad, tmp_path / "out", **LIMITS)


def test_workspace_is_removed_even_on_error(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "t.tgz", [_file("top/a.py")])
    with pytest.raises(RuntimeError), Workspace(parent=tmp_path) as ws:
        root = ws.unpack(archive, max_bytes=100_000, max_files=5)
        assert (root / "a.py").is_file()
        kept = ws.path
        raise RuntimeError("boom")
    assert not kept.exists()


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n
