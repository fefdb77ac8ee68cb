"""Suggested changes from ruff's fixes: only safe fixes, only on lines the PR added, as whole-line replacements
computed from the head's text; anything the App cannot place exactly is left out (fail closed)."""

from __future__ import annotations

import pytest

from ghapp.core.decisions import Edit, Fix
from ghapp.core.facts import ChangedFile
from ghapp.core.suggestions import MARKER, MAX_COMMENTS, MAX_SPAN, Suggestion, review_body, suggest

TEXT = "import os\nimport sys\n\nprint(sys.argv)\nx = 1\n"
NEW = ChangedFile("app.py", "added", added_lines=frozenset(range(1, 6)))


def fix(*edits: tuple[int, int, int, int, str], rule: str = "F401", path: str = "app.py", **kw: str) -> Fix:
    return Fix(
        path=path,
        line=edits[0][0] if edits else 1,
        rule=rule,
        message=kw.get("message", "Remove unused import: `os`"),
        applicability=kw.get("applicability", "safe"),
        edits=tuple(Edit(*e) for e in edits),
    )


UNUSED_OS = fix((1, 1, 2, 1, ""))


def one(fixes: list[Fix], text: str = TEXT, changed: ChangedFile = NEW, **kw: object) -> tuple[Suggestion, ...]:
    return suggest(fixes, [changed], {changed.path: text}, **kw)  # type: ignore[arg-type]


def test_a_removed_import_is_an_empty_suggestion_on_its_line() -> None:
    (found,) = one([UNUSED_OS])
    assert (found.path, found.start_line, found.line, found.replacement) == ("app.py", 1, 1, "")
    assert found.body.endswith("```suggestion\n```")
    assert "F401: Remove unused import: \\`os\\` (line 1)" in found.body  # the tool's words as literal text


def test_fixes_near_each_other_make_one_comment_for_the_file() -> None:
    upgrade = fix((5, 5, 5, 6, "2"), rule="UP000", message="Use 2")
    (found,) = one([upgrade, UNUSED_OS])
    assert (found.start_line, found.line) == (1, 5)
    assert found.replacement == "import sys\n\nprint(sys.argv)\nx = 2"
    assert [f.rule for f in found.fixes] == ["F401", "UP000"]


@pytest.mark.parametrize(
    ("fixes", "changed", "text", "ignore"),
    [
        ([UNUSED_OS], ChangedFile("app.py", added_lines=frozenset({2, 3})), TEXT, ()),  # line 1 not added
        ([fix((1, 1, 3, 1, ""))], ChangedFile("app.py", added_lines=frozenset({1})), TEXT, ()),  # half outside
        ([fix((1, 1, 2, 1, ""), applicability="unsafe")], NEW, TEXT, ()),
        ([UNUSED_OS], NEW, TEXT, ("F401",)),  # a rule the policy ignores
        ([fix((1, 1, 2, 1, ""), path="other.py")], NEW, TEXT, ()),  # a file the PR did not change
        ([fix((1, 1, 2, 1, ""), path="../app.py")], NEW, TEXT, ()),
        ([UNUSED_OS], ChangedFile("app.py", "removed", added_lines=frozenset({1})), TEXT, ()),
        ([UNUSED_OS], NEW, TEXT.replace("\n", "\r\n"), ()),  # CR line endings: columns may not mean the same
        ([UNUSED_OS], NEW, "\ufeff" + TEXT, ()),  # a byte order mark
        ([fix((99, 1, 99, 2, ""))], NEW, TEXT, ()),  # outside the file
        ([fix((1, 1, 1, 99, ""))], NEW, TEXT, ()),  # past the end of the line
        ([fix((1, 0, 1, 2, ""))], NEW, TEXT, ()),
        ([fix((2, 1, 1, 1, ""))], NEW, TEXT, ()),  # ends before it starts
        ([fix()], NEW, TEXT, ()),  # no edits at all
        ([fix((1, 1, 1, 5, "a"), (1, 3, 1, 6, "b"))], NEW, TEXT, ()),  # its edits overlap
        ([fix((1, 1, 1, 1, "a"), (1, 1, 1, 1, "b"))], NEW, TEXT, ()),  # two insertions in one place
        ([fix((6, 1, 6, 1, "y = 2\n"))], NEW, TEXT, ()),  # after the last line: no line to comment on
        ([fix((1, 10, 2, 1, " "))], NEW, TEXT, ()),  # joins a line with the next: not a line suggestion
        ([fix((1, 8, 1, 10, "os"))], NEW, TEXT, ()),  # changes nothing
        ([fix((2, 11, 2, 11, "\n"))], NEW, "import os\nimport sys", ()),  # adds a newline at the end of the file
        ([fix((1, 1, 1, 10, "x" * 70_000))], NEW, TEXT, ()),  # a comment GitHub would refuse
    ],
)
def test_what_cannot_be_suggested_exactly_is_left_out(
    fixes: list[Fix], changed: ChangedFile, text: str, ignore: tuple[str, ...]
) -> None:
    assert one(fixes, text, changed, ignore=ignore) == ()


