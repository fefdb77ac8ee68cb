"""The AI signal table as typed values: read strictly from a mapping (policies/ai-signals.yml), extendable."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from ghapp.core.decisions import Confidence
from ghapp.core.detection import signal_fields as f
from ghapp.core.detection.signal_fields import Path, SignalTableError

__all__ = [
    "FAMILIES",
    "BranchRule",
    "CheckboxRule",
    "CoauthorNameRule",
    "DisclosureRule",
    "IdentityRule",
    "LabelRule",
    "MarkerRule",
    "NonAi",
    "Rule",
    "SignalTable",
    "SignalTableError",
    "StatementRule",
    "TrailerRule",
]

# Families from the strongest evidence of which tool was used to the weakest; the order ranks `tools`.
FAMILIES = (
    "identity",
    "coauthor",
    "session",
    "trailer",
    "disclosure",
    "branch",
    "marker",
    "label",
    "title",
    "attestation",
)
_NEVER = re.compile(r"(?!)")


@dataclass(frozen=True)
class Rule:
    """What every signal entry has."""

    id: str
    family: str
    confidence: Confidence
    tool: str | None = None


@dataclass(frozen=True)
class IdentityRule(Rule):
    """An AI tool's account or git identity (logins lower-case, `x[bot]` as GitHub's REST API spells it)."""

    logins: frozenset[str] = frozenset()
    bot_only: bool = False
    github_ids: frozenset[int] = frozenset()
    emails: frozenset[str] = frozenset()
    names: tuple[re.Pattern[str], ...] = ()
    bot_patterns: tuple[re.Pattern[str], ...] = ()  # on the login of any Bot account no other entry names


@dataclass(frozen=True)
class CoauthorNameRule(Rule):
    pattern: re.Pattern[str] = _NEVER
    any_email: bool = False


@dataclass(frozen=True)
class TrailerRule(Rule):
    key: re.Pattern[str] = _NEVER
    value: re.Pattern[str] = _NEVER


@dataclass(frozen=True)
class MarkerRule(Rule):
    pattern: re.Pattern[str] = _NEVER
    scopes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StatementRule(Rule):
    """A sentence saying how the change was made; the `tool` group, if any, must name a tool or say AI."""

    pattern: re.Pattern[str] = _NEVER
    scopes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BranchRule(Rule):
    pattern: re.Pattern[str] = _NEVER


@dataclass(frozen=True)
class LabelRule(Rule):
    names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DisclosureRule(Rule):
    key: re.Pattern[str] = _NEVER
    unnamed_confidence: Confidence = "medium"
    ignore_values: re.Pattern[str] | None = None


@dataclass(frozen=True)
class CheckboxRule(Rule):
    pattern: re.Pattern[str] = _NEVER
    under_heading: bool = True


@dataclass(frozen=True)
class NonAi:
    """Automation that is never AI: logins (lower-case), noreply account ids, emails, (key, value) trailers."""

    logins: frozenset[str] = frozenset()
    github_ids: frozenset[int] = frozenset()
    emails: frozenset[str] = frozenset()
    trailers: frozenset[tuple[str, str]] = frozenset()


R = TypeVar("R", bound=Rule)
Vocabulary = tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]


@dataclass(frozen=True)
class SignalTable:
    """Every signal the detector knows, regexes compiled once. Build it with `from_mapping`."""

    non_ai: NonAi = NonAi()
    machine_emails: tuple[re.Pattern[str], ...] = ()
    tool_names: Vocabulary = ()
    ai_words: tuple[re.Pattern[str], ...] = ()
    checkbox_headings: tuple[re.Pattern[str], ...] = ()
    negations: tuple[re.Pattern[str], ...] = ()
    not_authorship: tuple[re.Pattern[str], ...] = ()
    identities: tuple[IdentityRule, ...] = ()
    coauthor_names: tuple[CoauthorNameRule, ...] = ()
    trailers: tuple[TrailerRule, ...] = ()
    markers: tuple[MarkerRule, ...] = ()
    branches: tuple[BranchRule, ...] = ()
    labels: tuple[LabelRule, ...] = ()
    disclosures: tuple[DisclosureRule, ...] = ()
    checkboxes: tuple[CheckboxRule, ...] = ()
    statements: tuple[StatementRule, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SignalTable:
        """Validate `data` strictly; raise SignalTableError with the key path of the first problem."""
        top = f.mapping(data, (), _TOP)
        if "version" in top and (isinstance(top["version"], bool) or top["version"] != 1):
            f.fail(("version",), "only version 1 exists")
        seen: dict[str, str] = {}
        sections: dict[str, tuple[Any, ...]] = {}
        for name in _SPECS:
            sections[name] = f.each(_rule_reader(name))(top.get(name, []), (name,))
            for index, rule in enumerate(sections[name]):
                if rule.id in seen:
                    f.fail((name, index, "id"), f"duplicate id {rule.id!r} (also in {seen[rule.id]})")
                seen[rule.id] = name
        patterns = f.each(f.regex)
        return cls(
            non_ai=_non_ai(top.get("non_ai", {}), ("non_ai",)),
            machine_emails=patterns(top.get("machine_emails", []), ("machine_emails",)),
            tool_names=_tool_names(top.get("tool_names", {}), ("tool_names",)),
            ai_words=patterns(top.get("ai_words", []), ("ai_words",)),
            checkbox_headings=patterns(top.get("checkbox_headings", []), ("checkbox_headings",)),
            negations=patterns(top.get("negations", []), ("negations",)),
            not_authorship=patterns(top.get("not_authorship", []), ("not_authorship",)),
            **sections,
        )

    def extended(self, other: SignalTable) -> SignalTable:
        """This table plus `other` (an org's additions): an entry with an existing id replaces it in place."""
        own = {rule.id: name for name in _SPECS for rule in getattr(self, name)}
        for name in _SPECS:
            for index, rule in enumerate(getattr(other, name)):
                if own.get(rule.id, name) != name:
                    f.fail((name, index, "id"), f"{rule.id!r} is already an entry of {own[rule.id]}")
        tools = dict(self.tool_names)
        for tool, found in other.tool_names:
            tools[tool] = tools.get(tool, ()) + found
        non_ai = NonAi(*(getattr(self.non_ai, k) | getattr(other.non_ai, k) for k in NonAi.__dataclass_fields__))
        return replace(
            self,
            non_ai=non_ai,
            machine_emails=self.machine_emails + other.machine_emails,
            tool_names=tuple(tools.items()),
            ai_words=self.ai_words + other.ai_words,
            checkbox_headings=self.checkbox_headings + other.checkbox_headings,
            negations=self.negations + other.negations,
            not_authorship=self.not_authorship + other.not_authorship,
            **{name: _merged(getattr(self, name), getattr(other, name)) for name in _SPECS},
        )

    def name_tool(self, text: str) -> tuple[str | None, bool]:
        """The tool `text` names (first in vocabulary order), and whether it names any AI tool at all."""
        for tool, found in self.tool_names:
            if any(p.search(text) for p in found):
                return tool, True
        return None, any(p.search(text) for p in self.ai_words)

    def is_authorship(self, text: str) -> bool:
        """Whether a statement's tool text can name who wrote the change (not a review bot or an API)."""
        return not any(p.search(text) for p in self.not_authorship)

    def is_machine_email(self, email: str) -> bool:
        return any(p.search(email) for p in self.machine_emails)


def _merged(base: Sequence[R], extra: Sequence[R]) -> tuple[R, ...]:
    replacing = {rule.id: rule for rule in extra}
    kept = [replacing.pop(rule.id, rule) for rule in base]
    return (*kept, *(rule for rule in extra if rule.id in replacing))


# ---- strict reading of the mapping -------------------------------------------------------------------

_CONFIDENCES = ("strong", "medium", "weak")
_SCOPES = ("commit_message", "pr_body", "pr_title")
_OTHER_FAMILIES = tuple(x for x in FAMILIES if x not in ("identity", "coauthor", "attestation"))
_TOOL = r"[a-z0-9][a-z0-9.-]*"
_COMMON: dict[str, f.Reader] = {
    "id": f.matching(r"[a-z0-9][a-z0-9._-]*", "lowercase letters, digits, '.', '_' or '-'"),
    "confidence": f.choice(_CONFIDENCES),
    "tool": lambda value, path: None if value is None else f.matching(_TOOL, "a lowercase tool name")(value, path),
}
# section -> (rule class, allowed families, field readers, required fields); YAML's `in` is the field `scopes`
_SPECS: dict[str, tuple[type[Rule], tuple[str, ...], dict[str, f.Reader], tuple[str, ...]]] = {
    "identities": (
        IdentityRule,
        ("identity",),
        {
            "logins": f.each_unique(f.lowered),
            "bot_only": f.flag,
            "github_ids": f.each_unique(f.github_id),
            "emails": f.each_unique(f.email),
            "names": f.each(f.regex),
            "bot_patterns": f.each(f.regex),
        },
        (),
    ),
    "coauthor_names": (CoauthorNameRule, ("coauthor",), {"pattern": f.regex, "any_email": f.flag}, ("pattern",)),
    "trailers": (TrailerRule, _OTHER_FAMILIES, {"key": f.regex, "value": f.regex}, ("key", "value")),
    "markers": (
        MarkerRule,
        _OTHER_FAMILIES,
        {"pattern": f.regex, "in": f.each_unique(f.choice(_SCOPES))},
        ("pattern", "in"),
    ),
    "branches": (BranchRule, _OTHER_FAMILIES, {"pattern": f.regex}, ("pattern",)),
    "labels": (LabelRule, _OTHER_FAMILIES, {"names": f.each_unique(f.lowered)}, ("names",)),
    "disclosures": (
        DisclosureRule,
        ("disclosure",),
        {"key": f.regex, "unnamed_confidence": f.choice(_CONFIDENCES), "ignore_values": f.regex},
        ("key",),
    ),
    "checkboxes": (
        CheckboxRule,
        ("disclosure", "attestation"),
        {"pattern": f.regex, "under_heading": f.flag},
        ("pattern",),
    ),
    "statements": (
        StatementRule,
        ("disclosure", "attestation"),
        {"pattern": f.regex, "in": f.each_unique(f.choice(_SCOPES))},
        ("pattern", "in"),
    ),
}
_TOP = (
    "version",
    "non_ai",
    "machine_emails",
    "tool_names",
    "ai_words",
    "checkbox_headings",
    "negations",
    "not_authorship",
    *_SPECS,
)
_IDENTITY_KEYS = ("logins", "github_ids", "emails", "names", "bot_patterns")


def _rule_reader(section: str) -> f.Reader:
    return lambda value, path: _rule(section, value, path)


def _rule(section: str, value: Any, path: Path) -> Rule:
    cls, families, fields, required = _SPECS[section]
    entry = f.mapping(
        value, path, ("id", "family", "confidence", "tool", *fields), ("id", "family", "confidence", *required)
    )
    kwargs = {key: read(entry.get(key), (*path, key)) for key, read in _COMMON.items()}
    kwargs["family"] = f.choice(families)(entry["family"], (*path, "family"))
    for key, read in fields.items():
        if key in entry:
            kwargs["scopes" if key == "in" else key] = read(entry[key], (*path, key))
    if section == "identities" and not any(kwargs.get(key) for key in _IDENTITY_KEYS):
        f.fail(path, f"an identity needs at least one of: {', '.join(_IDENTITY_KEYS)}")
    if section in ("markers", "statements") and not kwargs["scopes"]:
        f.fail((*path, "in"), f"must name at least one of: {', '.join(_SCOPES)}")
    return cls(**kwargs)


def _non_ai(value: Any, path: Path) -> NonAi:
    entry = f.mapping(value, path, ("logins", "github_ids", "emails", "trailers"))

    def trailer(item: Any, at: Path) -> tuple[str, str]:
        pair = f.mapping(item, at, ("key", "value"), ("key", "value"))
        return f.lowered(pair["key"], (*at, "key")), f.lowered(pair["value"], (*at, "value"))

    return NonAi(
        logins=f.each_unique(f.lowered)(entry.get("logins", []), (*path, "logins")),
        github_ids=f.each_unique(f.github_id)(entry.get("github_ids", []), (*path, "github_ids")),
        emails=f.each_unique(f.email)(entry.get("emails", []), (*path, "emails")),
        trailers=f.each_unique(trailer)(entry.get("trailers", []), (*path, "trailers")),
    )


def _tool_names(value: Any, path: Path) -> Vocabulary:
    if not isinstance(value, Mapping):
        f.fail(path, "must be a mapping of tool name to a list of patterns")
    name = f.matching(_TOOL, "a lowercase tool name")
    return tuple(
        (name(tool, (*path, str(tool))), f.each(f.regex)(found, (*path, str(tool)))) for tool, found in value.items()
    )
