"""Summary Markdown: untrusted text cannot break a table or hide the rest; sizes stay within GitHub's limit."""

from __future__ import annotations

import pytest

from ghapp.core.gates.summary import MAX_SUMMARY, bullets, cell, code, finish, plural, table


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("a | b", 200, "a \\| b"),
        ("<!-- hide", 200, "&lt;!-- hide"),
        ("x &amp; <b>", 200, "x &amp;amp; &lt;b&gt;"),
        ("line one\nline   two", 200, "line one line two"),
        ("abcdefghij", 5, "abcd…"),
        (42, 200, "42"),
    ],
)
def test_cell(text: object, limit: int, expected: str) -> None:
    assert cell(text, limit) == expected


def test_code_cannot_break_out_of_its_backticks() -> None:
    assert code("a`b") == "`a'b`"


def test_table_caps_rows_and_says_where_the_rest_is() -> None:
    rows = [[str(i), "x"] for i in range(5)]
    text = table(["N", "X"], rows, limit=3, more="in the annotations")
    assert text.splitlines()[:2] == ["| N | X |", "|---|---|"]
    assert "| 2 | x |" in text and "| 3 | x |" not in text
    assert text.endswith("_…and 2 more in the annotations._")
    assert table(["N"], [["1"], ["2"]], limit=1).endswith("_…and 1 more._")
    assert table(["N"], [["1"]]) == "| N |\n|---|\n| 1 |"


def test_bullets_and_plural() -> None:
    assert bullets(["a", "b"]) == "- a\n- b"
    assert (plural(1, "finding"), plural(2, "finding"), plural(0, "entry", "entries")) == (
        "1 finding", "2 findings", "0 entries")


def test_finish_joins_sections_and_truncates() -> None:
    assert finish(["a", "", "b"]) == "a\n\nb"
    long = finish(["x" * (MAX_SUMMARY + 10)])
    assert len(long) <= MAX_SUMMARY and long.endswith("_…summary truncated._")
