"""Line-aware YAML reading: every refusal is an issue at the right line and column, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghapp.core.policy.located_yaml import MAX_BYTES, MAX_DEPTH, MAX_NODES, Mark, Node, PolicyIssue, read_yaml


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("a: 1\nb: [x, *y]\n", 2, 8, "anchors and aliases"),
        ("a: &x [1, 2]\nb: *x\n", 2, 4, "anchors and aliases"),
        ("base: &b {k: 1}\nother:\n  <<: *b\n", 3, 7, "anchors and aliases"),
        ("a: 1\n  b: \x07\n", 2, 6, "invalid character"),
        ("on: 1\n", 1, 1, "the key 'on' is not a plain string"),
        ("a:\n  1: x\n", 2, 3, "the key '1' is not a plain string"),
        ("? [a, b]\n: 1\n", 1, 3, "the key 'a collection' is not a plain string"),
        ("mode: report\nmode: enforce\n", 2, 1, "duplicate key 'mode' (first set at line 1)"),
        ("a:\n  b: 1\n  c: 2\n  b: 3\n", 4, 3, "duplicate key 'b' (first set at line 2)"),
        ("a: 2024-01-01\n", 1, 4, "unsupported YAML value '2024-01-01'"),
        ("a:\n  - !!binary aGk=\n", 2, 5, "unsupported YAML value"),
        ("a: !custom x\n", 1, 4, "tag !custom"),
        ("- a\n- b\n", 1, 1, "must be a mapping"),
        ("just text\n", 1, 1, "must be a mapping"),
        ("a: 1\n---\nb: 2\n", 2, 1, "expected a single document in the stream, but found another document"),
        ("a:\n  b: [1, 2]\n- x\n", 3, 1, "invalid YAML: while parsing a block mapping"),
        ("a: 'unclosed\n", 2, 1, "invalid YAML: while scanning a quoted scalar"),
        ("a: {b: 1\n", 2, 1, "invalid YAML"),
        ("ai:\n\trequire_prompt: true\n", 2, 1, "(indent with spaces: YAML does not allow tabs there)"),
        ("[" * 40 + "]" * 40, 1, MAX_DEPTH + 1, f"nests deeper than {MAX_DEPTH} levels"),
        ("a:\n  b: " + "1" * 5000 + "\n", 2, 6, "the number 11111111111111111111... is too large"),
        ("a: [" + "1, " * MAX_NODES + "]\n", 1, 3 * MAX_NODES - 4, f"more than {MAX_NODES} values"),  # item 9,998
        ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 40)), 32, 63, "nests deeper"),
    ],
)
def test_refused_yaml_is_an_issue_at_its_place(text: str, line: int, column: int, words: str) -> None:
    _, issues = read_yaml(text, "p.yml")
    assert issues, "expected an issue"
    first = issues[0]
    assert (first.file, first.line, first.column) == ("p.yml", line, column), str(first)
    assert words in first.message


def test_a_file_over_the_size_limit_is_refused_before_parsing() -> None:
    tree, issues = read_yaml("a: '" + "x" * MAX_BYTES + "'\n", "big.yml")
    assert tree is None
    assert str(issues[0]).startswith("big.yml:1:1: the file is ")
    assert "256 KiB" in issues[0].message


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    tree, issues = read_yaml("\n".join(lines), "bomb.yml")
    assert tree is None
    assert (issues[0].line, issues[0].column) == (2, 10)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "~\n"])
def test_an_empty_file_is_an_empty_mapping(text: str) -> None:
    tree, issues = read_yaml(text, "e.yml")
    assert issues == ()
    assert tree is not None
    assert tree.plain() == {}


def test_values_keep_their_positions_and_types() -> None:
    text = "mode: report\ngates:\n  lint:\n    enabled: false\n    rules: [E, F]\ncount: 3\nratio: 0.5\nnone: ~\n"
    tree, issues = read_yaml(text, "p.yml")
    assert issues == ()
    assert tree is not None
    assert tree.plain() == {
        "mode": "report",
        "gates": {"lint": {"enabled": False, "rules": ["E", "F"]}},
        "count": 3,
        "ratio": 0.5,
        "none": None,
    }
    rules = tree.find(("gates", "lint", "rules"))
    assert rules.mark == Mark("p.yml", 5, 12)
    assert rules.key_mark == Mark("p.yml", 5, 5)
    assert tree.find(("gates", "lint", "rules", 1)).mark == Mark("p.yml", 5, 16)


@pytest.mark.parametrize(
    ("path", "stop"),
    [
        (("gates", "lint", "nope"), ("gates", "lint")),  # stops at the deepest existing node
        (("gates", "lint", "rules", 7), ("gates", "lint", "rules")),  # index past the end
        (("gates", "lint", "rules", "x"), ("gates", "lint", "rules")),  # a key into a list
        (("gates", 0), ("gates",)),  # an index into a mapping
        (("x", "y"), ("x",)),  # a key into a scalar
        ((), ()),
    ],
)
def test_find_stops_at_the_deepest_existing_node(path: tuple[str | int, ...], stop: tuple[str, ...]) -> None:
    tree, _ = read_yaml("x: 1\ngates:\n  lint:\n    rules: [E]\n", "p.yml")
    assert tree is not None
    expected = tree
    for key in stop:
        expected = expected.value[key]
    assert tree.find(path) is expected


def test_get_on_a_scalar_is_none() -> None:
    assert Node(3, Mark("f", 1, 1)).get("a") is None


def test_issue_prints_as_file_line_column() -> None:
    assert str(PolicyIssue("a.yml", 3, 7, "bad")) == "a.yml:3:7: bad"
    assert Mark("b.yml", 2, 1).issue("x") == PolicyIssue("b.yml", 2, 1, "x")


YAMLISH = st.text(alphabet=st.sampled_from(list("ab:- \n\t[]{}&*!|>'\"#,?%@`~01.\x07\u00e9")), max_size=80)


@settings(max_examples=400, deadline=None)
@given(YAMLISH)
def test_any_text_is_read_or_refused_never_a_crash(text: str) -> None:
    tree, issues = read_yaml(text, "fuzz.yml")
    assert tree is not None or issues
    for issue in issues:
        assert issue.file == "fuzz.yml" and issue.line >= 1 and issue.column >= 1
