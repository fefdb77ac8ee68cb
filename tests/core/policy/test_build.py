"""The checks made on the merged policy: patterns, who can approve, possible counts, extra AI signals."""

from __future__ import annotations

import pytest
import yaml

from ghapp.core.detection.signals import SignalTable
from ghapp.core.policy.load import load_policy
from tests.paths import ROOT

SIGNALS = SignalTable.from_mapping(yaml.safe_load((ROOT / "policies" / "ai-signals.yml").read_text(encoding="utf-8")))


def _issues(text: str, signals: SignalTable | None = None) -> list[str]:
    return [str(issue) for issue in load_policy([("p.yml", text)], signals=signals).issues]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "approvals:\n  a:\n    paths: [x/]\n    owners: ['@u1']\n    count: 2\n",
            ["p.yml:5:12: approvals.a.count is 2 but only 1 user is named and no team or CODEOWNERS can add approvers"],
        ),
        (
            "approvals:\n  a:\n    paths: [x/]\n    owners: ['@u1', '@u2']\n    count: 3\n",
            [
                "p.yml:5:12: approvals.a.count is 3 but only 2 users are named and no team or CODEOWNERS can add "
                "approvers"
            ],
        ),
        ("approvals:\n  a:\n    paths: [x/]\n    owners: ['@u1', '@u2']\n    count: 2\n", []),
        ("approvals:\n  a:\n    paths: [x/]\n    owners: ['@u1', '@org/t']\n    count: 5\n", []),  # a team can
        ("approvals:\n  a:\n    paths: [x/]\n    codeowners: true\n    count: 5\n", []),
        ("approvals:\n  a:\n    paths: [x/]\n    all_of: ['@org/a', '@org/b']\n    count: 2\n", []),
        (
            "approvals:\n  a:\n    paths: [x/]\n",
            ["p.yml:3:5: approvals.a names nobody who can approve: set owners, all_of or codeowners: true"],
        ),
        (
            "approvals:\n  a:\n    paths: [x/]\n    codeowners: false\n",
            ["p.yml:3:5: approvals.a names nobody who can approve: set owners, all_of or codeowners: true"],
        ),
        (
            "approvals:\n  a:\n    paths: ['!x/', 'a//b', ok/]\n    codeowners: true\n",
            [
                "p.yml:3:13: approvals.a.paths[0]: '!x/': negation (`!`) is not supported in CODEOWNERS",
                "p.yml:3:20: approvals.a.paths[1]: 'a//b': empty path segment (`//`)",
            ],
        ),
        (
            "approvals:\n  a:\n    paths: [x/]\n    codeowners: true\n    exclude: [x/tests/, 'x/[a]']\n",
            [
                "p.yml:5:25: approvals.a.exclude[1]: 'x/[a]': character ranges (`[ ]`) are not supported in "
                "CODEOWNERS; "
                "write `\\[` for a bracket"
            ],
        ),
    ],
)
def test_semantic_checks(text: str, expected: list[str]) -> None:
    assert _issues(text) == expected


@pytest.mark.parametrize(
    ("signals", "text", "expected"),
    [
        (
            None,
            "ai:\n  signals:\n    branches:\n      - {id: x, family: branch}\n",
            "p.yml:4:9: ai.signals.branches[0]: missing required key 'confidence'",
        ),
        (None, "ai:\n  signals:\n    colours: []\n", "p.yml:3:14: ai.signals.colours: unknown key"),
        (
            SIGNALS,
            "ai:\n  signals:\n    branches:\n      - {id: claude-code-footer, family: branch, "
            "confidence: strong, tool: x, pattern: a}\n",
            "p.yml:4:14: ai.signals.branches[0].id: 'claude-code-footer' is already",
        ),
    ],
)
def test_bad_extra_signals_are_located(signals: SignalTable | None, text: str, expected: str) -> None:
    found = _issues(text, signals)
    assert len(found) == 1
    assert found[0].startswith(expected), found[0]


def test_extra_signals_alone_make_the_table() -> None:
    text = "ai:\n  signals:\n    labels:\n      - {id: l, family: label, confidence: weak, tool: null, names: [ai]}\n"
    result = load_policy([("p.yml", text)])
    assert result.policy is not None and result.policy.signals is not None
    assert [rule.id for rule in result.policy.signals.labels] == ["l"]
