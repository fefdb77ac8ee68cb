"""Whether the tools' copy of a file is the committed file, and what kind of code a file is."""

from __future__ import annotations

import pytest

from ghapp.core.committed import SCRIPT, Copy, blob_id, maybe_code, mismatch, needs_alias, treat_as

DATA = b"print('hi')\n"
SHA = blob_id(DATA)


def test_blob_id_is_gits() -> None:
    assert blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # `git hash-object /dev/null`
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


@pytest.mark.parametrize(
    ("expected", "copy", "fragment"),
    [
        (SHA, Copy("file", sha=SHA), None),
        (SHA.upper(), Copy("file", sha=SHA), None),
        (SHA, Copy("link", target="tool"), "a symbolic link (to `tool`)"),
        (SHA, Copy("missing"), "`export-ignore`"),
        ("", Copy("file", sha=SHA), "no blob id"),
        (SHA, Copy("file", sha=blob_id(b"other")), "`export-subst`"),
        (SHA, Copy("folder"), None),  # a submodule: its code is another repository's
    ],
)
def test_mismatch(expected: str, copy: Copy, fragment: str | None) -> None:
    why = mismatch(expected, copy)
    assert (why is None) if fragment is None else (why is not None and fragment in why)


@pytest.mark.parametrize(
    ("path", "head", "suffix"),
    [
        ("a.py", None, ".py"),
        ("A.PYI", b"#!/bin/sh\n", ".pyi"),  # a telling name wins over the content
        ("gui.pyw", None, ".py"),
        ("nb.ipynb", None, ".ipynb"),
        ("bin/run", b"#!/usr/bin/env python3\nimport os\n", ".py"),
        ("bin/run", b"#!/usr/bin/python3.12 -u\n", ".py"),
        ("bin/run", b"#!/usr/bin/env -S python -X dev\n", ".py"),
        ("bin/run", b"#!/bin/bash\n", ".sh"),
        ("bin/run", b"#!/usr/bin/env node\n", ".js"),
        ("bin/run", b"#!/usr/bin/perl -w\n", SCRIPT),
        ("bin/run", b"#!\n", SCRIPT),
        ("bin/run", b"#! /usr/bin/env\n", SCRIPT),
        ("bin/run", b"print(1)\n", ""),
        ("bin/run", None, ""),
        ("LICENSE", b"MIT\n", ""),
    ],
)
def test_treat_as(path: str, head: bytes | None, suffix: str) -> None:
    assert treat_as(path, head) == suffix


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("bin/run", True),
        ("gui.pyw", True),
        ("nb.ipynb", True),
        ("a.py", False),
        ("README.md", False),
    ],
)
def test_maybe_code(path: str, expected: bool) -> None:
    assert maybe_code(path) is expected


@pytest.mark.parametrize(
    ("path", "suffix", "expected"),
    [
        ("bin/run", ".py", True),
        ("gui.pyw", ".py", True),
        ("bin/run", ".sh", True),
        ("a.py", ".py", False),
        ("a.pyi", ".py", False),
        ("x.sh", ".sh", False),
        ("nb.ipynb", ".ipynb", False),
        ("bin/run", SCRIPT, False),
        ("LICENSE", "", False),
    ],
)
def test_needs_alias(path: str, suffix: str, expected: bool) -> None:
    assert needs_alias(path, suffix) is expected
