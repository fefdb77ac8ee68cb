"""The org floor: the values the org's policy enforces, which a repository's layers may only tighten.

The org file lists the sections it enforces in `floor:` (`mode`, `ai`, `gates`, `approvals`, `overrides`).
For those, the org-level value (the bundled default, the org file and its `_extends`) is a floor: a repository
layer that relaxes one keeps the org's value, and a refusal placed at the repository's line says so. What
counts as stricter, per key, is in the tables below; a key no layer sets has its built-in value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ghapp.core.policy.located_yaml import Mark, Node, PolicyIssue
from ghapp.core.policy.schema import DISMISS_STALE, FLOOR_SECTIONS, GATE_FIELDS
from ghapp.core.policy.schema_check import key_path

Path = tuple[str, ...]
# each scalar key's values, least strict first
_ORDER: dict[str, tuple[Any, ...]] = {
    "mode": ("report", "enforce"),
    "enabled": (False, True),
    "applies_to": ("ai", "all"),
    "block_on": ("error", "warning", "note"),
    "whole_file": (False, True),
    "require_prompt": (False, True),
    "require_disclosure": (False, True),
    "veto": (False, True),
    "stale_on_change": (False, True),
    "allow_author": (True, False),
    "allow_commit_authors": (True, False),
    "allow_bots": (True, False),
    "allow_co_authors": (True, False),
    "allow_launchers": (True, False),
    "allow_pushers": (True, False),
}
_BUILT_IN: dict[str, Any] = {
    "mode": "enforce",
    "enabled": True,
    "applies_to": "ai",
    "block_on": "error",
    "whole_file": False,
    "require_prompt": True,
    "require_disclosure": False,
    "veto": False,
    "stale_on_change": True,
    "count": 1,
    "allow_author": False,
    "allow_commit_authors": False,
    "allow_bots": False,
    "allow_co_authors": False,
    "allow_launchers": False,
    "allow_pushers": False,
}
_GATE_SCALARS = ("enabled", "applies_to", "block_on", "whole_file")
_CATEGORY_SCALARS = (
    "applies_to",
    "veto",
    "stale_on_change",
    "allow_author",
    "allow_commit_authors",
    "allow_bots",
    "allow_co_authors",
    "allow_launchers",
    "allow_pushers",
)
_KEEP_ALL = ("paths", "owners", "all_of")  # lists a repository may add to, never take from
_NO_MORE = ("ignore", "exclude")  # lists a repository may take from, never add to
_BUILT_IN_LISTS: dict[Path, tuple[Any, ...]] = {
    ("ai", "treat_as_ai"): ("ai", "suspected", "contradictory"),
    ("overrides", "gates"): ("provenance", "lint", "types", "semgrep", "dependency-audit"),
}


@dataclass
class _Floor:
    org: Node
    tree: Node
    repo: Sequence[Node]
    repo_sources: frozenset[str]
    refused: list[PolicyIssue] = field(default_factory=list)

    def run(self, sections: Sequence[str]) -> None:
        if "mode" in sections:
            self._scalar(("mode",))
        if "ai" in sections:
            self._scalar(("ai", "require_prompt"))
            self._scalar(("ai", "require_disclosure"))
            self._keep_all(("ai", "treat_as_ai"))
            self._signals()
        if "gates" in sections:
            for gate, fields in GATE_FIELDS.items():
                for name in (n for n in _GATE_SCALARS if n in fields):
                    self._scalar(("gates", gate, name))
                if "rules" in fields:
                    self._keep_all(("gates", gate, "rules"))
                self._no_more(("gates", gate, "ignore"))
                self._scope(("gates", gate, "branches"))
        if "mode" in sections or "gates" in sections:
            for gate in GATE_FIELDS:
                self._gate_mode(gate)
        # the approvals and provenance checks conclude in the policy's own mode (they have no `gates:` entry): an
        # org that floors what they enforce keeps them enforcing, or `mode: report` would leave them neutral
        floored = [name for name, section in (("approvals", "approvals"), ("provenance", "ai")) if section in sections]
        if floored and "mode" not in sections:
            self._mode_of(" and ".join(floored))
        if "approvals" in sections:
            categories = self.org.get("approvals")
            for name in sorted(categories.value) if categories is not None else []:
                if name != DISMISS_STALE:  # a setting of the GitHub UI, not a category: the floor leaves it
                    self._category(name)
        if "overrides" in sections:
            self._overrides()

    # --- values and where they are -------------------------------------------------------------------------
    def _value(self, root: Node, path: Path) -> Any:
        node = _at(root, path)
        if node is not None:
            return node.plain()
        return _BUILT_IN_LISTS.get(path, _BUILT_IN.get(path[-1]))

    def _refuse(self, path: Path, kept: Any, message: str, *, set_at: Path | None = None) -> None:
        """Put `kept` (the org's value) at `path` and place the refusal where a repository layer set it (or, when
        the relaxation came from another key, such as the policy's own `mode` for a gate's, at `set_at`)."""
        mark = self._mark(set_at or path)
        self.tree = _put(self.tree, path, _node(kept, self._org_mark(path)))
        self.refused.append(mark.issue(f"{key_path(path)}: {message}; the org's floor keeps {_shown(kept)}"))

    def _org_mark(self, path: Path) -> Mark:
        return self.org.find(path).mark

    def _mark(self, path: Path) -> Mark:
        """Where a repository layer relaxed `path`: its value there, or the `null` that removed it or a parent."""
        node = _at(self.tree, path)
        if node is not None and node.mark.source in self.repo_sources:
            return node.mark
        # otherwise a repository layer removed it, or a mapping above it, with `null`
        found = (
            node
            for root in reversed(self.repo)
            for depth in range(len(path), 0, -1)
            if (node := _at(root, path[:depth])) is not None and (node.value is None or depth == len(path))
        )
        place = next(found, None) or self.org.find(path)
        return place.key_mark or place.mark

    # --- the kinds of check ----------------------------------------------------------------------------------
    def _scalar(self, path: Path) -> None:
        order = _ORDER[path[-1]]
        org, now = self._value(self.org, path), self._value(self.tree, path)
        if org is not None and now in order and order.index(now) < order.index(org):
            self._refuse(path, org, f"{_shown(now)} is less strict than the org's {_shown(org)}")

    def _keep_all(self, path: Path) -> None:
        org = self._value(self.org, path)
        now = list(self._value(self.tree, path) or ())
        dropped = [item for item in org or () if item not in now]
        if dropped:
            self._refuse(path, [*now, *dropped], f"drops {', '.join(map(str, dropped))}, which the org requires")

    def _no_more(self, path: Path) -> None:
        org = list(self._value(self.org, path) or ())
        now = list(self._value(self.tree, path) or ())
        added = [item for item in now if item not in org]
        if added:
            self._refuse(
                path,
                [item for item in now if item in org],
                f"adds {', '.join(map(str, added))}, which the org does not allow",
            )

    def _scope(self, path: Path) -> None:
        """`branches:` narrows what is governed: unset (every branch) is the widest."""
        org, now = _plain(_at(self.org, path)), _plain(_at(self.tree, path))
        if now is not None and org is None:
            mark = self._mark(path)
            self.tree = _drop(self.tree, path)
            self.refused.append(
                mark.issue(
                    f"{key_path(path)}: limits to {_shown(now)} what the org governs on "
                    "every branch; the org's floor keeps every branch"
                )
            )
        elif now is not None:
            self._keep_all(path)

    def _gate_mode(self, gate: str) -> None:
        path = ("gates", gate, "mode")
        org, now = (_plain(_at(root, path)) or self._value(root, ("mode",)) for root in (self.org, self.tree))
        if org == "enforce" and now == "report":
            own = _plain(_at(self.tree, path)) is not None
            self._refuse(
                path, "enforce", "report mode is less strict than the org's enforce", set_at=None if own else ("mode",)
            )

    def _signals(self) -> None:
        """The AI signals stay the org's: a repository's `ai.signals` could redefine a signal as weak, or call an
        agent's address automation, and every verdict the org's `ai` settings rest on would follow."""
        path = ("ai", "signals")
        found = [node for root in self.repo if (node := _at(root, path)) is not None]
        if not found:
            return
        place = found[-1].key_mark or found[-1].mark
        if _at(self.org, path) is not None:
            self.tree = _put(self.tree, path, self.org.find(path))
        elif _at(self.tree, path) is not None:
            self.tree = _drop(self.tree, path)
        self.refused.append(
            place.issue("ai.signals: a repository cannot change the AI signals; the org's floor keeps the org's")
        )

    def _mode_of(self, checks: str) -> None:
        org, now = self._value(self.org, ("mode",)), self._value(self.tree, ("mode",))
        if org == "enforce" and now == "report":
            self._refuse(("mode",), "enforce", f"report would leave the {checks} check neutral")

    def _category(self, name: str) -> None:
        path = ("approvals", name)
        if _at(self.tree, path) is None:
            mark = self._mark(path)
            self.tree = _put(self.tree, path, self.org.find(path))
            self.refused.append(
                mark.issue(f"{key_path(path)}: the org's floor keeps this category; a repository cannot remove it")
            )
            return
        for key in _CATEGORY_SCALARS:
            self._scalar((*path, key))
        for key in _KEEP_ALL:
            self._keep_all((*path, key))
        for key in _NO_MORE:
            self._no_more((*path, key))
        self._scope((*path, "branches"))
        org_count, count = self._value(self.org, (*path, "count")), self._value(self.tree, (*path, "count"))
        if count < org_count:
            self._refuse((*path, "count"), org_count, f"{count} is fewer approvals than the org's {org_count}")

    def _overrides(self) -> None:
        org_team, team = self._value(self.org, ("overrides", "team")), self._value(self.tree, ("overrides", "team"))
        if team is not None and team != org_team:
            if org_team is None:
                mark = self._mark(("overrides", "team"))
                self.tree = _drop(self.tree, ("overrides", "team"))
                self.refused.append(
                    mark.issue(
                        f"overrides.team: {team} would let a team the org did not name override checks; "
                        "the org's floor keeps nobody"
                    )
                )
            else:
                self._refuse(("overrides", "team"), org_team, f"{team} is not the org's override team")
        self._no_more(("overrides", "gates"))


def floor_sections(org: Node) -> tuple[str, ...]:
    """The sections the org-level tree enforces (its `floor:` list)."""
    node = org.get("floor")
    return tuple(item for item in FLOOR_SECTIONS if node is not None and item in node.plain())


def apply_floor(org: Node, tree: Node, repo: Sequence[Node]) -> tuple[Node, tuple[PolicyIssue, ...]]:
    """`tree` (every layer merged) with each value the repository layers `repo` relaxed below the org-level
    tree `org` put back, and a refusal per value, placed where a repository layer set it."""
    sections = floor_sections(org)
    if not sections:
        return tree, ()
    floor = _Floor(org, tree, repo, frozenset(_sources(repo)))
    floor.run(sections)
    return floor.tree, tuple(floor.refused)


def _sources(roots: Sequence[Node]) -> set[str]:
    return {root.mark.source for root in roots}


def _at(root: Node, path: Path) -> Node | None:
    node: Node | None = root
    for step in path:
        node = node.get(step) if node is not None else None
    return node


def _plain(node: Node | None) -> Any:
    return node.plain() if node is not None else None


def _node(value: Any, mark: Mark) -> Node:
    """A scalar or a list of scalars as a tree at `mark` (a value the floor puts back)."""
    if isinstance(value, list | tuple):
        return Node(tuple(_node(v, mark) for v in value), mark)
    return Node(value, mark)


def _put(root: Node, path: Path, node: Node) -> Node:
    """`root` with `node` at `path`, creating the mappings on the way (they take `node`'s mark)."""
    head, *rest = path
    children = dict(root.value) if isinstance(root.value, dict) else {}
    below = children.get(head) or Node({}, node.mark, node.mark)
    children[head] = _put(below, tuple(rest), node) if rest else Node(node.value, node.mark, below.key_mark)
    return Node(children, root.mark, root.key_mark)


def _drop(root: Node, path: Path) -> Node:
    head, *rest = path
    children = dict(root.value)
    if rest:
        children[head] = _drop(children[head], tuple(rest))
    else:
        children.pop(head)
    return Node(children, root.mark, root.key_mark)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)
