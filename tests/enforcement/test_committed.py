"""The tools' copy of a head is made to hold exactly the committed files, or each file it cannot vouch for is
named with why."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ghapp.core.committed import blob_id
from ghapp.core.facts import ChangedFile
from ghapp.enforcement.committed import make_committed


class Blobs:
    """Just the Git Data API call: blobs by sha, and a log of what was asked."""

    def __init__(self, *blobs: bytes) -> None:
        self.blobs = {blob_id(b): b for b in blobs}
        self.asked: list[str] = []

    async def get_blob(self, owner: str, repo: str, sha: str) -> bytes | None:
        self.asked.append(sha)
        return self.blobs.get(sha)


def _file(path: str, data: bytes, status: str = "modified") -> ChangedFile:
    return ChangedFile(path, status, sha=blob_id(data))  # type: ignore[arg-type]


def _run(
    root: Path, api: Blobs, files: list[ChangedFile], links: dict[str, str] | None = None, **limits: int
) -> dict[str, str]:
    return asyncio.run(
        make_committed(
            api,
            "o",
            "r",
            root,
            links=links or {},
            files=files,  # type: ignore[arg-type]
            max_bytes=limits.get("max_bytes", 10_000),
            max_fetch=limits.get("max_fetch", 100),
        )
    )


def test_missing_and_rewritten_files_are_fetched_and_links_are_named(tmp_path: Path) -> None:
    root = tmp_path / "src"
    (root / "pkg").mkdir(parents=True)
    (root / "ok.py").write_bytes(b"x = 1\n")
    (root / "stamp.py").write_bytes(b"V = 'abc'\n")  # the archive's rewrite
    (root / "vendor" / "lib").mkdir(parents=True)  # a submodule: an empty folder in the archive
    hidden, stamp = b"eval(input())\n", b"V = '$Format:%H$'\n"
    api = Blobs(hidden, stamp)
    files = [
        _file("ok.py", b"x = 1\n"),
        _file("pkg/hidden.py", hidden),
        _file("stamp.py", stamp),
        _file("tool.py", b"tool"),
        _file("gone.py", b"", "removed"),
        ChangedFile("vendor/lib", sha="c" * 40),
    ]
    problems = _run(root, api, files, {"tool.py": "tool"})
    assert set(problems) == {"tool.py"} and "symbolic link (to `tool`)" in problems["tool.py"]
    assert (root / "pkg" / "hidden.py").read_bytes() == hidden and (root / "stamp.py").read_bytes() == stamp
    assert sorted(api.asked) == sorted([blob_id(hidden), blob_id(stamp)])  # never the link's, nor ok.py's


def test_what_cannot_be_fetched_or_written_stays_a_problem(tmp_path: Path) -> None:
    root = tmp_path / "src"
    root.mkdir()
    (root / "blocker").write_bytes(b"a file where a folder must go")
    (root / "nosha.py").write_bytes(b"n = 1\n")
    big, small = b"x" * 50, b"y = 2\n"
    api = Blobs(big, small, b"z = 3\n")
    files = [
        _file("nowhere.py", b"not on GitHub"),
        _file("big.py", big),
        _file("blocker/inner.py", small),
        ChangedFile("nosha.py"),
        ChangedFile("../escape.py", sha="a" * 40),
        _file("late.py", b"z = 3\n"),
    ]
    problems = _run(root, api, files, max_bytes=20, max_fetch=3)
    assert "could not be fetched" in problems["nowhere.py"]
    assert "byte limit" in problems["big.py"]
    assert "could not be written" in problems["blocker/inner.py"]
    assert "no blob id" in problems["nosha.py"]
    assert "cannot hold" in problems["../escape.py"]
    assert "over 3 such files" in problems["late.py"]
    assert not (tmp_path / "escape.py").exists()
