"""Dependency files to exact pins with their lines; everything else becomes a reason it was not audited."""

from __future__ import annotations

import pytest

from ghapp.runners.dependency_files import Pin, is_dependency_file, read_pins, unique_pins


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("requirements.txt", True), ("requirements-dev.txt", True), ("requirements/base.txt", True),
        ("sub/requirements.in", True), ("pyproject.toml", True), ("app/poetry.lock", True), ("uv.lock", True),
        ("Pipfile.lock", True), ("docs/notes.txt", False), ("setup.py", False), ("package-lock.json", False),
    ],
)
def test_is_dependency_file(path: str, expected: bool) -> None:
    assert is_dependency_file(path) is expected


REQUIREMENTS = """\
# comment
requests==2.19.0  # inline comment
PyYAML === 5.3
Django==3.2.* ; python_version > "3"
flask>=2.0
jinja2
-r other.txt
--index-url https://example.invalid/simple
-e git+https://example.invalid/x.git#egg=x
./local
https://example.invalid/pkg.whl
pkg @ https://example.invalid/pkg.whl
urllib3==1.24.1 \\
    --hash=sha256:abc
not a [valid requirement
"""


def test_requirements_file() -> None:
    pins = read_pins("requirements.txt", REQUIREMENTS)
    assert [(p.name, p.version, p.line) for p in pins] == [
        ("requests", "2.19.0", 2), ("pyyaml", "5.3", 3), ("django", None, 4), ("flask", None, 5),
        ("jinja2", None, 6), ("git+https://example.invalid/x.git#egg=x", None, 9), ("./local", None, 10),
        ("https://example.invalid/pkg.whl", None, 11), ("pkg", None, 12), ("urllib3", "1.24.1", 13),
        ("not", None, 15),
    ]
    reasons = {p.name: p.reason for p in pins}
    assert reasons["flask"] == "not pinned to one version (>=2.0)"
    assert reasons["jinja2"] == "not pinned to one version (any version)"
    assert reasons["pkg"] == "installed from a URL or path, not from the index"
    assert reasons["not"] == "not a requirement pip-audit can read"
    assert "editable" in reasons["git+https://example.invalid/x.git#egg=x"]


def test_a_trailing_continuation_is_still_read() -> None:
    assert read_pins("requirements.txt", "six==1.16.0 \\") == [Pin("six", "1.16.0", "requirements.txt", 1)]


PYPROJECT = """\
[project]
name = "x"
dependencies = [
  "requests==2.19.0",
  "click>=8",
]
[project.optional-dependencies]
yaml = ["pyyaml==5.3"]

[dependency-groups]
dev = ["pytest==8.0.0", {include-group = "other"}]

[tool.poetry.dependencies]
python = "^3.11"
jinja2 = "2.10"
flask = "^2.0"
pillow = {version = "==9.0.0", extras = ["x"]}
mylib = {git = "https://example.invalid/mylib.git"}

[tool.poetry.group.test.dependencies]
aiohttp = "3.8.1"
"""


def test_pyproject() -> None:
    pins = read_pins("pyproject.toml", PYPROJECT)
    assert [(p.name, p.version, p.line) for p in pins] == [
        ("requests", "2.19.0", 4), ("click", None, 5), ("pyyaml", "5.3", 8), ("pytest", "8.0.0", 11),
        ("jinja2", "2.10", 15), ("flask", None, 16), ("pillow", "9.0.0", 17), ("mylib", None, 18),
        ("aiohttp", "3.8.1", 21),
    ]


POETRY_LOCK = """\
[[package]]
name = "requests"
version = "2.19.0"

[[package]]
name = "private"
version = "1.0"
[package.source]
type = "git"
url = "https://example.invalid/private.git"
"""

UV_LOCK = """\
version = 1
[[package]]
name = "myapp"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "PyYAML"
version = "5.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tool"
version = "0.1"
source = { git = "https://example.invalid/tool.git" }
"""

PIPFILE_LOCK = """\
{
    "_meta": {},
    "default": {
        "requests": {
            "version": "==2.19.0"
        },
        "local": {
            "path": "."
        }
    },
    "develop": {
        "pytest": {
            "version": "==8.0.0"
        }
    }
}
"""


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("poetry.lock", POETRY_LOCK, [("requests", "2.19.0", 2), ("private", None, 6)]),
        ("uv.lock", UV_LOCK, [("pyyaml", "5.3", 8), ("tool", None, 13)]),
        ("Pipfile.lock", PIPFILE_LOCK, [("requests", "2.19.0", 4), ("local", None, 7), ("pytest", "8.0.0", 12)]),
    ],
)
def test_lock_files(path: str, text: str, expected: list[tuple[str, str | None, int]]) -> None:
    assert [(p.name, p.version, p.line) for p in read_pins(path, text)] == expected


@pytest.mark.parametrize(("path", "text"), [("pyproject.toml", "[project\n"), ("Pipfile.lock", "{")])
def test_unparseable_files_raise_value_error(path: str, text: str) -> None:
    with pytest.raises(ValueError):
        read_pins(path, text)


def test_unique_pins() -> None:
    pins = [Pin("a", "1", "x", 1), Pin("a", "1", "y", 2), Pin("b", None, "x", 3, "r"), Pin("a", "2", "x", 4)]
    assert unique_pins(pins) == [("a", "1"), ("a", "2")]
