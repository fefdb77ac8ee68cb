"""Markdown as detection reads it: code and quotes removed, checkboxes with their heading, the prompt section."""

from __future__ import annotations

import re

import pytest

from ghapp.core.detection.pr_text import (
    checked_boxes,
    heading_answers,
    plain_text,
    prompt_section,
    without_comments,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a\n```\nsecret\n```\nb", "a\n\n\n\nb", id="fenced-backticks"),
        pytest.param("a\n~~~~ text\nx\n~~~\nstill\n~~~~\nb", "a\n\n\n\n\n\nb", id="tilde-fence-needs-same-length"),
        pytest.param("```\nx\n~~~\ny\n```\nz", "\n\n\n\n\nz", id="other-fence-char-does-not-close"),
        pytest.param("```\nx\n``` trailing\ny\n```\nz", "\n\n\n\n\nz", id="closing-fence-takes-no-text"),
        pytest.param("```\nnever closed\nz", "\n\n", id="unclosed-fence-runs-to-the-end"),
        pytest.param("a\n> quoted\n   > indented quote\nb", "a\n\n\nb", id="quotes"),
        pytest.param("use `Generated with Claude Code` here", "use  here", id="inline-code"),
        pytest.param("a ``code with ` inside`` b", "a  b", id="double-backtick-span"),
        pytest.param("a `unclosed b", "a `unclosed b", id="unmatched-backtick"),
        pytest.param("x `a` y ``b`c`` z ``` q", "x  y  z ``` q", id="spans-pair-by-run-length"),
        pytest.param("x\r\ny", "x\ny", id="crlf"),
        pytest.param(
            "a\n> [!NOTE]\n> Made by `x` here.\n> more\nb\n> quoted",
            "a\n\n Made by  here.\n more\nb\n",
            id="github-alert-kept",
        ),
        pytest.param("> [!warning] \n> kept\n\n> quoted again", "\n kept\n\n", id="alert-ends-at-a-blank-line"),
        pytest.param("> quoted\n> [!TIP]\n> tip", "\n\n tip", id="alert-after-a-quote"),
    ],
)
def test_plain_text(text: str, expected: str) -> None:
    assert plain_text(text) == expected


def test_without_comments_spans_lines() -> None:
    assert without_comments("a<!-- one\ntwo -->b<!-- -->c") == "abc"


HEADINGS = (re.compile(r"\bai\b", re.IGNORECASE), re.compile(r"generative", re.IGNORECASE))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "##### Was generative AI tooling used to co-author this PR?\n- [X] Yes — Claude Code",
            [("Yes — Claude Code", True)],
            id="airflow-heading",
        ),
        pytest.param("## Breaking change\n- [x] No", [("No", False)], id="other-heading"),
        pytest.param("- [x] No", [("No", False)], id="no-heading"),
        pytest.param("**AI usage**\n- [ ] Yes\n* [x] No", [("No", True)], id="bold-heading-unchecked-kept"),
        pytest.param("Did you use AI tools?\n1. [x] Yes", [("Yes", True)], id="question-heading"),
        pytest.param(
            "## AI\n- [x] Yes\n## Tests\n- [x] Yes", [("Yes", True), ("Yes", False)], id="next-heading-resets"
        ),
        pytest.param("## AI\n- [ ] Is this a list question?\n+ [x] No", [("No", True)], id="list-question-not-heading"),
        pytest.param("## AI\nSome prose.\n- [x] No", [("No", True)], id="prose-keeps-context"),
        pytest.param("#\n- [x] No", [("No", False)], id="empty-heading"),
        pytest.param("- [x]No", [], id="needs-space"),
    ],
)
def test_checked_boxes(text: str, expected: list[tuple[str, bool]]) -> None:
    assert list(checked_boxes(text, HEADINGS)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "### _Was this patch authored or co-authored using generative AI tooling?_\n\n No",
            ["No"],
            id="apache-answer",
        ),
        pytest.param("### Was AI used?\n- Yes, Claude Code\n- more", ["Yes, Claude Code"], id="list-marker-dropped"),
        pytest.param("### Was AI used?\n- [ ] Yes\n- [x] No", [], id="checkboxes-are-not-answers"),
        pytest.param("### Was AI used?\n### How was it tested?\nby hand", [], id="next-heading-first"),
        pytest.param("### Tests\nNo", [], id="other-heading"),
        pytest.param("No", [], id="no-heading"),
        pytest.param("**AI**\nNo.\nlater line", ["No."], id="only-the-first-line"),
    ],
)
def test_heading_answers(text: str, expected: list[str]) -> None:
    assert list(heading_answers(text, HEADINGS)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("## Summary\nx\n\n## Prompt\nAdd retries to the client.\n", True, id="prompt-section"),
        pytest.param("### prompts:\n```\nmake it faster\n```", True, id="prompt-in-code-block"),
        pytest.param("## Original prompt ##\n> quoted prompt", True, id="quoted-prompt"),
        pytest.param(
            "## Prompt\n<!-- paste the prompt here -->\n\n## Testing\nran it", False, id="template-placeholder"
        ),
        pytest.param("## Prompt\n### Step 1\nfirst", True, id="subheading-is-content"),
        pytest.param("## Prompt\n\n# Other\ntext", False, id="empty-before-higher-heading"),
        pytest.param("```\n## Prompt\nnot a heading\n```", False, id="heading-in-code"),
        pytest.param("## Prompting guide\ntext", False, id="other-heading"),
        pytest.param("## Prompt\n", False, id="nothing-after"),
        pytest.param("## Prompt\n\n## Prompt\nsecond has it", True, id="second-section"),
    ],
)
def test_prompt_section(text: str, expected: bool) -> None:
    assert prompt_section(text) is expected
