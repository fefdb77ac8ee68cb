"""Whether the tools' copy of a changed file is the committed file, and what kind of code a file is.

The tools read GitHub's source archive of the head, which is not the commit: `git archive` honours the
commit's `.gitattributes`, so `export-ignore` leaves files out and `export-subst` rewrites them, and a
symbolic link arrives as a link (which the workspace never follows). A copy counts as the committed file only
when it is a regular file whose git blob id is the `sha` GitHub's file list gives.

What a file is comes from its content as well as its name: an extensionless file starting with a `python`
shebang is a Python script, `.pyw` is Python, a notebook is code, and any other shebang is a script.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from typing import Literal

PYTHON = ".py"
NOTEBOOK = ".ipynb"
SCRIPT = "#!"  # a script for an interpreter no tool reads
_PYTHON_SUFFIXES = (".py", ".pyi")
# interpreters named in a shebang -> the suffix of their language, as the tools know it
_SCRIPTS = {
    "sh": ".sh",
    "bash": ".sh",
    "dash": ".sh",
    "zsh": ".sh",
    "ksh": ".sh",
    "node": ".js",
    "ruby": ".rb",
    "php": ".php",
}


def blob_id(data: bytes) -> str:
    """Git's blob id of `data`: the `sha` GitHub's file lists give."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's own id, not security


@dataclass(frozen=True)
class Copy:
    """What the tools' copy of the head holds at a path: a regular file (with its blob id), a link, a folder (a
    submodule: `git archive` writes its path as an empty folder, and its code lives in another repository),
    nothing."""

    kind: Literal["file", "link", "folder", "missing"]
    sha: str = ""
    target: str = ""


def mismatch(expected: str, copy: Copy) -> str | None:
    """Why the copy is not the committed file (None when it is): the reason shown on the check."""
    if copy.kind == "link":
        return (
            f"a symbolic link (to `{copy.target}`) in the commit; links are not followed, so what it points "
            "to was not checked"
        )
    if copy.kind == "folder":
        return None  # a submodule's new commit: nothing of this repository to check
    if copy.kind == "missing":
        return "not in GitHub's source archive of the head (left out by `export-ignore` in `.gitattributes`?)"
    if not expected:
        return "GitHub gave no blob id for it, so the copy cannot be matched to the commit"
    if copy.sha != expected.lower():
        return "the archive's copy differs from the committed file (rewritten by `export-subst` in `.gitattributes`?)"
    return None


def treat_as(path: str, head: bytes | None) -> str:
    """The suffix a tool should read this file as: its own when the name says what it is, `.py` for `.pyw` and
    Python scripts, a script language's for other shebangs, "" when nothing reads it as code. `head` is the
    file's first bytes (None: unknown)."""
    suffix = posixpath.splitext(posixpath.basename(path))[1].lower()
    if suffix == ".pyw":
        return PYTHON
    if suffix or head is None or not head.startswith(b"#!"):
        return suffix
    words = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
    names = [posixpath.basename(w) for w in words if not w.startswith("-")]
    interpreter = names[1] if names[:1] == ["env"] and len(names) > 1 else names[0] if names else ""
    if interpreter.startswith("python"):
        return PYTHON
    return _SCRIPTS.get(interpreter.rstrip("0123456789."), SCRIPT)


def maybe_code(path: str) -> bool:
    """Whether a file could be code under a name that does not say so (`.pyw`, a notebook, no suffix): the tools
    must look at its content before calling it nothing to check."""
    suffix = posixpath.splitext(posixpath.basename(path))[1].lower()
    return suffix in ("", ".pyw", NOTEBOOK)


def needs_alias(path: str, suffix: str) -> bool:
    """Whether the tools must see the file under another name to read it as `suffix`."""
    return (
        suffix not in ("", SCRIPT, NOTEBOOK)
        and not path.lower().endswith(suffix)
        and not (suffix == PYTHON and path.lower().endswith(_PYTHON_SUFFIXES))
    )
