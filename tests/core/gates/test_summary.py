"""Summary Markdown: untrusted text cannot break a table or hide the rest; sizes stay within GitHub's limit."""

from __future__ import annotations

import pytest

from ghapp.core.gates.summary import MAX_SUMMARY, bullets, cell, code, finish, flat, line, plural, table


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("a | b", 200, "a \\| b"),
        ("<!-- hide", 200, "&lt;\\!-- hide"),
        ("x &amp; <b>", 200, "x &amp;amp; &lt;b&gt;"),
        ("[click](https://evil.example/x)", 200, "\\[click\\]\\(https:\u2060//evil.example/x\\)"),
        ("![pixel](http://evil.example/p.png)", 200, "\\!\\[pixel\\]\\(http:\u2060//evil.example/p.png\\)"),
        ("<img src=x onerror=alert(1)>", 200, "&lt;img src=x onerror=alert\\(1\\)&gt;"),
        ("cc @acme/security and @alice", 200, "cc @\u2060acme/security and @\u2060alice"),
        ("see www.evil.example and #12", 200, "see www\u2060.evil.example and \\#\u206012"),
        ("**bold** _it_ ~~gone~~ `code` {x}", 200, "\\*\\*bold\\*\\* \\_it\\_ \\~\\~gone\\~\\~ \\`code\\` \\{x\\}"),
        ("back\\slash", 200, "back\\\\slash"),
        ("line one\nline   two", 200, "line one line two"),
        ("abcdefghij", 5, "abcd…"),
        (42, 200, "42"),
    ],
)
def test_cell(text: object, limit: int, expected: str) -> None:
    assert cell(text, limit) == expected


def test_code_cannot_break_out_of_its_backticks() -> None:
    assert code("a`b") == "`a'b`"
    assert code("a|b <c>") == "`a\\|b <c>`"  # a code span shows `<` as is; a `|` would still split a table row


def test_line_keeps_the_apps_own_mentions_and_still_guards_the_table() -> None:
    assert line("1 more approval from @alice | x <y>") == "1 more approval from @alice \\| x &lt;y&gt;"
    assert flat("a\n b", 3) == "a b"


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
        "1 finding",
        "2 findings",
        "0 entries",
    )


def test_finish_joins_sections_and_truncates() -> None:
    assert finish(["a", "", "b"]) == "a\n\nb"
    long = finish(["x" * (MAX_SUMMARY + 10)])
    assert len(long) <= MAX_SUMMARY and long.endswith("_…summary truncated._")
