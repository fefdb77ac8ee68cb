"""The org floor: what the org's policy enforces, a repository's policy may only tighten; each relaxation keeps
the org's value and is refused at the repository's FILE:LINE:COL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ghapp.core.decisions import Gate
from ghapp.core.detection.detect import detect_commit, parse_signal_table
from ghapp.core.facts import Commit, Person
from ghapp.core.policy.load import Policy, load_policy
from ghapp.resources import ai_signals_text
from tests.paths import ROOT

DEFAULT = (ROOT / "policies" / "default.yml").read_text(encoding="utf-8")
EVERYTHING = "floor: [mode, ai, gates, approvals, overrides]\n"


def _load(org: str, repo: str) -> Policy:
    result = load_policy([("default.yml", DEFAULT), ("org.yml", org), ("repo.yml", repo)], org_layers=2)
    assert result.policy is not None, [str(i) for i in result.issues]
    return result.policy


def _category(policy: Policy, name: str) -> object:
    return next(rule for rule in policy.approvals if rule.category == name)


CASES: list[tuple[str, str, str, Callable[[Policy], object], object, list[str]]] = [
    (
        "without a floor a repository relaxes freely",
        "mode: enforce\n",
        "mode: report\n",
        lambda p: p.mode,
        "report",
        [],
    ),
    (
        "mode: report stays enforce",
        "floor: [mode]\n",
        "mode: report\n",
        lambda p: p.mode,
        "enforce",
        ["repo.yml:1:7: mode: report is less strict than the org's enforce; the org's floor keeps enforce"],
    ),
    (
        "a gate's own report mode",
        "floor: [mode]\n",
        "gates:\n  lint:\n    mode: report\n",
        lambda p: p.gate_mode(Gate.LINT),
        "enforce",
        [
            "repo.yml:3:11: gates.lint.mode: report mode is less strict than the org's enforce; the org's floor keeps "
            "enforce"
        ],
    ),
    ("tightening is allowed", "floor: [mode]\nmode: report\n", "mode: enforce\n", lambda p: p.mode, "enforce", []),
    (
        "a report org lets a gate report",
        "floor: [mode]\nmode: report\n",
        "gates:\n  lint:\n    mode: report\n",
        lambda p: p.gate_mode(Gate.LINT),
        "report",
        [],
    ),
    ("mode removed falls back to enforce anyway", "floor: [mode]\n", "mode: null\n", lambda p: p.mode, "enforce", []),
    (
        "a security scan narrowed to AI PRs",
        "floor: [gates]\n",
        "gates:\n  semgrep:\n    applies_to: ai\n",
        lambda p: p.gate(Gate.SEMGREP).applies_to,
        "all",
        ["repo.yml:3:17: gates.semgrep.applies_to: ai is less strict than the org's all; the org's floor keeps all"],
    ),
    (
        "a gate disabled",
        "floor: [gates]\n",
        "gates:\n  types:\n    enabled: false\n",
        lambda p: p.gate(Gate.TYPES).enabled,
        True,
        ["repo.yml:3:14: gates.types.enabled: false is less strict than the org's true; the org's floor keeps true"],
    ),
    (
        "block_on raised",
        "floor: [gates]\ngates:\n  lint:\n    block_on: warning\n",
        "gates:\n  lint:\n    block_on: error\n",
        lambda p: p.gate(Gate.LINT).block_on,
        "warning",
        [
            "repo.yml:3:15: gates.lint.block_on: error is less strict than the org's warning; the org's floor keeps "
            "warning"
        ],
    ),
    (
        "block_on lowered is tighter",
        "floor: [gates]\n",
        "gates:\n  lint:\n    block_on: note\n",
        lambda p: p.gate(Gate.LINT).block_on,
        "note",
        [],
    ),
    (
        "ignores added",
        "floor: [gates]\ngates:\n  semgrep:\n    ignore: [r1]\n",
        "gates:\n  semgrep:\n    ignore: [r1, r2]\n",
        lambda p: p.gate(Gate.SEMGREP).ignore,
        ("r1",),
        ["repo.yml:3:13: gates.semgrep.ignore: adds r2, which the org does not allow; the org's floor keeps [r1]"],
    ),
    (
        "ignores removed is tighter",
        "floor: [gates]\ngates:\n  semgrep:\n    ignore: [r1]\n",
        "gates:\n  semgrep:\n    ignore: []\n",
        lambda p: p.gate(Gate.SEMGREP).ignore,
        (),
        [],
    ),
    (
        "lint rules dropped",
        "floor: [gates]\n",
        "gates:\n  lint:\n    rules: [E, F]\n",
        lambda p: p.gate(Gate.LINT).rules,
        ("E", "F", "W", "B", "S", "UP"),
        [
            "repo.yml:3:12: gates.lint.rules: drops W, B, S, UP, which the org requires; the org's floor keeps "
            "[E, F, W, B, S, UP]"
        ],
    ),
    (
        "every gate removed at once",
        "floor: [gates]\n",
        "gates: null\n",
        lambda p: (p.gate(Gate.SEMGREP).applies_to, p.gate(Gate.LINT).rules),
        ("all", ("E", "F", "W", "B", "S", "UP")),
        [
            "repo.yml:1:1: gates.lint.rules: drops E, F, W, B, S, UP, which the org requires; the org's floor keeps "
            "[E, F, W, B, S, UP]",
            "repo.yml:1:1: gates.semgrep.applies_to: ai is less strict than the org's all; the org's floor keeps all",
            "repo.yml:1:1: gates.dependency_audit.applies_to: ai is less strict than the org's all; the org's floor "
            "keeps "
            "all",
        ],
    ),
    (
        "report mode under a floor of approvals keeps the approvals check enforcing",
        "floor: [approvals]\n",
        "mode: report\n",
        lambda p: p.gate_mode(Gate.APPROVALS),
        "enforce",
        ["repo.yml:1:7: mode: report would leave the approvals check neutral; the org's floor keeps enforce"],
    ),
    (
        "report mode under a floor of ai keeps the provenance check enforcing",
        "floor: [ai]\n",
        "mode: report\n",
        lambda p: p.gate_mode(Gate.PROVENANCE),
        "enforce",
        ["repo.yml:1:7: mode: report would leave the provenance check neutral; the org's floor keeps enforce"],
    ),
    (
        "report mode under every floor but mode: the gates keep theirs, approvals and provenance too",
        "floor: [ai, gates, approvals, overrides]\n",
        "mode: report\n",
        lambda p: (p.gate_mode(Gate.LINT), p.gate_mode(Gate.APPROVALS), p.gate_mode(Gate.PROVENANCE)),
        ("enforce", "enforce", "enforce"),
        [  # each refusal at the line that relaxed it: the repository's `mode`
            *(
                f"repo.yml:1:7: gates.{gate}.mode: report mode is less strict than the org's enforce; "
                "the org's floor keeps enforce"
                for gate in ("lint", "types", "semgrep", "dependency_audit")
            ),
            "repo.yml:1:7: mode: report would leave the approvals and provenance check neutral; "
            "the org's floor keeps enforce",
        ],
    ),
    (
        "an org in report mode leaves a repository in report mode under a floor of approvals",
        "mode: report\nfloor: [approvals]\n",
        "mode: report\n",
        lambda p: p.gate_mode(Gate.APPROVALS),
        "report",
        [],
    ),
    (
        "a category removed",
        "floor: [approvals]\n",
        "approvals:\n  billing: null\n",
        lambda p: [r.category for r in p.approvals],
        ["auth", "billing", "ci", "governance", "secrets"],
        ["repo.yml:2:3: approvals.billing: the org's floor keeps this category; a repository cannot remove it"],
    ),
    (
        "every category removed",
        "floor: [approvals]\n",
        "approvals: null\n",
        lambda p: len(p.approvals),
        5,
        [
            f"repo.yml:1:1: approvals.{name}: the org's floor keeps this category; a repository cannot remove it"
            for name in ("auth", "billing", "ci", "governance", "secrets")
        ],
    ),
    (
        "a count lowered",
        "floor: [approvals]\napprovals:\n  billing:\n    count: 2\n",
        "approvals:\n  billing:\n    count: 1\n",
        lambda p: _category(p, "billing").count,
        2,  # type: ignore[attr-defined]
        ["repo.yml:3:12: approvals.billing.count: 1 is fewer approvals than the org's 2; the org's floor keeps 2"],
    ),
    (
        "an owner dropped",
        "floor: [approvals]\napprovals:\n  billing:\n    owners: ['@acme/billing', '@cfo']\n",
        "approvals:\n  billing:\n    owners: ['@acme/payments']\n",
        lambda p: (_category(p, "billing").users, _category(p, "billing").teams),  # type: ignore[attr-defined]
        (("cfo",), ("acme/payments", "acme/billing")),
        [
            "repo.yml:3:13: approvals.billing.owners: drops @acme/billing, @cfo, which the org requires; the org's "
            "floor "
            "keeps [@acme/payments, @acme/billing, @cfo]"
        ],
    ),
    (
        "paths narrowed",
        "floor: [approvals]\n",
        "approvals:\n  secrets:\n    paths: [nothing/]\n",
        lambda p: "*.pem" in _category(p, "secrets").patterns,
        True,
        None,
    ),  # type: ignore[attr-defined]
    (
        "a veto switched off and pushers allowed",
        "floor: [approvals]\n",
        "approvals:\n  auth:\n    veto: false\n    allow_pushers: true\n    applies_to: ai\n",
        lambda p: (
            _category(p, "auth").veto,
            _category(p, "auth").allow_pushers,  # type: ignore[attr-defined]
            _category(p, "auth").applies_to,
        ),
        (True, False, "all"),  # type: ignore[attr-defined]
        [
            "repo.yml:5:17: approvals.auth.applies_to: ai is less strict than the org's all; the org's floor keeps all",
            "repo.yml:3:11: approvals.auth.veto: false is less strict than the org's true; the org's floor keeps true",
            "repo.yml:4:20: approvals.auth.allow_pushers: true is less strict than the org's false; the org's floor "
            "keeps "
            "false",
        ],
    ),
    (
        "a category of the repository's own",
        "floor: [approvals]\n",
        "approvals:\n  infra:\n    paths: [terraform/]\n    owners: ['@ops']\n",
        lambda p: len(p.approvals),
        6,
        [],
    ),
    (
        "an owner added is allowed",
        "floor: [approvals]\napprovals:\n  billing:\n    owners: ['@cfo']\n",
        "approvals:\n  billing:\n    owners: ['@cfo', '@lead']\n",
        lambda p: _category(p, "billing").users,
        ("cfo", "lead"),
        [],
    ),  # type: ignore[attr-defined]
    (
        "AI verdicts narrowed",
        "floor: [ai]\n",
        "ai:\n  treat_as_ai: [ai]\n  require_prompt: false\n",
        lambda p: (p.ai.treat_as_ai, p.ai.require_prompt),
        (("ai", "suspected", "contradictory"), True),
        [
            "repo.yml:3:19: ai.require_prompt: false is less strict than the org's true; the org's floor keeps true",
            "repo.yml:2:16: ai.treat_as_ai: drops suspected, contradictory, which the org requires; the org's floor "
            "keeps "
            "[ai, suspected, contradictory]",
        ],
    ),
    (
        "an override team of the repository's own",
        "floor: [overrides]\n",
        "overrides:\n  team: '@acme/friends'\n",
        lambda p: p.overrides.team,
        None,
        [
            "repo.yml:2:9: overrides.team: @acme/friends would let a team the org did not name override checks; the "
            "org's floor keeps nobody"
        ],
    ),
    (
        "another override team",
        "floor: [overrides]\noverrides:\n  team: '@acme/leads'\n",
        "overrides:\n  team: '@acme/friends'\n  gates: [lint, approvals]\n",
        lambda p: (p.overrides.team, [g.value for g in p.overrides.gates]),
        ("acme/leads", ["lint"]),
        [
            "repo.yml:2:9: overrides.team: @acme/friends is not the org's override team; the org's floor keeps "
            "@acme/leads",
            "repo.yml:3:10: overrides.gates: adds approvals, which the org does not allow; the org's floor keeps "
            "[lint]",
        ],
    ),
    (
        "the org's own team again",
        "floor: [overrides]\noverrides:\n  team: '@acme/leads'\n",
        "overrides:\n  team: '@acme/leads'\n",
        lambda p: p.overrides.team,
        "acme/leads",
        [],
    ),
    (
        "a floor on nothing the repository touches",
        EVERYTHING,
        "direct_push:\n  open_issue: true\n",
        lambda p: p.direct_push.open_issue,
        True,
        [],
    ),
]


@pytest.mark.parametrize(("name", "org", "repo", "read", "value", "refused"), CASES, ids=[c[0] for c in CASES])
def test_the_floor(
    name: str, org: str, repo: str, read: Callable[[Policy], object], value: object, refused: list[str] | None
) -> None:
    policy = _load(org, repo)
    assert read(policy) == value
    if refused is not None:
        assert [str(issue) for issue in policy.refused] == refused


def test_dismiss_stale_is_read_beside_the_categories_and_the_floor_leaves_it_to_the_repository() -> None:
    assert Policy().dismiss_stale is False
    org = EVERYTHING + "approvals:\n  dismiss_stale: true\n"
    policy = _load(org, "")
    assert policy.dismiss_stale is True and "dismiss_stale" not in {rule.category for rule in policy.approvals}
    relaxed = _load(org, "approvals:\n  dismiss_stale: false\n")
    assert relaxed.dismiss_stale is False and relaxed.refused == ()  # GitHub's UI, not a rule: no floor


def test_a_repository_cannot_set_a_floor() -> None:
    result = load_policy([("default.yml", DEFAULT), ("org.yml", ""), ("repo.yml", "floor: [mode]\n")], org_layers=2)
    assert [str(i) for i in result.issues] == [
        "repo.yml:1:1: floor: only the org's policy (its `.github` repository) can set a floor; a repository's "
        "policy may only tighten it"
    ]


def test_without_an_org_boundary_the_floor_binds_nothing() -> None:
    result = load_policy([("default.yml", DEFAULT), ("org.yml", "floor: [mode]\nmode: report\n")])
    assert result.policy is not None and result.policy.mode == "report" and result.policy.refused == ()


def test_a_relaxation_in_a_file_the_repository_extends_is_placed_there() -> None:
    layers = [
        ("default.yml", DEFAULT),
        ("org.yml", "floor: [gates]\n"),
        ("acme/base:policy.yml", "gates:\n  semgrep: null\n"),
        ("repo.yml", "mode: enforce\n"),
    ]
    result = load_policy(layers, org_layers=2)
    assert result.policy is not None
    assert [str(i) for i in result.policy.refused] == [
        "acme/base:policy.yml:2:3: gates.semgrep.applies_to: ai is less strict than the org's all; the org's floor "
        "keeps all"
    ]


def test_every_value_names_the_layer_that_set_it() -> None:
    result = load_policy(
        [
            ("default.yml", DEFAULT),
            ("org.yml", "floor: [mode]\nmode: enforce\n"),
            ("repo.yml", "mode: report\ngates:\n  lint:\n    rules: [E]\n"),
        ],
        org_layers=2,
    )
    origins = {key: (value, layer) for key, value, layer in result.origins()}
    assert origins["mode"] == ("enforce", "org.yml:2")  # kept by the floor: the org's line
    assert origins["gates.lint.rules"] == (["E"], "repo.yml:4")
    assert origins["floor"] == (["mode"], "org.yml:1")
    types_enabled = DEFAULT.splitlines().index("  types:") + 2  # the line after `types:`
    assert origins["gates.types.enabled"] == (True, f"default.yml:{types_enabled}")
    assert load_policy([("bad.yml", "mode: x\n")]).origins() == []  # nothing was built


@pytest.mark.parametrize(
    ("org", "repo", "read", "value", "refused"),
    [
        (
            "",
            "gates:\n  semgrep:\n    branches: [main]\n",
            lambda p: p.gate(Gate.SEMGREP).branches,
            (),
            [
                "repo.yml:3:15: gates.semgrep.branches: limits to [main] what the org governs on every branch; the "
                "org's "
                "floor keeps every branch"
            ],
        ),
        (
            "gates:\n  semgrep:\n    branches: [main, 'release/*']\n",
            "gates:\n  semgrep:\n    branches: [main]\n",
            lambda p: p.gate(Gate.SEMGREP).branches,
            ("main", "release/*"),
            [
                "repo.yml:3:15: gates.semgrep.branches: drops release/*, which the org requires; the org's floor keeps "
                "[main, release/*]"
            ],
        ),
        (
            "gates:\n  semgrep:\n    branches: [main]\n",
            "gates:\n  semgrep:\n    branches: null\n",
            lambda p: p.gate(Gate.SEMGREP).branches,
            (),
            [],
        ),  # every branch is wider
        (
            "",
            "approvals:\n  billing:\n    branches: [main]\n    exclude: [billing/tests/]\n",
            lambda p: (_category(p, "billing").branches, _category(p, "billing").exclude),  # type: ignore[attr-defined]
            ((), ()),
            [
                "repo.yml:4:14: approvals.billing.exclude: adds billing/tests/, which the org does not allow; the "
                "org's "
                "floor keeps []",
                "repo.yml:3:15: approvals.billing.branches: limits to [main] what the org governs on every branch; the "
                "org's floor keeps every branch",
            ],
        ),
    ],
)
def test_the_floor_keeps_the_scope(
    org: str, repo: str, read: Callable[[Policy], object], value: object, refused: list[str]
) -> None:
    policy = _load("floor: [gates, approvals]\n" + org, repo)
    assert read(policy) == value
    assert [str(issue) for issue in policy.refused] == refused


CLAUDE_COMMIT = Commit(
    "abc1234def",
    "Fix the retry loop\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
    Person("Jane Dev", "jane@example.com", "janedev"),
)


@pytest.mark.parametrize(
    "repo",
    [
        # Anthropic's address declared automation that is not AI
        "ai:\n  signals:\n    non_ai:\n      emails: [noreply@anthropic.com]\n",
        # the bundled signal redefined, by its id, as weak
        "ai:\n  signals:\n    identities:\n      - {id: claude-code-email, family: identity, confidence: weak, "
        "tool: claude, emails: [noreply@anthropic.com]}\n",
    ],
)
def test_under_a_floor_of_ai_a_repository_cannot_change_the_ai_signals(repo: str) -> None:
    def load(org: str) -> Policy:
        layers = [("default.yml", DEFAULT), ("org.yml", org), ("repo.yml", repo)]
        result = load_policy(layers, org_layers=2, signals=parse_signal_table(ai_signals_text()))
        assert result.policy is not None, [str(i) for i in result.issues]
        return result.policy

    def verdict(policy: Policy) -> str:
        assert policy.signals is not None
        return detect_commit(policy.signals, CLAUDE_COMMIT).verdict

    assert verdict(load("mode: enforce\n")) == "human"  # without the floor the repository's table holds
    floored = load("floor: [ai]\n")
    assert verdict(floored) == "ai"
    assert [str(issue) for issue in floored.refused] == [
        "repo.yml:2:3: ai.signals: a repository cannot change the AI signals; the org's floor keeps the org's"
    ]


ORG_SIGNALS = (
    "floor: [ai]\nai:\n  signals:\n    markers:\n      - {id: acme-agent-footer, family: marker, "
    "confidence: strong, tool: claude, in: [commit_message], pattern: 'Made by the Acme agent'}\n"
)


@pytest.mark.parametrize(
    ("org", "commit_message"),
    [
        (ORG_SIGNALS, "Fix\n\nMade by the Acme agent\n"),  # the org's own signal is put back
        ("floor: [ai]\n", "Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n"),  # the bundled table stands
    ],
)
def test_under_a_floor_of_ai_a_repository_cannot_remove_the_ai_signals(org: str, commit_message: str) -> None:
    result = load_policy(
        [("default.yml", DEFAULT), ("org.yml", org), ("repo.yml", "ai:\n  signals: null\n")],
        org_layers=2,
        signals=parse_signal_table(ai_signals_text()),
    )
    policy = result.policy
    assert policy is not None and policy.signals is not None
    commit = Commit("abc1234def", commit_message, Person("Jane Dev", "jane@example.com", "janedev"))
    assert detect_commit(policy.signals, commit).verdict == "ai"
    assert [str(issue) for issue in policy.refused] == [
        "repo.yml:2:3: ai.signals: a repository cannot change the AI signals; the org's floor keeps the org's"
    ]
