"""Hostile head tarballs through ghapp.runners.workspace, beyond tests/runners/test_workspace.py: names smuggled
in PAX and GNU long-name headers, sparse-file and directory bombs, links followed by files of the same name, special
permission bits, over-long and over-deep names, truncated and foreign archives. Each is refused with a
WorkspaceError or defanged, nothing lands outside the destination, and the work stays bounded."""

from __future__ import annotations

import gzip
import io
import os
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from ghapp.runners.workspace import Workspace, WorkspaceError, unpack_tarball
from tests.work import calls

LIMITS = {"max_bytes": 5_000_000, "max_files": 200, "max_member_bytes": 1_000_000}


def _info(name: str, kind: bytes = tarfile.REGTYPE, **fields: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def _archive(members: list[tuple[tarfile.TarInfo, bytes | None]], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w|", format=fmt) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _outside(tmp_path: Path) -> set[str]:
    """Everything under tmp_path that is not inside the unpack destination."""
    return {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if "out" not in p.relative_to(tmp_path).parts}


@pytest.mark.parametrize(
    ("members", "fmt", "words"),
    [
        # PAX `path` records override the header name: the check must see the final name
        (
            [(_info("top/ok.py", pax_headers={"path": "top/../../evil.py"}), b"x")],
            tarfile.PAX_FORMAT,
            "leaves the tree",
        ),
        ([(_info("top/ok.py", pax_headers={"path": "/tmp/evil.py"}), b"x")], tarfile.PAX_FORMAT, "absolute"),
        # GNU long names (over 100 bytes) travel in a separate header
        ([(_info("top/" + "d/" * 60 + "../" * 70 + "evil.py"), b"x")], tarfile.GNU_FORMAT, "leaves the tree"),
        ([(_info("top/blk", tarfile.BLKTYPE), None)], tarfile.PAX_FORMAT, "device"),
        ([(_info("top/a"), b"x"), (_info("top/a/b"), b"y")], tarfile.PAX_FORMAT, "cannot read|Not a directory"),
        ([(_info("top/name" + "x" * 5000), b"x")], tarfile.PAX_FORMAT, "cannot read|too long"),
    ],
)
def test_smuggled_names_and_types_are_refused(
    tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], fmt: int, words: str
) -> None:
    data = _archive(members, fmt)
    with pytest.raises(WorkspaceError, match=words):
        unpack_tarball(io.BytesIO(data), tmp_path / "out", **LIMITS)
    assert _outside(tmp_path) == set()
    assert not Path("/tmp/evil.py").exists()


def test_a_link_then_a_file_of_the_same_name_writes_a_plain_file_inside(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not touch\n")
    data = _archive(
        [
            (_info("top/passwd", tarfile.SYMTYPE, linkname=str(secret)), None),
            (_info("top/passwd"), b"overwritten?\n"),  # would write through the link if it had been created
            (_info("top/hard", tarfile.LNKTYPE, linkname="top/passwd"), None),
            (_info("top/dir", tarfile.SYMTYPE, linkname=str(tmp_path)), None),
            (_info("top/dir/planted.txt"), b"x"),
        ]
    )
    root = unpack_tarball(io.BytesIO(data), tmp_path / "out", **LIMITS)
    assert secret.read_text() == "do not touch\n"
    assert (root / "passwd").read_text() == "overwritten?\n" and not (root / "passwd").is_symlink()
    assert not (root / "hard").exists() and not (tmp_path / "planted.txt").exists()
    assert not any(p.is_symlink() for p in (tmp_path / "out").rglob("*"))


def test_a_nul_in_a_name_ends_the_name_inside_the_tree(tmp_path: Path) -> None:
    data = _archive([(_info("top/a\x00/../../evil.py"), b"x")], tarfile.GNU_FORMAT)
    root = unpack_tarball(io.BytesIO(data), tmp_path / "out", **LIMITS)
    assert [p.name for p in root.iterdir()] == ["a"] and (root / "a").read_bytes() == b"x"
    assert _outside(tmp_path) == set()


def test_special_permission_bits_are_dropped(tmp_path: Path) -> None:
    data = _archive(
        [
            (_info("top/suid", mode=0o6777), b"#!/bin/sh\n"),
            (_info("top/plain", mode=0o4666), b"x"),
            (_info("top/sticky", tarfile.DIRTYPE, mode=0o1777), None),
        ]
    )
    root = unpack_tarball(io.BytesIO(data), tmp_path / "out", **LIMITS)
    assert stat.S_IMODE((root / "suid").stat().st_mode) == 0o755
    assert stat.S_IMODE((root / "plain").stat().st_mode) == 0o644
    for path in (root / "suid", root / "plain"):
        assert not path.stat().st_mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX)


def test_a_sparse_file_bomb_stops_at_the_size_limit(tmp_path: Path) -> None:
    """A sparse member stores a few bytes and unpacks to its full declared size in zeros: 166 bytes of
    archive would write 200 MB. What is written is counted against the limit, not what was read."""
    src = tmp_path / "src"
    src.mkdir()
    with (src / "big.bin").open("wb") as handle:
        handle.truncate(200_000_000)
    (src / "small.py").write_text("x = 1\n")
    archive = tmp_path / "sparse.tgz"
    subprocess.run(
        ["tar", "--sparse", "-czf", str(archive), "--transform", "s,^,top/,", "big.bin", "small.py"],
        cwd=src,
        check=True,
    )
    assert archive.stat().st_size < 10_000
    with pytest.raises(WorkspaceError, match="larger than the limit"):
        unpack_tarball(archive, tmp_path / "out", max_bytes=5_000_000, max_files=10, max_member_bytes=300_000_000)
    written = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written <= 5_000_000


def test_many_sparse_members_each_under_the_per_file_limit_stop_at_the_total(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(8):
        with (src / f"f{i}.bin").open("wb") as handle:
            handle.truncate(900_000)
    archive = tmp_path / "sparse.tgz"
    subprocess.run(
        ["tar", "--sparse", "-czf", str(archive), "--transform", "s,^,top/,", *[f"f{i}.bin" for i in range(8)]],
        cwd=src,
        check=True,
    )
    with pytest.raises(WorkspaceError, match="larger than the limit of 5000000 bytes"):
        unpack_tarball(archive, tmp_path / "out", **LIMITS)
    assert sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file()) <= 5_000_000


def test_a_directory_bomb_counts_against_the_entry_limit(tmp_path: Path) -> None:
    """Directories cost inodes as files do: 5,000 empty directories with max_files 200 are refused, after no
    more work than unpacking the 200 directories the limit allows (counted in function calls)."""
    allowed = _archive([(_info(f"top/d{i}", tarfile.DIRTYPE), None) for i in range(200)])
    _, baseline = calls(lambda: unpack_tarball(io.BytesIO(allowed), tmp_path / "allowed", **LIMITS))
    data = _archive([(_info(f"top/d{i}", tarfile.DIRTYPE), None) for i in range(5_000)])
    assert len(data) < 200_000

    def bomb() -> None:
        with pytest.raises(WorkspaceError, match="more than the limit of 200 directories"):
            unpack_tarball(io.BytesIO(data), tmp_path / "out", **LIMITS)

    _, work = calls(bomb)
    assert work < 2 * baseline, f"{work} calls for the bomb, {baseline} for the 200 directories allowed"
    assert sum(1 for _ in (tmp_path / "out").rglob("*")) <= 201


def test_deep_directories_fail_cleanly(tmp_path: Path) -> None:
    deep = "top/" + "/".join(["d"] * 3000) + "/x.py"  # past PATH_MAX
    data = _archive([(_info(deep), b"x")])
    with pytest.raises(WorkspaceError):
        unpack_tarball(io.BytesIO(data), tmp_path / "out", **LIMITS)


@pytest.mark.parametrize("damage", ["truncated gzip", "truncated tar", "bzip2", "zip", "random"])
def test_damaged_or_foreign_archives_are_a_workspace_error(tmp_path: Path, damage: str) -> None:
    good = _archive([(_info("top/a.py"), b"x = 1\n" * 1000)])
    raw = tarfile.TarInfo  # the plain-tar bytes for the truncated-tar case
    plain = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="w") as tar:
        info = raw("top/a.py")
        body = b"x = 1\n" * 1000
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    data = {
        "truncated gzip": good[: len(good) // 2],
        "truncated tar": plain.getvalue()[:1000],
        "bzip2": b"BZh91AY&SY" + os.urandom(200),
        "zip": b"PK\x03\x04" + os.urandom(200),
        "random": os.urandom(4096),
    }[damage]
    with pytest.raises(WorkspaceError):
        unpack_tarball(io.BytesIO(data), tmp_path / "out", **LIMITS)


def test_a_hostile_archive_leaves_no_workspace_behind(tmp_path: Path) -> None:
    data = _archive([(_info("top/a.py"), b"x"), (_info("top/../../evil.py"), b"x")])
    with pytest.raises(WorkspaceError), Workspace(parent=tmp_path) as ws:
        kept = ws.path
        ws.unpack(io.BytesIO(data), max_bytes=1_000_000, max_files=10)
    assert not kept.exists()
    assert list(tmp_path.iterdir()) == []
