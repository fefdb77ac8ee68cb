"""The policy file `.github/prompt-to-pr.yml`: read each layer strictly, merge the layers, build the Policy.

Layers go base first: the bundled default, the org's `<org>/.github` file, the files named by `_extends`,
the repository's own file last. They merge deep: mappings merge key by key, lists and scalars from the
later layer replace the earlier one, and a key set to `null` removes the key. Every problem becomes a
`PolicyIssue` naming file, line and column; a policy with any issue is not built, so a broken policy never
half-applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ghapp.core.detection.signals import SignalTable
from ghapp.core.policy.build import TreeReader
from ghapp.core.policy.floor import apply_floor
from ghapp.core.policy.located_yaml import Mark, Node, PolicyError, PolicyIssue, read_yaml
from ghapp.core.policy.model import (
    AISettings,
    DirectPushSettings,
    GateSettings,
    OverrideSettings,
    Policy,
)
from ghapp.core.policy.schema_check import key_path, schema_issues

POLICY_PATH = ".github/prompt-to-pr.yml"  # in each repository, and in the org's `.github` repository

__all__ = [
    "AISettings",
    "DirectPushSettings",
    "GateSettings",
    "Layer",
    "OverrideSettings",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "PolicyResult",
    "build_policy",
    "load_policy",
    "merge",
    "parse_layer",
]


@dataclass(frozen=True)
class Layer:
    """One policy file, read and checked on its own. `root` is None when the file could not be read."""

    source: str
    root: Node | None
    extends: str | None = None
    extends_mark: Mark | None = None
    issues: tuple[PolicyIssue, ...] = ()

    @property
    def data(self) -> dict[str, Any]:
        """The layer as plain data, without `_extends`."""
        return self.root.plain() if self.root is not None else {}


@dataclass(frozen=True)
class PolicyResult:
    """The built policy, or None with the issues that stopped it; `tree` is the merged tree it was read from."""

    policy: Policy | None
    issues: tuple[PolicyIssue, ...] = ()
    tree: Node | None = None

    def origins(self) -> list[tuple[str, Any, str]]:
        """(key path, value, `FILE:LINE` of the layer that set it) for every value of the merged policy; a
        value the org's floor kept names the org-level layer."""
        found: list[tuple[str, Any, str]] = []

        def walk(node: Node, path: tuple[str, ...]) -> None:
            if isinstance(node.value, dict):
                for key, child in sorted(node.value.items()):
                    walk(child, (*path, key))
            else:
                found.append((key_path(path), node.plain(), f"{node.mark.source}:{node.mark.line}"))

        if self.tree is not None:
            walk(self.tree, ())
        return found

    @property
    def ok(self) -> bool:
        return self.policy is not None


def parse_layer(text: str, source: str) -> Layer:
    """Read one policy file (`source` names it in issues): YAML with positions, then the schema."""
    tree, issues = read_yaml(text, source)
    if tree is None:
        return Layer(source, None, issues=issues)
    issues += tuple(schema_issues(tree))
    extends_node = tree.get("_extends")
    entries = {key: node for key, node in tree.value.items() if key != "_extends"}
    root = Node(entries, tree.mark)
    if extends_node is None or not isinstance(extends_node.value, str) or issues:
        return Layer(source, root, issues=issues)
    return Layer(source, root, extends_node.value, extends_node.mark, issues)


def build_policy(
    layers: Sequence[Layer], *, signals: SignalTable | None = None, org_layers: int | None = None
) -> PolicyResult:
    """Merge `layers` (base first) and build the Policy; any layer's issues stop it.

    `signals` is the bundled AI signal table; the policy's `ai.signals` entries extend it. `org_layers` says
    how many of the first layers are the org's (the bundled default, the org file and its `_extends`): the
    org's `floor:` then holds against the rest, the repository's, which cannot set a floor themselves.
    """
    issues = tuple(issue for layer in layers for issue in layer.issues)
    split = len(layers) if org_layers is None else org_layers
    issues += tuple(
        _misplaced_floor(node)
        for layer in layers[split:]
        if layer.root is not None and (node := layer.root.get("floor")) is not None
    )
    if issues:
        return PolicyResult(None, issues)
    tree = Node({}, Mark("(no policy)", 1, 1))
    roots = [layer.root for layer in layers if layer.root is not None]  # a layer without a tree has issues
    for root in roots[:split]:
        tree = merge(tree, root)
    org = tree
    for root in roots[split:]:
        tree = merge(tree, root)
    tree, refused = apply_floor(org, tree, roots[split:])
    reader = TreeReader(tree, signals)
    policy = replace(reader.policy(), refused=refused)
    if reader.issues:
        return PolicyResult(None, tuple(sorted(reader.issues, key=_order)))
    return PolicyResult(policy, tree=tree)


def load_policy(
    texts: Sequence[tuple[str, str]], *, signals: SignalTable | None = None, org_layers: int | None = None
) -> PolicyResult:
    """`build_policy` over `[(source, text), ...]`, base first."""
    return build_policy([parse_layer(text, source) for source, text in texts], signals=signals, org_layers=org_layers)


def merge(base: Node, over: Node) -> Node:
    """`over` laid on `base`: mappings merge recursively, anything else from `over` replaces, null removes."""
    if not (isinstance(base.value, dict) and isinstance(over.value, dict)):
        return without_nulls(over)
    merged = dict(base.value)
    for key, child in over.value.items():
        if child.value is None:
            merged.pop(key, None)
        elif key in merged:
            merged[key] = merge(merged[key], child)
        else:
            merged[key] = without_nulls(child)
    return Node(merged, over.mark, over.key_mark)


def without_nulls(node: Node) -> Node:
    """`node` with every mapping key set to null left out (null means "remove", even with nothing below)."""
    if not isinstance(node.value, dict):
        return node
    kept = {key: without_nulls(child) for key, child in node.value.items() if child.value is not None}
    return Node(kept, node.mark, node.key_mark)


def _misplaced_floor(node: Node) -> PolicyIssue:
    return (node.key_mark or node.mark).issue(
        "floor: only the org's policy (its `.github` repository) can set a "
        "floor; a repository's policy may only tighten it"
    )


def _order(issue: PolicyIssue) -> tuple[str, int, int]:
    return issue.file, issue.line, issue.column