def test_a_file_without_its_text_gets_no_suggestion() -> None:
    assert suggest([UNUSED_OS], [NEW], {}) == ()


def test_of_fixes_that_overlap_the_first_in_line_order_is_kept() -> None:
    sort = fix((1, 1, 3, 1, "import sys\n\n"), rule="I001", message="Organize imports")
    (found,) = one([sort, UNUSED_OS])  # both start on line 1; the shorter one comes first
    assert [f.rule for f in found.fixes] == ["F401"]
    later = fix((1, 5, 1, 7, "xx"), rule="B000")  # starts inside the taken edit
    assert [f.rule for f in one([UNUSED_OS, later])[0].fixes] == ["F401"]
    inside = fix((1, 1, 1, 3, "yy"), rule="A000")  # starts where the taken one starts
    assert [f.rule for f in one([fix((1, 1, 1, 5, "zz"), rule="A001"), inside])[0].fixes] == ["A000"]


def test_lines_the_pr_did_not_add_split_the_comments() -> None:
    changed = ChangedFile("app.py", added_lines=frozenset({1, 2, 4, 5}))
    first, second = one([UNUSED_OS, fix((5, 5, 5, 6, "2"), rule="UP000")], changed=changed)
    assert (first.start_line, first.line, second.start_line, second.line) == (1, 1, 5, 5)


def test_a_long_stretch_is_split_at_the_span_limit() -> None:
    lines = [f"v{i} = {i}" for i in range(1, MAX_SPAN + 11)]
    text = "\n".join(lines) + "\n"
    changed = ChangedFile("app.py", "added", added_lines=frozenset(range(1, len(lines) + 1)))
    fixes = [fix((1, 6, 1, 7, "0"), rule="A"), fix((MAX_SPAN + 5, 1, MAX_SPAN + 5, 2, "w"), rule="B")]
    first, second = one(fixes, text, changed)
    assert (first.line, second.start_line) == (1, MAX_SPAN + 5)
    assert second.replacement == f"w{MAX_SPAN + 5} = {MAX_SPAN + 5}"


def test_a_replacement_with_backticks_gets_a_longer_fence() -> None:
    (found,) = one([fix((5, 5, 5, 6, "'```'"), rule="Q000")])
    assert "````suggestion\nx = '```'\n````" in found.body


def test_a_review_carries_at_most_the_comment_limit() -> None:
    text = "".join(f"import m{i}\n" for i in range(MAX_COMMENTS + 5))
    changed = ChangedFile("app.py", "modified", added_lines=frozenset(range(1, MAX_COMMENTS + 6, 2)))
    fixes = [fix((line, 1, line + 1, 1, "")) for line in range(1, MAX_COMMENTS * 2 + 10, 2)]
    assert len(one(fixes, text, changed)) == (MAX_COMMENTS + 5 + 1) // 2
    many = [ChangedFile(f"f{i}.py", "added", added_lines=frozenset({1})) for i in range(MAX_COMMENTS + 3)]
    found = suggest([fix((1, 1, 2, 1, ""), path=f.path) for f in many], many, {f.path: "import os\n" for f in many})
    assert len(found) == MAX_COMMENTS


def test_the_review_body_names_the_head_and_carries_the_marker() -> None:
    (found,) = one([UNUSED_OS])
    body = review_body([found], "a" * 40)
    assert "1 file of this head (aaaaaaaaaaaa)" in body and body.endswith(MARKER)
    other = Suggestion("b.py", 1, 1, "", found.fixes)
    assert "2 files" in review_body([found, other], "a" * 40)
