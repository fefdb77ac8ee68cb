"""Unified diffs: added lines from GitHub's `patch` field, changed files from `git diff` output."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghapp.core.diff import added_lines, parse_unified_diff, unquote_path, with_added_lines
from ghapp.core.facts import ChangedFile

DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ("", set()),
        ("@@ -0,0 +1,3 @@\n+a\n+b\n+c", {1, 2, 3}),
        ("@@ -1,3 +1,3 @@\n a\n-b\n+B\n c", {2}),
        ("@@ -1 +1 @@\n-a\n+b", {1}),
        ("@@ -10,4 +10,2 @@ def f():\n x\n-y\n-z\n w", set()),
        # two hunks; the second starts at a new line number
        ("@@ -1,2 +1,3 @@\n a\n+n\n b\n@@ -20,2 +21,3 @@\n c\n+m\n d", {2, 22}),
        # "\ No newline at end of file" is not a line
        ("@@ -1 +1,2 @@\n a\n\\ No newline at end of file\n+b", {2}),
        # a removed line that looks like a file header stays a removal
        ("@@ -1,2 +1,1 @@\n--- not a header\n x", set()),
        # text before the first hunk is ignored
        ("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b", {1}),
        # an empty context line (GitHub sometimes drops the single space)
        ("@@ -1,3 +1,3 @@\n a\n\n-c\n+C", {3}),
        # characters str.splitlines treats as line ends stay inside their line (form feed, U+2028, NEL, FS)
        ("@@ -0,0 +1,4 @@\n+x = 1\x0c\n+y = 2\n+z\u2028w\n+k\x85\x1c", {1, 2, 3, 4}),
        # CRLF files keep their \r; invalid UTF-8 arrives as U+FFFD and is just text
        ("@@ -1,2 +1,3 @@\r\n a\r\n+caf\ufffd \ufffd\r\n b\r\n", {2}),
    ],
)
def test_added_lines(patch: str, expected: set[int]) -> None:
    assert added_lines(patch) == frozenset(expected)


@pytest.mark.parametrize(
    ("quoted", "plain"),
    [
        ("plain/path.py", "plain/path.py"),
        ('"t\\303\\251.py"', "té.py"),
        ('"tab\\there"', "tab\there"),
        ('"quote\\"d"', 'quote"d'),
        ('"back\\\\slash"', "back\\slash"),
        ('"odd\\q"', "oddq"),
        ('"trailing\\"', "trailing\\"),
        ('"', '"'),
    ],
)
def test_unquote_path(quoted: str, plain: str) -> None:
    assert unquote_path(quoted) == plain


def test_real_git_diff_with_rename_binary_deletion_and_quoted_name() -> None:
    files = parse_unified_diff((DATA / "git-diff-renames.txt").read_text(encoding="utf-8"))
    assert set(files) == {"gone.txt", "img.bin", "keep.py", "new name.py", "new.bin", "té.py"}
    assert files["gone.txt"] == ChangedFile(path="gone.txt", status="removed", deletions=1)
    assert files["img.bin"] == ChangedFile(path="img.bin", binary=True, patch_missing=True)
    assert files["keep.py"] == ChangedFile(path="keep.py", additions=2, deletions=1, added_lines=frozenset({2, 9}))
    assert files["new name.py"] == ChangedFile(
        path="new name.py",
        status="renamed",
        previous_path="old name.py",
        additions=1,
        deletions=1,
        added_lines=frozenset({3}),
    )
    assert files["new.bin"] == ChangedFile(path="new.bin", status="added", binary=True, patch_missing=True)
    assert files["té.py"] == ChangedFile(path="té.py", status="added", additions=1, added_lines=frozenset({1}))


@pytest.mark.parametrize(
    ("diff", "expected"),
    [
        ("", {}),
        ("garbage before any file\n", {}),
        (
            "diff --git a/a.py b/b.py\nsimilarity index 100%\ncopy from a.py\ncopy to b.py\n",
            {"b.py": ChangedFile(path="b.py", status="copied", previous_path="a.py")},
        ),
        (
            "diff --git a/f.py b/f.py\n--- a/f.py\n+++ b/f.py\n@@ -1,2 +1,3 @@\n ctx\x1c\n+new\x85line\n+third\n",
            {"f.py": ChangedFile(path="f.py", additions=2, added_lines=frozenset({2, 3}))},
        ),
        (
            "diff --git a/x.sh b/x.sh\nold mode 100644\nnew mode 100755\n",
            {"x.sh": ChangedFile(path="x.sh")},
        ),
        (
            "diff --git a/bin b/bin\nindex 1..2\nGIT binary patch\nliteral 3\n",
            {"bin": ChangedFile(path="bin", binary=True, patch_missing=True)},
        ),
        (
            'diff --git "a/sp ace\\t.py" b/plain.py\nrename from "sp ace\\t.py"\nrename to plain.py\n',
            {"plain.py": ChangedFile(path="plain.py", status="renamed", previous_path="sp ace\t.py")},
        ),
        (
            "diff --git a/n.py b/n.py\nnew file mode 100644\n--- /dev/null\n+++ b/n.py\n@@ -0,0 +1,2 @@\n+a\n+b\n"
            "diff --git a/d.py b/d.py\ndeleted file mode 100644\n--- a/d.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n",
            {
                "n.py": ChangedFile(path="n.py", status="added", additions=2, added_lines=frozenset({1, 2})),
                "d.py": ChangedFile(path="d.py", status="removed", deletions=1),
            },
        ),
    ],
)
def test_parse_unified_diff(diff: str, expected: dict[str, ChangedFile]) -> None:
    assert parse_unified_diff(diff) == expected


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, ChangedFile(path="p.py", patch_missing=True)),
        ("@@ -1 +1 @@\n-a\n+b", ChangedFile(path="p.py", added_lines=frozenset({1}))),
    ],
)
def test_with_added_lines(patch: str | None, expected: ChangedFile) -> None:
    assert with_added_lines(ChangedFile(path="p.py"), patch) == expected
