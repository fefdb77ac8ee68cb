"""One exception root: every error class the App defines derives from GhappError, each seam through its base."""

from __future__ import annotations

import ast
import importlib

import pytest

from ghapp.commands.check import CheckError
from ghapp.core.codeowners.patterns import PatternError
from ghapp.core.errors import GhappError
from ghapp.core.policy.extends import ExtendsError
from ghapp.core.policy.located_yaml import PolicyError
from ghapp.github.errors import GitHubError, GitHubUnavailable, NotFound, RateLimited
from ghapp.runners.base import RunnerError
from ghapp.runners.workspace import WorkspaceError
from ghapp.runtime.jobs import JobError, NotConfigured, Retry, Unprocessable
from ghapp.runtime.recorder import RecordError
from ghapp.settings import SettingsError
from ghapp.store.database import StoreError
from ghapp.store.migrations import SchemaNotCurrent
from tests.paths import ROOT


def _error_classes() -> list[tuple[str, str]]:
    """(module, class) for every public class in ghapp whose name says it is an error or that derives from
    an exception class by name."""
    found = []
    for path in sorted((ROOT / "ghapp").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.parse(path.read_text(), filename=str(path)).body:
            if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
                continue
            bases = {ast.unparse(base) for base in node.bases}
            if any(b.endswith(("Error", "Exception")) or b in {"Retry", "Reschedulable", "JobError"} for b in bases):
                found.append((module, node.name))
    return found


@pytest.mark.parametrize(("module", "name"), _error_classes(), ids=str)
def test_every_error_the_app_defines_derives_from_the_root(module: str, name: str) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, GhappError), f"{module}.{name} does not derive from GhappError"


def test_the_scan_finds_the_errors_of_every_seam() -> None:
    names = {name for _, name in _error_classes()}
    assert {
        "GitHubError",
        "RunnerError",
        "WorkspaceError",
        "PolicyError",
        "StoreError",
        "JobError",
        "SettingsError",
        "Unprocessable",
    } <= names


@pytest.mark.parametrize(
    ("error", "seam"),
    [
        (NotFound, GitHubError),
        (RateLimited, GitHubError),
        (GitHubUnavailable, GitHubError),
        (ExtendsError, PolicyError),
        (SchemaNotCurrent, StoreError),
        (RecordError, StoreError),
        (Retry, JobError),
        (Unprocessable, JobError),
        (NotConfigured, JobError),
        (PatternError, GhappError),
        (CheckError, GhappError),
        (RunnerError, GhappError),
        (WorkspaceError, GhappError),
        (SettingsError, GhappError),
    ],
)
def test_each_error_belongs_to_its_seam(error: type[Exception], seam: type[Exception]) -> None:
    assert issubclass(error, seam) and issubclass(seam, GhappError)


def test_the_seams_are_distinct() -> None:
    seams = [GitHubError, RunnerError, WorkspaceError, PolicyError, StoreError, JobError, SettingsError]
    for seam in seams:
        assert [other for other in seams if other is not seam and issubclass(seam, other)] == []
