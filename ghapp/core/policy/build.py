"""From the merged policy tree to a `Policy`, with the checks a schema cannot make (patterns, possible counts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ghapp.core.codeowners.patterns import PatternError, compile_pattern
from ghapp.core.decisions import Gate
from ghapp.core.detection.signals import SignalTable, SignalTableError
from ghapp.core.gates.approvals import ApprovalRule
from ghapp.core.policy.located_yaml import Node, PolicyIssue
from ghapp.core.policy.model import (
    GATE_KEYS,
    TOOL_GATES,
    AISettings,
    DirectPushSettings,
    GateSettings,
    LabelSettings,
    OverrideSettings,
    Policy,
)
from ghapp.core.policy.schema import DISMISS_STALE
from ghapp.core.policy.schema_check import key_path


@dataclass
class TreeReader:
    """Reads a merged, schema-valid tree into a Policy, collecting the issues it finds on the way."""

    root: Node
    base_signals: SignalTable | None = None
    issues: list[PolicyIssue] = field(default_factory=list)

    def policy(self) -> Policy:
        ai = self._section("ai")
        defaults = Policy()
        return Policy(
            mode=self.root.plain().get("mode", defaults.mode),
            ai=AISettings(
                treat_as_ai=tuple(ai.get("treat_as_ai", AISettings.treat_as_ai)),
                require_prompt=ai.get("require_prompt", AISettings.require_prompt),
                require_disclosure=ai.get("require_disclosure", AISettings.require_disclosure),
            ),
            gates=tuple(self._gate(gate) for gate in TOOL_GATES),
            approvals=tuple(
                self._category(name, node) for name, node in self._children("approvals") if name != DISMISS_STALE
            ),
            dismiss_stale=self._section("approvals").get(DISMISS_STALE) is True,
            overrides=self._overrides(),
            direct_push=self._direct_push(),
            labels=self._labels(),
            signals=self._signals(),
        )

    def _signals(self) -> SignalTable | None:
        """The caller's signal table extended by the policy's `ai.signals` entries."""
        ai = self.root.get("ai")
        extra = ai.get("signals") if ai is not None else None
        if extra is None:
            return self.base_signals
        try:
            table = SignalTable.from_mapping(extra.plain())
            return self.base_signals.extended(table) if self.base_signals is not None else table
        except SignalTableError as exc:
            where = key_path(("ai", "signals", *exc.path))
            self.issues.append(extra.find(tuple(exc.path)).mark.issue(f"{where}: {exc.message}"))
            return self.base_signals

    def _section(self, key: str) -> dict[str, Any]:
        node = self.root.get(key)
        return node.plain() if node is not None else {}

    def _children(self, key: str) -> list[tuple[str, Node]]:
        node = self.root.get(key)
        return sorted(node.value.items()) if node is not None else []

    def _gate(self, gate: Gate) -> GateSettings:
        data = self._section("gates").get(GATE_KEYS[gate], {})
        base = GateSettings(gate)
        return GateSettings(
            gate=gate,
            enabled=data.get("enabled", base.enabled),
            applies_to=data.get("applies_to", base.applies_to),
            mode=data.get("mode", base.mode),
            whole_file=data.get("whole_file", base.whole_file),
            block_on=data.get("block_on", base.block_on),
            rules=tuple(data.get("rules", base.rules)),
            ignore=tuple(data.get("ignore", base.ignore)),
            branches=tuple(data.get("branches", base.branches)),
            suggestions=data.get("suggestions", base.suggestions),
        )

    def _overrides(self) -> OverrideSettings:
        data = self._section("overrides")
        team = data.get("team")
        return OverrideSettings(
            team=_team(team) if team else None,
            gates=tuple(Gate(g) for g in data.get("gates", [g.value for g in OverrideSettings.gates])),
        )

    def _labels(self) -> LabelSettings:
        data = self._section("labels")
        base = LabelSettings()
        return LabelSettings(
            ai=data.get("ai", base.ai),
            suspected=data.get("suspected", base.suspected),
            tool_prefix=data.get("tool_prefix", base.tool_prefix),
        )

    def _direct_push(self) -> DirectPushSettings:
        data = self._section("direct_push")
        base = DirectPushSettings()
        return DirectPushSettings(
            enabled=data.get("enabled", base.enabled),
            default_branch=data.get("default_branch", base.default_branch),
            branches=tuple(data.get("branches", base.branches)),
            open_issue=data.get("open_issue", base.open_issue),
            mention=tuple(data.get("mention", base.mention)),
        )

    def _category(self, name: str, node: Node) -> ApprovalRule:
        data: dict[str, Any] = node.plain()
        where = key_path(("approvals", name))
        paths = self._patterns(node, where)
        exclude = self._exclude(node, where)
        owners = data.get("owners", [])
        users = tuple(owner[1:] for owner in owners if "/" not in owner)
        teams = tuple(_team(owner) for owner in owners if "/" in owner)
        rule = ApprovalRule(
            category=name,
            patterns=paths,
            exclude=exclude,
            branches=tuple(data.get("branches", ())),
            users=users,
            teams=teams,
            codeowners=data.get("codeowners", False),
            count=data.get("count", 1),
            all_of=tuple(_team(team) for team in data.get("all_of", [])),
            allow_author=data.get("allow_author", False),
            allow_commit_authors=data.get("allow_commit_authors", False),
            allow_bots=data.get("allow_bots", False),
            allow_co_authors=data.get("allow_co_authors", False),
            allow_launchers=data.get("allow_launchers", False),
            allow_pushers=data.get("allow_pushers", False),
            applies_to=data.get("applies_to", "ai"),
            stale_on_change=data.get("stale_on_change", True),
            veto=data.get("veto", False),
        )
        self._check_approvers(rule, node, where)
        return rule

    def _patterns(self, node: Node, where: str) -> tuple[str, ...]:
        paths = node.get("paths")
        if paths is None:
            self.issues.append(
                node.mark.issue(
                    f"{where} has no paths: list the CODEOWNERS-style patterns whose files belong to the category"
                )
            )
            return ()
        for index, item in enumerate(paths.value):
            try:
                compile_pattern(item.value)
            except PatternError as exc:
                self.issues.append(item.mark.issue(f"{where}.paths[{index}]: {item.value!r}: {exc}"))
        return tuple(item.value for item in paths.value)

    def _exclude(self, node: Node, where: str) -> tuple[str, ...]:
        exclude = node.get("exclude")
        for index, item in enumerate(exclude.value if exclude is not None else ()):
            try:
                compile_pattern(item.value)
            except PatternError as exc:
                self.issues.append(item.mark.issue(f"{where}.exclude[{index}]: {item.value!r}: {exc}"))
        return tuple(item.value for item in exclude.value) if exclude is not None else ()

    def _check_approvers(self, rule: ApprovalRule, node: Node, where: str) -> None:
        if not (rule.users or rule.teams or rule.codeowners or rule.all_of):
            self.issues.append(
                node.mark.issue(f"{where} names nobody who can approve: set owners, all_of or codeowners: true")
            )
        elif rule.count > len(rule.users) and not (rule.teams or rule.codeowners or rule.all_of):
            count_node = node.get("count") or node
            named = f"only {len(rule.users)} user{'s are' if len(rule.users) != 1 else ' is'} named"
            self.issues.append(
                count_node.mark.issue(
                    f"{where}.count is {rule.count} but {named} and no team or CODEOWNERS can add approvers"
                )
            )


def _team(owner: str) -> str:
    """`@Org/Team` -> `org/team`: GitHub team slugs and org logins compare case-insensitively."""
    return owner.removeprefix("@").lower()
