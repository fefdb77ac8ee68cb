"""The policy schema: each kind of structural mistake is named with its key, file, line and column."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft202012Validator

from ghapp.core.policy.located_yaml import read_yaml
from ghapp.core.policy.schema import SCHEMA, published_schema
from ghapp.core.policy.schema_check import schema_issues
from tests.paths import ROOT


def _issues(text: str) -> list[str]:
    tree, issues = read_yaml(text, "p.yml")
    assert issues == () and tree is not None
    return [str(issue) for issue in schema_issues(tree)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "colour: red\n",
            "p.yml:1:1: unknown key 'colour'; expected one of: _extends, ai, approvals, direct_push, floor, gates, "
            "labels, mode, overrides",
        ),
        (
            "gates:\n  lint:\n    enable: true\n",
            "p.yml:3:5: unknown key 'enable' in gates.lint; expected one of: applies_to, block_on, branches, enabled, "
            "ignore, mode, rules, suggestions, whole_file",
        ),
        (
            "approvals:\n  auth:\n    paths: [auth/]\n    reviewers: ['@a']\n",
            "p.yml:4:5: unknown key 'reviewers' in approvals.auth; expected one of: all_of, allow_author, allow_bots, "
            "allow_co_authors, allow_commit_authors, allow_launchers, allow_pushers, applies_to, branches, codeowners, "
            "count, exclude, owners, paths, stale_on_change, veto",
        ),
        ("mode: strict\n", "p.yml:1:7: mode must be one of: enforce, report; got the string 'strict'"),
        (
            "gates:\n  semgrep:\n    branches: [refs/heads/main]\n",
            "p.yml:3:16: gates.semgrep.branches[0]: 'refs/heads/main' must be a branch name or glob such as main or "
            "release/*, without refs/heads/ or spaces",
        ),
        (
            "approvals:\n  auth:\n    paths: [auth/]\n    branches: ['main branch']\n",
            "p.yml:4:16: approvals.auth.branches[0]: 'main branch' must be a branch name or glob such as main or "
            "release/*, without refs/heads/ or spaces",
        ),
        ("gates:\n  lint:\n    branches: []\n", "p.yml:3:15: gates.lint.branches must list at least 1 item"),
        (
            "approvals:\n  auth:\n    paths: [auth/]\n    exclude: auth/tests/\n",
            "p.yml:4:14: approvals.auth.exclude must be a list, not the string 'auth/tests/'",
        ),
        ("mode: off\n", "p.yml:1:7: mode must be one of: enforce, report; got the boolean false"),
        (
            "gates:\n  lint:\n    enabled: 'yes'\n",
            "p.yml:3:14: gates.lint.enabled must be true or false, not the string 'yes'",
        ),
        (
            "gates:\n  types:\n    whole_file: 1\n",
            "p.yml:3:17: gates.types.whole_file must be true or false, not the number 1",
        ),
        ("gates: [lint]\n", "p.yml:1:8: gates must be a mapping, not a list"),
        ("approvals:\n  auth: [auth/]\n", "p.yml:2:9: approvals.auth must be a mapping, not a list"),
        (
            "approvals:\n  auth:\n    paths: auth/\n",
            "p.yml:3:12: approvals.auth.paths must be a list, not the string 'auth/'",
        ),
        (
            "approvals:\n  auth:\n    paths: [auth/]\n    count: two\n",
            "p.yml:4:12: approvals.auth.count must be a whole number, not the string 'two'",
        ),
        (
            "approvals:\n  auth:\n    paths: [auth/]\n    count: true\n",
            "p.yml:4:12: approvals.auth.count must be a whole number, not the boolean true",
        ),
        (
            "approvals:\n  auth:\n    count: 1.5\n",
            "p.yml:3:12: approvals.auth.count must be a whole number, not the number 1.5",
        ),
        ("approvals:\n  auth:\n    count: 0\n", "p.yml:3:12: approvals.auth.count must be at least 1; got 0"),
        ("approvals:\n  auth:\n    count: 21\n", "p.yml:3:12: approvals.auth.count must be at most 20; got 21"),
        ("approvals:\n  auth:\n    paths: []\n", "p.yml:3:12: approvals.auth.paths must list at least 1 item"),
        ("approvals:\n  auth:\n    paths: ['']\n", "p.yml:3:13: approvals.auth.paths[0] must not be empty"),
        (
            "approvals:\n  auth:\n    paths: [a/, a/]\n",
            "p.yml:3:12: approvals.auth.paths lists the same value more than once",
        ),
        (
            "approvals:\n  auth:\n    paths: [7]\n",
            "p.yml:3:13: approvals.auth.paths[0] must be a string, not the number 7",
        ),
        (
            "approvals:\n  auth:\n    paths: [a/]\n  Auth Team:\n    paths: [a/]\n",
            "p.yml:4:3: approvals: 'Auth Team' category names are lowercase letters, digits, - and _ (at most 40)",
        ),
        ("approvals:\n  auth:\n    paths: [~]\n", "p.yml:3:13: approvals.auth.paths[0] must be a string, not null"),
        (
            "approvals:\n  auth:\n    owners: ['alice@example.com']\n",
            "p.yml:3:14: approvals.auth.owners[0]: 'alice@example.com' must be a GitHub user (@login) or team "
            "(@org/team); emails are not accepted: reviews count by login",
        ),
        (
            "approvals:\n  auth:\n    owners: [alice]\n",
            "p.yml:3:14: approvals.auth.owners[0]: 'alice' must be a GitHub user (@login) or team (@org/team); "
            "emails are not accepted: reviews count by login",
        ),
        (
            "approvals:\n  auth:\n    owners: ['@-alice']\n",
            "p.yml:3:14: approvals.auth.owners[0]: '@-alice' must be a GitHub user (@login) or team (@org/team); "
            "emails are not accepted: reviews count by login",
        ),
        (
            "approvals:\n  auth:\n    all_of: ['@alice']\n",
            "p.yml:3:14: approvals.auth.all_of[0]: '@alice' must be a GitHub team written @org/team",
        ),
        (
            "approvals:\n  auth:\n    applies_to: humans\n",
            "p.yml:3:17: approvals.auth.applies_to must be one of: ai, all; got the string 'humans'",
        ),
        ("ai:\n  treat_as_ai: []\n", "p.yml:2:16: ai.treat_as_ai must list at least 1 item"),
        (
            "ai:\n  treat_as_ai: [ai, human]\n",
            "p.yml:2:21: ai.treat_as_ai[1] must be one of: ai, suspected, contradictory; got the string 'human'",
        ),
        ("ai:\n  signals: [x]\n", "p.yml:2:12: ai.signals must be a mapping, not a list"),
        (
            "gates:\n  lint:\n    rules: [e501]\n",
            "p.yml:3:13: gates.lint.rules[0]: 'e501' must be a ruff rule code or prefix such as E, F401 or ALL",
        ),
        (
            "gates:\n  semgrep:\n    rules: [../up.yml]\n",
            "p.yml:3:13: gates.semgrep.rules[0]: '../up.yml' must be a relative .yml or .yaml path inside the "
            "repository",
        ),
        (
            "gates:\n  semgrep:\n    rules: [rules.json]\n",
            "p.yml:3:13: gates.semgrep.rules[0]: 'rules.json' must be a relative .yml or .yaml path inside the "
            "repository",
        ),
        (
            "gates:\n  semgrep:\n    block_on: ERROR\n",
            "p.yml:3:15: gates.semgrep.block_on must be one of: error, warning, note; got the string 'ERROR'",
        ),
        (
            "gates:\n  dependency_audit:\n    whole_file: true\n",
            "p.yml:3:5: unknown key 'whole_file' in gates.dependency_audit; expected one of: applies_to, branches, "
            "enabled, ignore, mode",
        ),
        ("overrides:\n  team: leads\n", "p.yml:2:9: overrides.team: 'leads' must be a GitHub team written @org/team"),
        (
            "overrides:\n  gates: [policy]\n",
            "p.yml:2:11: overrides.gates[0] must be one of: provenance, lint, types, semgrep, dependency-audit, "
            "approvals; got the string 'policy'",
        ),
        (
            "direct_push:\n  mention: [security]\n",
            "p.yml:2:13: direct_push.mention[0]: 'security' must be a GitHub user (@login) or team (@org/team); "
            "emails are not accepted: reviews count by login",
        ),
        (
            "labels:\n  ai: ' ai'\n",
            "p.yml:2:7: labels.ai: ' ai' must be a label name: 1 to 50 characters, no space at either end",
        ),
        (
            "labels:\n  suspected: ''\n",
            "p.yml:2:14: labels.suspected: '' must be a label name: 1 to 50 characters, no space at either end",
        ),
        (
            "labels:\n  colour: red\n",
            "p.yml:2:3: unknown key 'colour' in labels; expected one of: ai, suspected, tool_prefix",
        ),
        (
            "_extends: 'bad name'\n",
            "p.yml:1:11: _extends: 'bad name' must be repo, owner/repo, repo:path.yml or owner/repo:path.yml",
        ),
        (
            "_extends: 'org/repo:policy.json'\n",
            "p.yml:1:11: _extends: 'org/repo:policy.json' must be repo, owner/repo, repo:path.yml or "
            "owner/repo:path.yml",
        ),
    ],
)
def test_each_mistake_is_named_at_its_place(text: str, expected: str) -> None:
    assert _issues(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "mode: null\nai: null\ngates: {lint: null, types: {mode: null}}\napprovals: {auth: null}\n",
        "_extends: .github\n",
        "_extends: acme/policies:.github/strict.yaml\n",
        "approvals:\n  auth:\n    owners: ['@alice', '@Acme/Security-Team', '@a-b/c_d.e']\n    all_of: ['@acme/sec']\n",
        "gates:\n  lint:\n    rules: [ALL, E, F401, PLR2004]\n  semgrep:\n    rules: [.semgrep/extra.yml, r.yaml]\n",
        "ai:\n  signals: {branches: []}\n",
        "ai:\n  require_disclosure: true\nlabels:\n  ai: '🤖 written by AI'\n  tool_prefix: ''\n",
    ],
)
def test_valid_layers_have_no_issues(text: str) -> None:
    assert _issues(text) == []


def test_the_published_schema_file_is_current() -> None:
    on_disk = json.loads((ROOT / "policies" / "schema.json").read_text(encoding="utf-8"))
    assert on_disk == published_schema()
    Draft202012Validator.check_schema(on_disk)


def test_the_published_schema_allows_null_only_for_mapping_values() -> None:
    validator = Draft202012Validator(published_schema())
    assert validator.is_valid({"mode": None, "approvals": {"auth": None}, "gates": {"lint": {"rules": None}}})
    assert not validator.is_valid({"gates": {"lint": {"rules": [None]}}})
    assert not validator.is_valid({"approvals": {"auth": {"paths": [None]}}})
    assert "null" not in json.dumps(SCHEMA)  # the hand-written schema states the shape, not the removal


def test_the_bundled_default_policy_is_valid_for_editors_too() -> None:
    data = yaml.safe_load((ROOT / "policies" / "default.yml").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(published_schema()).iter_errors(data)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("approvals:\n  dismiss_stale: true\n", []),
        ("approvals:\n  dismiss_stale: null\n", []),
        (
            "approvals:\n  dismiss_stale: 'yes'\n",
            ["p.yml:2:18: approvals.dismiss_stale must be true or false, not the string 'yes'"],
        ),
        (
            "approvals:\n  dismiss_stale: 1\n",
            ["p.yml:2:18: approvals.dismiss_stale must be true or false, not the number 1"],
        ),
        # it is a setting, not a category: a category's keys under it are refused
        (
            "approvals:\n  dismiss_stale:\n    paths: [billing/]\n",
            ["p.yml:3:5: approvals.dismiss_stale must be true or false, not a mapping"],
        ),
    ],
)
def test_dismiss_stale_is_a_strict_boolean_beside_the_categories(text: str, expected: list[str]) -> None:
    assert _issues(text) == expected
