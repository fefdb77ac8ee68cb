"""Dependency files to exact pins with their lines; everything else becomes a reason it was not audited."""

from __future__ import annotations

import pytest

from ghapp.runners.dependency_files import Pin, includes, is_dependency_file, read_pins, unique_pins


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("requirements.txt", True),
        ("requirements-dev.txt", True),
        ("requirements/base.txt", True),
        ("sub/requirements.in", True),
        ("pyproject.toml", True),
        ("app/poetry.lock", True),
        ("uv.lock", True),
        ("Pipfile.lock", True),
        ("docs/notes.txt", False),
        ("setup.py", False),
        ("package-lock.json", False),
        ("dev-requirements.txt", True),
        ("test_requirements.in", True),
        ("ci/Requirements-Docs.txt", True),
        ("constraints.txt", True),
        ("setup.cfg", True),
        ("requirements.md", False),
        ("other.txt", False),
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
        ("requests", "2.19.0", 2),
        ("pyyaml", "5.3", 3),
        ("django", None, 4),
        ("flask", None, 5),
        ("jinja2", None, 6),
        ("--index-url", None, 8),
        ("git+https://example.invalid/x.git#egg=x", None, 9),
        ("./local", None, 10),
        ("https://example.invalid/pkg.whl", None, 11),
        ("pkg", None, 12),
        ("urllib3", "1.24.1", 13),
        ("not", None, 15),
    ]
    reasons = {p.name: p.reason for p in pins}
    assert reasons["flask"] == "not pinned to one version (>=2.0)"
    assert reasons["jinja2"] == "not pinned to one version (any version)"
    assert reasons["pkg"] == "installed from a URL or path, not from the index"
    assert reasons["not"] == "not a requirement pip-audit can read"
    assert reasons["--index-url"] == (
        "packages may be installed from https://example.invalid/simple, which the audit does not know"
    )
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
        ("requests", "2.19.0", 4),
        ("click", None, 5),
        ("pyyaml", "5.3", 8),
        ("pytest", "8.0.0", 11),
        ("jinja2", "2.10", 15),
        ("flask", None, 16),
        ("pillow", "9.0.0", 17),
        ("mylib", None, 18),
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


@pytest.mark.parametrize(
    "line",
    [
        "--extra-index-url https://x.invalid/simple",
        "--extra-index-url=https://x.invalid",
        "-i https://x.invalid/simple",
        "--find-links /wheels",
        "-f ./wheels",
        "--index-url",
    ],
)
def test_index_options_are_unaudited_never_dropped(line: str) -> None:
    (pin,) = read_pins("requirements.txt", f"{line}\n")
    assert pin.version is None and "the audit does not know" in pin.reason


def test_includes_are_listed_for_the_runner() -> None:
    text = "-r base.txt\n--requirement=dev.txt\n-c constraints.txt\n--constraint ../c.txt\n-rshort.txt\nsix==1\n"
    assert [target for _, target in includes(text)] == [
        "base.txt",
        "dev.txt",
        "constraints.txt",
        "../c.txt",
        "short.txt",
    ]


INJECTED_UV = """\
[[package]]
name = "six"
version = "1.16.0\\nrequests==2.19.0"

[[package]]
name = "good"
version = "1.0"

[[package]]
name = "bad\\nname"
version = "1.0"
"""


def test_a_lock_files_version_cannot_add_lines_to_what_the_tool_reads() -> None:
    pins = read_pins("uv.lock", INJECTED_UV)
    assert [(p.name, p.version) for p in pins] == [("six", None), ("good", "1.0"), ("bad\nname", None)]
    assert pins[0].reason.startswith("not a version") and pins[2].reason == "not a package name"
    assert unique_pins(pins) == [("good", "1.0")]
    assert unique_pins([Pin("x", "1.0 --index-url http://evil", "a", 1)]) == []


def test_arbitrary_equality_is_checked_too() -> None:
    (pin,) = read_pins("requirements.txt", "foo===not-a-version\n")
    assert pin.version is None and "not a version" in pin.reason


def test_setup_cfg_and_build_requirements() -> None:
    cfg = (
        "[metadata]\nname = x\n[options]\ninstall_requires =\n    requests==2.19.0\n    # note\n    six\n"
        "setup_requires = wheel==0.30.0\n[options.extras_require]\ntest = pytest==3.0.0\n"
    )
    assert [(p.name, p.version, p.line) for p in read_pins("setup.cfg", cfg)] == [
        ("requests", "2.19.0", 5),
        ("six", None, 7),
        ("wheel", "0.30.0", 8),
        ("pytest", "3.0.0", 10),
    ]
    toml = '[build-system]\nrequires = ["setuptools==39.0.0", "wheel"]\n'
    assert [(p.name, p.version) for p in read_pins("pyproject.toml", toml)] == [
        ("setuptools", "39.0.0"),
        ("wheel", None),
    ]
    with pytest.raises(ValueError, match="section"):
        read_pins("setup.cfg", "install_requires = x\n")
