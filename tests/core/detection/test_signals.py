"""The signal table is read strictly (errors carry the key path) and extended by an org's additions."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from ghapp.core.detection.signals import FAMILIES, SignalTable, SignalTableError
from ghapp.resources import ai_signals_text


def bundled() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ai_signals_text())
    return data


def entry(**fields: Any) -> dict[str, Any]:
    return {"id": "x", "family": "branch", "confidence": "strong", "pattern": "^x/", **fields}


IDENTITY = {"id": "x", "family": "identity", "confidence": "strong", "logins": ["x[bot]"]}


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        pytest.param([], (), "must be a mapping", id="not-a-mapping"),
        pytest.param({"identitys": []}, ("identitys",), "unknown key", id="unknown-top-key"),
        pytest.param({"version": 2}, ("version",), "only version 1", id="version-2"),
        pytest.param({"version": True}, ("version",), "only version 1", id="version-bool"),
        pytest.param({"non_ai": []}, ("non_ai",), "must be a mapping", id="non-ai-not-mapping"),
        pytest.param(
            {"non_ai": {"logins": "dependabot[bot]"}},
            ("non_ai", "logins"),
            "must be a list",
            id="non-ai-logins-not-list",
        ),
        pytest.param(
            {"non_ai": {"github_ids": ["49699333"]}}, ("non_ai", "github_ids", 0), "account id", id="id-as-string"
        ),
        pytest.param({"non_ai": {"github_ids": [True]}}, ("non_ai", "github_ids", 0), "account id", id="id-bool"),
        pytest.param({"non_ai": {"github_ids": [0]}}, ("non_ai", "github_ids", 0), "account id", id="id-zero"),
        pytest.param(
            {"non_ai": {"emails": ["@openai.com"]}}, ("non_ai", "emails", 0), "never a bare domain", id="bare-domain"
        ),
        pytest.param({"non_ai": {"emails": [7]}}, ("non_ai", "emails", 0), "never a bare domain", id="email-int"),
        pytest.param(
            {"non_ai": {"trailers": [{"key": "X"}]}},
            ("non_ai", "trailers", 0),
            "missing required key 'value'",
            id="trailer-without-value",
        ),
        pytest.param(
            {"non_ai": {"trailers": [{"key": " ", "value": "x"}]}},
            ("non_ai", "trailers", 0, "key"),
            "non-empty string",
            id="blank-trailer-key",
        ),
        pytest.param(
            {"machine_emails": ["(unclosed"]}, ("machine_emails", 0), "invalid regular expression", id="bad-regex"
        ),
        pytest.param({"machine_emails": [3]}, ("machine_emails", 0), "regular expression (string)", id="regex-int"),
        pytest.param({"tool_names": ["claude"]}, ("tool_names",), "mapping of tool name", id="tools-not-mapping"),
        pytest.param(
            {"tool_names": {"Claude": []}}, ("tool_names", "Claude"), "lowercase tool name", id="tool-name-case"
        ),
        pytest.param(
            {"tool_names": {"claude": "claude"}},
            ("tool_names", "claude"),
            "must be a list",
            id="tool-patterns-not-list",
        ),
        pytest.param({"identities": {}}, ("identities",), "must be a list", id="section-not-list"),
        pytest.param({"identities": ["x"]}, ("identities", 0), "must be a mapping", id="entry-not-mapping"),
        pytest.param(
            {"identities": [{**IDENTITY, "login": ["x"]}]},
            ("identities", 0, "login"),
            "unknown key",
            id="unknown-entry-key",
        ),
        pytest.param(
            {"identities": [{"id": "x", "confidence": "strong", "logins": ["x"]}]},
            ("identities", 0),
            "missing required key 'family'",
            id="missing-family",
        ),
        pytest.param(
            {"identities": [{**IDENTITY, "family": "marker"}]},
            ("identities", 0, "family"),
            "must be one of: identity",
            id="wrong-family",
        ),
        pytest.param({"identities": [{**IDENTITY, "id": "Bad Id"}]}, ("identities", 0, "id"), "lowercase", id="bad-id"),
        pytest.param(
            {"identities": [{**IDENTITY, "confidence": "high"}]},
            ("identities", 0, "confidence"),
            "strong, medium, weak",
            id="bad-confidence",
        ),
        pytest.param(
            {"identities": [{**IDENTITY, "tool": "Claude Code"}]},
            ("identities", 0, "tool"),
            "lowercase tool name",
            id="bad-tool",
        ),
        pytest.param(
            {"identities": [{**IDENTITY, "bot_only": "yes"}]},
            ("identities", 0, "bot_only"),
            "true or false",
            id="bad-flag",
        ),
        pytest.param(
            {"identities": [{**IDENTITY, "logins": [""]}]},
            ("identities", 0, "logins", 0),
            "non-empty string",
            id="empty-login",
        ),
        pytest.param(
            {"identities": [{"id": "x", "family": "identity", "confidence": "strong", "logins": []}]},
            ("identities", 0),
            "at least one of",
            id="identity-matches-nothing",
        ),
        pytest.param(
            {"markers": [{"id": "x", "family": "marker", "confidence": "weak", "pattern": "x"}]},
            ("markers", 0),
            "missing required key 'in'",
            id="marker-without-scope",
        ),
        pytest.param(
            {"markers": [{"id": "x", "family": "marker", "confidence": "weak", "pattern": "x", "in": []}]},
            ("markers", 0, "in"),
            "at least one of",
            id="marker-empty-scope",
        ),
        pytest.param(
            {"markers": [{"id": "x", "family": "marker", "confidence": "weak", "pattern": "x", "in": ["body"]}]},
            ("markers", 0, "in", 0),
            "commit_message, pr_body, pr_title",
            id="marker-unknown-scope",
        ),
        pytest.param(
            {"branches": [entry(pattern="[")]},
            ("branches", 0, "pattern"),
            "invalid regular expression",
            id="branch-bad-regex",
        ),
        pytest.param(
            {"branches": [entry(), entry()]}, ("branches", 1, "id"), "duplicate id 'x'", id="duplicate-id-in-section"
        ),
        pytest.param(
            {"identities": [IDENTITY], "branches": [entry()]},
            ("branches", 0, "id"),
            "duplicate id 'x' (also in identities)",
            id="duplicate-id-across-sections",
        ),
        pytest.param(
            {"trailers": [{"id": "x", "family": "attestation", "confidence": "strong", "key": "K", "value": "v"}]},
            ("trailers", 0, "family"),
            "must be one of",
            id="attestation-trailer",
        ),
        pytest.param(
            {
                "disclosures": [
                    {
                        "id": "x",
                        "family": "disclosure",
                        "confidence": "strong",
                        "key": "K",
                        "unnamed_confidence": "none",
                    }
                ]
            },
            ("disclosures", 0, "unnamed_confidence"),
            "strong, medium, weak",
            id="bad-unnamed-confidence",
        ),
        pytest.param(
            {"checkboxes": [{"id": "x", "family": "marker", "confidence": "strong", "pattern": "Yes"}]},
            ("checkboxes", 0, "family"),
            "disclosure, attestation",
            id="checkbox-family",
        ),
        pytest.param(
            {"labels": [{"id": "x", "family": "label", "confidence": "weak", "names": ["  "]}]},
            ("labels", 0, "names", 0),
            "non-empty string",
            id="blank-label",
        ),
        pytest.param(
            {
                "statements": [
                    {"id": "x", "family": "marker", "confidence": "strong", "pattern": "x", "in": ["pr_body"]}
                ]
            },
            ("statements", 0, "family"),
            "disclosure, attestation",
            id="statement-family",
        ),
        pytest.param(
            {"statements": [{"id": "x", "family": "disclosure", "confidence": "strong", "pattern": "x", "in": []}]},
            ("statements", 0, "in"),
            "at least one of",
            id="statement-empty-scope",
        ),
        pytest.param(
            {
                "statements": [
                    {
                        "id": "x",
                        "family": "disclosure",
                        "confidence": "strong",
                        "pattern": "(?P<tool",
                        "in": ["pr_body"],
                    }
                ]
            },
            ("statements", 0, "pattern"),
            "invalid regular expression",
            id="statement-bad-regex",
        ),
        pytest.param({"negations": "not"}, ("negations",), "must be a list", id="negations-not-list"),
        pytest.param(
            {"not_authorship": ["("]},
            ("not_authorship", 0),
            "invalid regular expression",
            id="not-authorship-bad-regex",
        ),
        pytest.param(
            {"identities": [{**IDENTITY, "bot_patterns": ["["]}]},
            ("identities", 0, "bot_patterns", 0),
            "invalid regular expression",
            id="bot-pattern-bad-regex",
        ),
    ],
)
def test_from_mapping_rejects_with_key_path(data: Any, path: tuple[str | int, ...], message: str) -> None:
    with pytest.raises(SignalTableError) as caught:
        SignalTable.from_mapping(data)
    assert caught.value.path == path
    assert message in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_bundled_table_reads_and_covers_the_research_families() -> None:
    table = SignalTable.from_mapping(bundled())
    families = {
        rule.family
        for name in (
            "identities",
            "coauthor_names",
            "trailers",
            "markers",
            "branches",
            "labels",
            "disclosures",
            "checkboxes",
            "statements",
        )
        for rule in getattr(table, name)
    }
    assert families == set(FAMILIES)
    tools = {rule.tool for rule in table.identities} | {rule.tool for rule in table.branches}
    assert {
        "claude",
        "copilot",
        "codex",
        "cursor",
        "devin",
        "jules",
        "aider",
        "gemini",
        "amazon-q",
        "kiro",
        "openhands",
        "amp",
        "junie",
        "opencode",
        "sweep",
        "codegen",
        "cline",
    } <= tools
    assert {
        "dependabot[bot]",
        "renovate[bot]",
        "github-actions[bot]",
        "pre-commit-ci[bot]",
        "mergify[bot]",
        "release-please[bot]",
        "allcontributors[bot]",
        "imgbot[bot]",
    } <= table.non_ai.logins
    assert ("replit-commit-author", "deployment") in table.non_ai.trailers
    assert {rule.family for rule in table.statements} == {"disclosure", "attestation"}
    assert table.negations and not table.is_authorship("Cursor Bugbot") and not table.is_authorship("Claude API")
    assert table.is_authorship("Claude Code")


def test_bundled_emails_are_whole_addresses_and_regexes_are_compiled_once() -> None:
    table = SignalTable.from_mapping(bundled())
    for rule in table.identities:
        assert all("@" in email and not email.startswith("@") for email in rule.emails)
    assert table.branches[0].pattern.flags & 2  # re.IGNORECASE, compiled at load


def test_empty_mapping_is_an_empty_table() -> None:
    assert SignalTable.from_mapping({"version": 1}) == SignalTable()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Claude:claude-3-opus coccinelle sparse", ("claude", True)),
        ("Codex (gpt-5)", ("codex", True)),
        ("OpenAI ChatGPT", ("chatgpt", True)),
        ("generic LLM chatbot", (None, True)),
        ("protoc 3.21", (None, False)),
    ],
)
def test_name_tool(text: str, expected: tuple[str | None, bool]) -> None:
    assert SignalTable.from_mapping(bundled()).name_tool(text) == expected


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("noreply@example.org", True),
        ("ci-bot@example.org", True),
        ("gemini.agent+x@example.org", True),
        ("a@users.noreply.github.com", False),
        ("123+some-app[bot]@users.noreply.github.com", True),
        ("claude.perrin@gmail.com", False),
        ("talbot@example.org", False),
    ],
)
def test_machine_emails(email: str, expected: bool) -> None:
    assert SignalTable.from_mapping(bundled()).is_machine_email(email) is expected


ORG = {
    "non_ai": {
        "logins": ["acme-release[bot]"],
        "github_ids": [1234],
        "emails": ["ci@acme.example"],
        "trailers": [{"key": "Acme-Bot", "value": "release"}],
    },
    "machine_emails": ["@agents\\.acme\\.example$"],
    "tool_names": {"claude": ["\\bclaudette\\b"], "acme": ["\\bacme agent\\b"]},
    "ai_words": ["\\bcopilotish\\b"],
    "checkbox_headings": ["\\bassistant\\b"],
    "negations": ["\\bnicht\\b"],
    "not_authorship": ["\\bacme review\\b"],
    "branches": [
        {"id": "codex-prefix", "family": "branch", "confidence": "weak", "tool": "codex", "pattern": "^codex/"},
        {"id": "acme-branch", "family": "branch", "confidence": "strong", "tool": "acme", "pattern": "^acme/"},
    ],
}


def test_extended_replaces_by_id_appends_new_and_merges_lists() -> None:
    base = SignalTable.from_mapping(bundled())
    merged = base.extended(SignalTable.from_mapping(ORG))
    ids = [rule.id for rule in merged.branches]
    assert ids == [rule.id for rule in base.branches] + ["acme-branch"]
    assert next(r for r in merged.branches if r.id == "codex-prefix").confidence == "weak"
    assert next(r for r in base.branches if r.id == "codex-prefix").confidence == "medium"  # base untouched
    assert "acme-release[bot]" in merged.non_ai.logins and "dependabot[bot]" in merged.non_ai.logins
    assert {1234, 49699333} <= merged.non_ai.github_ids
    assert ("acme-bot", "release") in merged.non_ai.trailers
    assert merged.name_tool("Claudette") == ("claude", True)
    assert merged.name_tool("the acme agent") == ("acme", True)
    assert merged.name_tool("copilotish") == (None, True)
    assert merged.is_machine_email("x@agents.acme.example")
    assert len(merged.checkbox_headings) == len(base.checkbox_headings) + 1
    assert len(merged.negations) == len(base.negations) + 1
    assert len(merged.not_authorship) == len(base.not_authorship) + 1
    assert merged.identities == base.identities


def test_extended_rejects_an_id_from_another_section() -> None:
    org = SignalTable.from_mapping(
        {
            "labels": [
                {"id": "x", "family": "label", "confidence": "weak", "names": ["a"]},
                {"id": "codex-prefix", "family": "label", "confidence": "weak", "names": ["codex"]},
            ]
        }
    )
    with pytest.raises(SignalTableError) as caught:
        SignalTable.from_mapping(bundled()).extended(org)
    assert caught.value.path == ("labels", 1, "id")
    assert "already an entry of branches" in str(caught.value)
