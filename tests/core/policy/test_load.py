"""Policy layers end to end: read, merge over the bundled default, build; a broken layer stops the policy."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ghapp.core.codeowners.patterns import compile_pattern
from ghapp.core.decisions import Gate
from ghapp.core.detection.signals import SignalTable
from ghapp.core.gates.approvals import ApprovalRule
from ghapp.core.policy.load import (
    GateSettings,
    Layer,
    OverrideSettings,
    Policy,
    PolicyIssue,
    build_policy,
    load_policy,
    merge,
    parse_layer,
    without_nulls,
)
from ghapp.core.policy.located_yaml import Mark, Node, read_yaml
from ghapp.core.policy.model import LabelSettings
from tests.paths import ROOT

DEFAULT = (ROOT / "policies" / "default.yml").read_text(encoding="utf-8")
SIGNALS = SignalTable.from_mapping(yaml.safe_load((ROOT / "policies" / "ai-signals.yml").read_text(encoding="utf-8")))


def _policy(*texts: str) -> Policy:
    result = load_policy([("default.yml", DEFAULT), *((f"layer{i}.yml", t) for i, t in enumerate(texts))])
    assert result.issues == (), [str(i) for i in result.issues]
    assert result.policy is not None and result.ok
    return result.policy


def test_the_bundled_default_builds() -> None:
    policy = _policy()
    assert policy.mode == "enforce"
    assert [rule.category for rule in policy.approvals] == ["auth", "billing", "ci", "governance", "secrets"]
    assert all(rule.codeowners and rule.count == 1 for rule in policy.approvals)
    # the sensitive categories and the security scans judge every PR: deleting an AI footer must not lift them
    assert {rule.category: rule.applies_to for rule in policy.approvals} == {
        "auth": "all",
        "billing": "all",
        "ci": "ai",
        "governance": "ai",
        "secrets": "all",
    }
    assert {g.gate: g.applies_to for g in policy.gates} == {
        Gate.LINT: "ai",
        Gate.TYPES: "ai",
        Gate.SEMGREP: "all",
        Gate.DEPENDENCY_AUDIT: "all",
    }
    assert policy.gate(Gate.LINT) == GateSettings(Gate.LINT, rules=("E", "F", "W", "B", "S", "UP"))
    assert policy.ai.require_prompt and policy.ai.treat_as_ai == ("ai", "suspected", "contradictory")
    assert not policy.ai.require_disclosure
    assert policy.labels == LabelSettings()
    assert policy.overrides == OverrideSettings(team=None)


def test_an_empty_policy_uses_the_built_in_defaults() -> None:
    result = load_policy([("empty.yml", "")])
    assert result.policy == Policy()


def test_a_repository_layer_changes_only_what_it_names() -> None:
    policy = _policy(
        "mode: report\n"
        "gates:\n  lint:\n    whole_file: true\n  dependency_audit:\n    applies_to: all\n    ignore: [GHSA-1]\n"
        "approvals:\n"
        "  secrets:\n    owners: ['@alice', '@Acme/Security']\n    count: 2\n"
        "  billing: null\n"
        "  infra:\n    paths: [terraform/]\n    owners: ['@bob', '@carol']\n    count: 2\n    applies_to: all\n"
        "    all_of: ['@acme/sre']\n    allow_author: true\n    allow_commit_authors: true\n    allow_bots: true\n"
        "    stale_on_change: false\n"
        "overrides:\n  team: '@Acme/Leads'\n  gates: [lint, approvals]\n"
        "direct_push:\n  branches: [release/*]\n  open_issue: true\n  mention: ['@acme/security']\n"
    )
    assert policy.mode == "report"
    assert policy.gate(Gate.LINT).whole_file and policy.gate(Gate.LINT).rules == ("E", "F", "W", "B", "S", "UP")
    audit = policy.gate(Gate.DEPENDENCY_AUDIT)
    assert (audit.applies_to, audit.ignore) == ("all", ("GHSA-1",))
    rules = {rule.category: rule for rule in policy.approvals}
    assert set(rules) == {"auth", "ci", "governance", "infra", "secrets"}
    assert rules["secrets"].users == ("alice",) and rules["secrets"].teams == ("acme/security",)
    assert rules["secrets"].codeowners and rules["secrets"].count == 2  # still from the default
    assert rules["infra"] == ApprovalRule(
        category="infra",
        patterns=("terraform/",),
        users=("bob", "carol"),
        count=2,
        all_of=("acme/sre",),
        allow_author=True,
        allow_commit_authors=True,
        allow_bots=True,
        applies_to="all",
        stale_on_change=False,
    )
    assert policy.overrides == OverrideSettings(team="acme/leads", gates=(Gate.LINT, Gate.APPROVALS))
    assert policy.direct_push.branches == ("release/*",) and policy.direct_push.open_issue
    assert policy.direct_push.mention == ("@acme/security",)


def test_layers_merge_in_order_the_last_wins() -> None:
    policy = _policy("mode: report\ngates: {types: {block_on: warning}}\n", "mode: enforce\n")
    assert policy.mode == "enforce"
    assert policy.gate(Gate.TYPES).block_on == "warning"


def test_parse_layer_keeps_extends_apart_from_the_data() -> None:
    layer = parse_layer("# org policy\n_extends: acme/policies:base.yml\nmode: report\n", "repo.yml")
    assert layer.issues == ()
    assert layer.extends == "acme/policies:base.yml"
    assert layer.extends_mark == Mark("repo.yml", 2, 11)
    assert layer.data == {"mode": "report"}


@pytest.mark.parametrize("text", ["_extends: null\nmode: report\n", "mode: report\n"])
def test_a_layer_without_extends(text: str) -> None:
    layer = parse_layer(text, "r.yml")
    assert (layer.extends, layer.extends_mark, layer.issues) == (None, None, ())


def test_an_invalid_layer_has_issues_and_no_extends() -> None:
    layer = parse_layer("_extends: base\nmode: x\n", "r.yml")
    assert layer.extends is None
    assert [str(i) for i in layer.issues] == ["r.yml:2:7: mode must be one of: enforce, report; got the string 'x'"]


def test_an_unreadable_layer_has_no_data() -> None:
    layer = parse_layer("- a\n", "r.yml")
    assert layer.root is None and layer.data == {}
    assert layer.issues == (PolicyIssue("r.yml", 1, 1, "the policy file must be a mapping of keys to values"),)


def test_any_layer_issue_stops_the_policy_and_all_are_reported() -> None:
    result = load_policy([("default.yml", DEFAULT), ("org.yml", "mode: x\n"), ("repo.yml", "colour: 1\n")])
    assert result.policy is None and not result.ok
    assert [str(i) for i in result.issues] == [
        "org.yml:1:7: mode must be one of: enforce, report; got the string 'x'",
        "repo.yml:1:1: unknown key 'colour'; expected one of: _extends, ai, approvals, direct_push, floor, gates, "
        "labels, "
        "mode, overrides",
    ]


def test_checks_after_merging_point_into_the_layer_that_set_the_value() -> None:
    result = load_policy(
        [
            ("default.yml", DEFAULT),
            ("repo.yml", "approvals:\n  auth:\n    paths: ['src/[a]uth/']\n  ops:\n    count: 2\n"),
        ]
    )
    assert [str(i) for i in result.issues] == [
        "repo.yml:3:13: approvals.auth.paths[0]: 'src/[a]uth/': character ranges (`[ ]`) are not supported in "
        "CODEOWNERS; write `\\[` for a bracket",
        "repo.yml:5:5: approvals.ops has no paths: list the CODEOWNERS-style patterns whose files belong to the "
        "category",
        "repo.yml:5:5: approvals.ops names nobody who can approve: set owners, all_of or codeowners: true",
    ]


def test_build_policy_extends_the_signal_table_given() -> None:
    layer = parse_layer(
        "ai:\n  signals:\n    branches:\n      - {id: our-bot, family: branch, confidence: strong, "
        "tool: ourbot, pattern: '^ourbot/'}\n",
        "repo.yml",
    )
    policy = build_policy([layer], signals=SIGNALS).policy
    assert policy is not None and policy.signals is not None
    ids = [rule.id for rule in policy.signals.branches]
    assert ids[-1] == "our-bot" and len(ids) == len(SIGNALS.branches) + 1
    assert build_policy([parse_layer("", "e.yml")], signals=SIGNALS).policy == Policy(signals=SIGNALS)


def test_layer_data_is_plain() -> None:
    layer = Layer("x.yml", None)
    assert layer.data == {}


def _tree(text: str, source: str) -> Node:
    tree, issues = read_yaml(text, source)
    assert issues == () and tree is not None
    return tree


@pytest.mark.parametrize(
    ("base", "over", "expected"),
    [
        ("a: {b: 1, c: 2}", "a: {c: 3, d: 4}", {"a": {"b": 1, "c": 3, "d": 4}}),  # mappings merge
        ("a: [1, 2]", "a: [3]", {"a": [3]}),  # lists replace
        ("a: 1", "a: {b: 2}", {"a": {"b": 2}}),  # a mapping replaces a scalar
        ("a: {b: 1}", "a: 2", {"a": 2}),  # a scalar replaces a mapping
        ("a: {b: 1, c: 2}", "a: {b: null}", {"a": {"c": 2}}),  # null removes a key
        ("a: 1\nb: 2", "a: null", {"b": 2}),
        ("a: 1", "z: null", {"a": 1}),  # removing a missing key is fine
        ("a: 1", "b: {c: null, d: 1}", {"a": 1, "b": {"d": 1}}),  # nulls never survive in new subtrees
        ("a: 1", "b: [1, null]", {"a": 1, "b": [1, None]}),  # list items are values, not removals
        ("a: {b: {c: 1, d: 2}}", "a: {b: {d: 3}}", {"a": {"b": {"c": 1, "d": 3}}}),  # deep
    ],
)
def test_merge_rules(base: str, over: str, expected: dict[str, object]) -> None:
    assert merge(_tree(base, "base.yml"), _tree(over, "over.yml")).plain() == expected


def test_merged_values_remember_the_layer_they_came_from() -> None:
    merged = merge(_tree("a: {b: 1, c: 2}\n", "base.yml"), _tree("x: 0\na:\n  c: 3\n", "repo.yml"))
    assert merged.find(("a", "b")).mark == Mark("base.yml", 1, 8)
    assert merged.find(("a", "c")).mark == Mark("repo.yml", 3, 6)


def test_without_nulls_leaves_scalars_alone() -> None:
    node = Node("x", Mark("f", 1, 1))
    assert without_nulls(node) is node


KEYS = st.sampled_from(
    [
        "mode",
        "ai",
        "gates",
        "approvals",
        "lint",
        "paths",
        "owners",
        "count",
        "all_of",
        "treat_as_ai",
        "signals",
        "rules",
        "enabled",
        "secrets",
        "team",
        "overrides",
        "x",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 30),
    st.sampled_from(["enforce", "report", "ai", "all", "@a", "@o/t", "a/", "[x", "*.pem", "E", "error", ""]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=5))
def test_any_layer_over_the_default_builds_or_reports_issues(data: dict[str, object]) -> None:
    result = load_policy([("default.yml", DEFAULT), ("fuzz.yml", yaml.safe_dump(data))], signals=SIGNALS)
    assert (result.policy is None) == bool(result.issues)
    assert all(issue.line >= 1 and issue.column >= 1 for issue in result.issues)


@pytest.mark.parametrize(
    ("path", "categories"),
    [
        (".env", {"secrets"}),
        ("config/.env.production", {"secrets"}),
        ("deploy/prod.tfvars", {"secrets"}),
        ("certs/server.pem", {"secrets"}),
        ("app/secrets/api.py", {"secrets"}),
        ("pkg/vault/client.go", {"secrets"}),
        ("internal/kms/keys.go", {"secrets"}),
        ("src/credentials.ts", {"secrets"}),
        (".npmrc", {"secrets"}),
        ("src/billing/views.py", {"billing"}),
        ("lib/payments/stripe.ts", {"billing"}),
        ("web/src/components/Checkout.tsx", {"billing"}),
        ("internal/invoice/render.go", {"billing"}),
        ("app/models/subscription.rb", {"billing"}),
        ("src/auth/views.py", {"auth"}),
        ("internal/auth/jwt.go", {"auth"}),
        ("pkg/oauth2/client.go", {"auth"}),
        ("src/components/AuthProvider.tsx", {"auth"}),
        ("app/middleware/auth.ts", {"auth"}),
        ("src/api/middlewares/authenticate.js", {"auth"}),
        ("accounts/login.html", {"auth"}),
        ("app/permissions.py", {"auth"}),
        ("django_app/sessions.py", {"auth"}),
        (".github/workflows/ci.yml", {"ci"}),
        (".github/actions/setup/action.yml", {"ci"}),
        ("tools/release/action.yaml", {"ci"}),
        (".github/prompt-to-pr.yml", {"governance"}),
        ("docs/CODEOWNERS", {"governance"}),
        ("src/billing/auth_keys.py", {"auth", "billing"}),
        ("app/Author.tsx", set()),
        ("src/authors.py", set()),
        ("docs/authoring.md", set()),
        ("README.md", set()),
        ("cmd/server/main.go", set()),
        ("src/utils/strings.py", set()),
        ("sub/.github/workflows/x.yml", set()),
    ],
)
def test_the_bundled_categories_cover_common_layouts(path: str, categories: set[str]) -> None:
    policy = _policy()
    found = {
        rule.category
        for rule in policy.approvals
        if any(compile_pattern(pattern).matches(path) for pattern in rule.patterns)
    }
    assert found == categories
