"""Trailer parsing follows `git interpret-trailers`: last paragraph, never the title, 25% rule, continuations."""

from __future__ import annotations

import pytest

from ghapp.core.detection.trailers import Trailer, parse_person, parse_trailers

CLAUDE_CODE = """Fix the retry loop

The loop never gave up on 5xx.

🤖 Generated with [Claude Code](https://claude.com/claude-code)

Co-Authored-By: Claude <noreply@anthropic.com>
"""

COPILOT_SQUASH = """Add cache for imported workflows (#4412)

* Initial plan

* Cache imported workflows

---------

Co-authored-by: copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>
Co-authored-by: pelikhan <4175913+pelikhan@users.noreply.github.com>
"""


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(CLAUDE_CODE, [("Co-Authored-By", "Claude <noreply@anthropic.com>")], id="claude-code"),
        pytest.param(
            COPILOT_SQUASH,
            [
                ("Co-authored-by", "copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>"),
                ("Co-authored-by", "pelikhan <4175913+pelikhan@users.noreply.github.com>"),
            ],
            id="copilot-squash-with-dashes",
        ),
        pytest.param("Fix: the title looks like a trailer", [], id="title-is-never-a-trailer"),
        pytest.param("Fix: a\nSigned-off-by: A <a@x.org>", [], id="no-blank-line-after-title"),
        pytest.param("Title\n\nBody line one.\nBody line two.", [], id="prose-paragraph"),
        pytest.param("Title\n\n\n\n", [], id="only-blank-lines"),
        pytest.param(
            "Title\n\nClaude-Session: https://claude.ai/code/session_01Mg\n\n\n",
            [("Claude-Session", "https://claude.ai/code/session_01Mg")],
            id="trailing-blank-lines",
        ),
        pytest.param("Title\r\n\r\nMade-with: Cursor\r\n", [("Made-with", "Cursor")], id="crlf"),
        pytest.param(
            "Title\n\nAssisted-by: Claude:claude-3-opus\n  coccinelle sparse",
            [("Assisted-by", "Claude:claude-3-opus coccinelle sparse")],
            id="continuation",
        ),
        pytest.param("Title\n\nKey : spaced value  ", [("Key", "spaced value")], id="space-before-colon"),
        pytest.param("Title\n\n  indented first\nKey: v", [], id="leading-continuation-is-prose"),
        pytest.param("Title\n\nSome prose here\nCo-authored-by: X <x@y.z>", [], id="mixed-without-git-trailer"),
        pytest.param(
            "Title\n\nSome prose here\nSigned-off-by: A <a@x.org>\nCo-authored-by: X <x@y.z>",
            [("Signed-off-by", "A <a@x.org>"), ("Co-authored-by", "X <x@y.z>")],
            id="git-generated-allows-prose",
        ),
        pytest.param("Title\n\none\ntwo\nthree\nfour\nSigned-off-by: A <a@x.org>", [], id="under-a-quarter-trailers"),
        pytest.param(
            "Title\n\nprose\n(cherry picked from commit 0123abc)\nAgent-Logs-Url: https://x",
            [("Agent-Logs-Url", "https://x")],
            id="cherry-pick-line-is-git-generated",
        ),
        pytest.param("Title\n\n# a comment\nMade-with: Cursor", [("Made-with", "Cursor")], id="comment-ignored"),
        pytest.param("Title\n\n- item: not a trailer", [], id="list-item"),
        pytest.param("Title\n\nhttps://example.com/x", [("https", "//example.com/x")], id="url-is-a-trailer-in-git"),
    ],
)
def test_parse_trailers(message: str, expected: list[tuple[str, str]]) -> None:
    assert [(t.key, t.value) for t in parse_trailers(message)] == expected


def test_trailer_compares_keys_lower_case_and_prints_as_written() -> None:
    trailer = Trailer("Co-Authored-By", "Claude <noreply@anthropic.com>")
    assert trailer.lower_key == "co-authored-by"
    assert str(trailer) == "Co-Authored-By: Claude <noreply@anthropic.com>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "Claude Opus 4.6 (1M context) <noreply@anthropic.com>",
            ("Claude Opus 4.6 (1M context)", "noreply@anthropic.com"),
        ),
        ("Cursor <CursorAgent@Cursor.com> ", ("Cursor", "cursoragent@cursor.com")),
        ("<noreply@aider.chat>", ("", "noreply@aider.chat")),
        ("Claude", ("Claude", "")),
        ("  broken <a@b", ("broken <a@b", "")),
    ],
)
def test_parse_person(value: str, expected: tuple[str, str]) -> None:
    assert parse_person(value) == expected
