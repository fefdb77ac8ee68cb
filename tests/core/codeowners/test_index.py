"""The owner index gives the same answer as trying every pattern, last line first."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghapp.core.codeowners.index import OwnerIndex
from ghapp.core.codeowners.patterns import PathPattern, compile_pattern, parse_codeowners
from tests.paths import FIXTURES

CODEOWNERS_FIXTURES = FIXTURES / "codeowners"

SEGMENT = st.sampled_from(["a", "b", "ab", "*", "a*", "*b", "?", "**", "b?"])
NAME = st.sampled_from(["a", "b", "ab", "ba", "bb", "abb"])


@st.composite
def patterns(draw: st.DrawFn) -> str:
    body = "/".join(draw(st.lists(SEGMENT, min_size=1, max_size=4)))
    return draw(st.sampled_from(["", "/"])) + body + draw(st.sampled_from(["", "/"]))


def naive(patterns: list[PathPattern], path: str) -> int:
    return next((i for i in reversed(range(len(patterns))) if patterns[i].matches(path)), -1)


@settings(max_examples=300)
@given(st.lists(patterns(), min_size=1, max_size=12), st.lists(st.lists(NAME, min_size=1, max_size=5), max_size=8))
def test_index_agrees_with_trying_every_pattern(texts: list[str], paths: list[list[str]]) -> None:
    compiled = [compile_pattern(text) for text in texts]
    index = OwnerIndex(compiled)
    cache: dict[str, tuple[int, int]] = {}
    for names in paths:
        path = "/".join(names)
        assert index.last_match(path, cache) == naive(compiled, path), path
        assert index.last_match(path, {}) == naive(compiled, path), path


CASES = [
    ([], "a/b", -1),
    (["/a/b/"], "a/b", -1),  # a directory rule does not cover a file of the same name
    (["/a/b/"], "a/b/c", 0),
    (["/a/b", "/a/b/"], "a/b", 0),
    (["/a/*", "/a/b/c"], "a/b", 0),
    (["/a/b/c", "/a/*"], "a/b/c", 0),  # `/a/*` is one level: it cannot beat the deeper rule
    (["apps/", "*.py"], "apps", -1),
    (["apps/", "*.py"], "x/apps/m.py", 1),
    (["*.py", "apps/"], "x/apps/m.py", 1),
    (["**/x/y", "/q/"], "q/x/y", 1),
    (["/q/", "**/x/y"], "q/x/y", 1),
    (["/q/", "*/x"], "q/x", 1),
    (["*/x", "/q/"], "q/x", 1),
    (["**"], "any/path", 0),
]


@pytest.mark.parametrize(("texts", "path", "expected"), CASES)
def test_index_cases(texts: list[str], path: str, expected: int) -> None:
    compiled = [compile_pattern(text) for text in texts]
    assert OwnerIndex(compiled).last_match(path, {}) == expected == naive(compiled, path)


@pytest.mark.parametrize(
    "name",
    [
        "home-assistant__core__CODEOWNERS",
        "python__cpython__CODEOWNERS",
        "nodejs__node__CODEOWNERS",
        "gitlabhq__gitlabhq__CODEOWNERS",
    ],
)
def test_real_files_agree_with_trying_every_rule(name: str) -> None:
    codeowners = parse_codeowners((CODEOWNERS_FIXTURES / name).read_text(encoding="utf-8"))
    compiled = [rule.pattern for rule in codeowners.rules]
    paths = []
    for rule in codeowners.rules:  # paths near every rule: the literal part, below it, a sibling file
        stem = rule.pattern.text.strip("/").replace("**/", "").replace("*", "x").replace("?", "q")
        paths += [stem, f"{stem}/inner/file.py", f"{stem}.md", f"deep/{stem}/f", f"{stem.rsplit('/', 1)[0]}/other"]
    owners = codeowners.owners_for(paths)
    for path in paths:
        found = naive(compiled, path)
        assert owners[path] == (codeowners.rules[found].owners if found >= 0 else ()), path
