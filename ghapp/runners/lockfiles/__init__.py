"""Lock files of the ecosystems beside Python, read by the App itself (no package manager runs): an explicit
table from file name to reader. Each reader returns every locked package as a `Pin` with its ecosystem, as
OSV names it, and the line it came from; what cannot be audited carries the reason instead of a version.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from ghapp.runners.dependency_files import Pin
from ghapp.runners.lockfiles import cargo, go, java, npm, php, ruby

Reader = Callable[[str, str], list[Pin]]

READERS: dict[str, Reader] = {
    "package-lock.json": npm.package_lock,
    "npm-shrinkwrap.json": npm.package_lock,
    "yarn.lock": npm.yarn_lock,
    "pnpm-lock.yaml": npm.pnpm_lock,
    "go.mod": go.go_mod,
    "go.sum": go.go_sum,
    "Cargo.lock": cargo.cargo_lock,
    "Gemfile.lock": ruby.gemfile_lock,
    "composer.lock": php.composer_lock,
    "pom.xml": java.pom_xml,
    "gradle.lockfile": java.gradle_lockfile,
}


def is_lock_file(path: str) -> bool:
    return PurePosixPath(path).name in READERS


def read_locked(path: str, text: str) -> list[Pin]:
    """Every package `text` (the file at `path`) locks. Raises ValueError for a file that cannot be parsed."""
    return READERS[PurePosixPath(path).name](path, text)
