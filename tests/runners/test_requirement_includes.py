"""`-r`/`-c` includes are followed inside the head's copy, never outside it, and reported on the include line."""

from __future__ import annotations

import os
from pathlib import Path

from ghapp.runners.requirement_includes import MAX_INCLUDED, included_pins


def _tree(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def test_includes_are_followed_relative_to_the_file_that_names_them(tmp_path: Path) -> None:
    root = _tree(
        tmp_path / "head",
        {
            "requirements/dev.txt": "-r base.txt\n-c ../constraints.txt\npytest==7.0.0\n",
            "requirements/base.txt": "six==1.16.0\n-r nested/more.txt\n",
            "requirements/nested/more.txt": "requests==2.19.0\n-r ../base.txt\n",  # a cycle: followed once
            "constraints.txt": "urllib3==1.24.1\n",
        },
    )
    pins = included_pins(root, ["requirements/dev.txt"])
    assert [(p.name, p.version, p.path, p.line, p.via) for p in pins] == [
        ("six", "1.16.0", "requirements/dev.txt", 1, "requirements/base.txt:1"),
        ("requests", "2.19.0", "requirements/dev.txt", 1, "requirements/nested/more.txt:1"),
        ("urllib3", "1.24.1", "requirements/dev.txt", 2, "constraints.txt:1"),
    ]


def test_an_included_file_the_pr_changes_is_audited_on_its_own(tmp_path: Path) -> None:
    root = _tree(
        tmp_path / "head", {"requirements.txt": "-r requirements-base.txt\n", "requirements-base.txt": "six==1.16.0\n"}
    )
    assert included_pins(root, ["requirements.txt", "requirements-base.txt"]) == []


def test_includes_outside_the_repository_urls_links_and_missing_files_are_unaudited(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("requests==2.19.0\n")
    root = _tree(
        tmp_path / "head",
        {
            "requirements.txt": (
                "-r ../secret.txt\n-r /etc/passwd\n-r https://example.invalid/r.txt\n-r link.txt\n-r gone.txt\n-r sub\n"
            )
        },
    )
    os.symlink(outside, root / "link.txt")
    (root / "sub").mkdir()
    pins = included_pins(root, ["requirements.txt"])
    reasons = [(p.line, p.version, p.reason) for p in pins]
    assert [line for line, _, _ in reasons] == [1, 2, 3, 4, 5, 6] and all(v is None for _, v, _ in reasons)
    assert "outside the repository" in reasons[0][2] and "outside the repository" in reasons[1][2]
    assert "URL" in reasons[2][2] and "a link" in reasons[3][2] and "not in the head" in reasons[4][2]
    assert "not in the head" in reasons[5][2]
    assert not any(p.version for p in pins)  # nothing outside the checkout was read


def test_the_number_of_included_files_is_bounded(tmp_path: Path) -> None:
    files = {"requirements.txt": "".join(f"-r r{i}.txt\n" for i in range(MAX_INCLUDED + 5))}
    files |= {f"r{i}.txt": f"p{i}==1.0\n" for i in range(MAX_INCLUDED + 5)}
    pins = included_pins(_tree(tmp_path / "head", files), ["requirements.txt"])
    assert sum(1 for p in pins if p.version) == MAX_INCLUDED - 1  # the changed file itself counts as seen
    assert sum(1 for p in pins if "more than" in p.reason) == 6


def test_an_unparsable_included_file_is_unaudited(tmp_path: Path) -> None:
    root = _tree(tmp_path / "head", {"requirements.txt": "-r pyproject.toml\n", "pyproject.toml": "[broken\n"})
    (pin,) = included_pins(root, ["requirements.txt"])
    assert pin.version is None and "cannot parse" in pin.reason and pin.line == 1
