"""The policy file's JSON Schema (draft 2020-12): what each layer may say. `policy/schema_check.py` checks a
layer against it.

`SCHEMA` is the one source of the file's shape; `policies/schema.json` is `published_schema()` written out
(a test keeps them equal). Every mapping key may also be `null`, which removes it when layers merge.
"""

from __future__ import annotations

import json
from typing import Any

# Probot's `_extends` grammar: [owner/]repo[:path.yml]; owner follows GitHub's login rules.
# Probot's `_extends` grammar, without `.`/`..` as a repository or path segment and without `/` at the start
# of a path or `//` in it: each would walk the contents URL to another GitHub API route.
EXTENDS_PATTERN = (
    r"^(?:([a-zA-Z\d](?:[a-zA-Z\d]|-(?=[a-zA-Z\d])){0,38})/)?(?!\.\.?(?::|$))([-_.\w\d]+)"
    r"(?::(?!/)(?![^:]*//)(?!(?:[^/]*/)*\.\.?/)([-_./\w\d]+\.ya?ml))?$"
)
_LOGIN = r"[A-Za-z\d](?:[A-Za-z\d]|-(?=[A-Za-z\d])){0,38}"
_TEAM = rf"@{_LOGIN}/[A-Za-z\d][A-Za-z\d_.-]*"
OWNER_PATTERN = rf"^(?:@{_LOGIN}|{_TEAM})$"
TEAM_PATTERN = rf"^{_TEAM}$"
_OWNER_MESSAGE = "must be a GitHub user (@login) or team (@org/team); emails are not accepted: reviews count by login"
_TEAM_MESSAGE = "must be a GitHub team written @org/team"

_MODE = {"type": "string", "enum": ["enforce", "report"]}
_APPLIES = {
    "type": "string",
    "enum": ["ai", "all"],
    "default": "ai",
    "description": "ai: only PRs judged AI-written; all: every PR",
}
_SEVERITY = {
    "type": "string",
    "enum": ["error", "warning", "note"],
    "default": "error",
    "description": "the least severe finding that blocks",
}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
_LABEL = {
    "type": "string",
    "minLength": 1,
    "maxLength": 50,
    "pattern": r"^\S(?:.*\S)?$",
    "errorMessage": "must be a label name: 1 to 50 characters, no space at either end",
}
_OWNERS = {
    "type": "array",
    "uniqueItems": True,
    "items": {"type": "string", "pattern": OWNER_PATTERN, "errorMessage": _OWNER_MESSAGE},
}
_TEAMS = {
    "type": "array",
    "uniqueItems": True,
    "items": {"type": "string", "pattern": TEAM_PATTERN, "errorMessage": _TEAM_MESSAGE},
}
_BRANCHES = {
    "type": "array",
    "uniqueItems": True,
    "minItems": 1,
    "description": "base branch names or fnmatch globs (`main`, `release/*`); unset: every branch",
    "items": {
        "type": "string",
        "pattern": r"^(?!refs/)(?!/)[^\s~^:\\]+$",
        "errorMessage": "must be a branch name or glob such as main or release/*, without refs/heads/ or spaces",
    },
}
_GATE_NAMES = ["provenance", "lint", "types", "semgrep", "dependency-audit", "approvals"]
DISMISS_STALE = "dismiss_stale"  # a setting under `approvals:`, beside the categories (so no category has its name)
FLOOR_SECTIONS = ("mode", "ai", "gates", "approvals", "overrides")  # what the org's `floor:` may enforce


def _gate(**extra: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "enabled": {"type": "boolean", "default": True},
        "applies_to": _APPLIES,
        "mode": {**_MODE, "description": "this gate's own mode; the top-level mode when unset"},
        "ignore": {**_STRINGS, "description": "rule or advisory ids whose findings never count"},
        "branches": _BRANCHES,
        **extra,
    }
    return {"type": "object", "additionalProperties": False, "properties": properties}


_WHOLE = {
    "whole_file": {
        "type": "boolean",
        "default": False,
        "description": "count findings anywhere in a changed file, not only on changed lines",
    },
    "block_on": _SEVERITY,
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:prompt-to-pr:policy",
    "title": "prompt-to-pr policy (.github/prompt-to-pr.yml)",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "_extends": {
            "type": "string",
            "pattern": EXTENDS_PATTERN,
            "errorMessage": "must be repo, owner/repo, repo:path.yml or owner/repo:path.yml",
            "description": "another policy file this one is laid over",
        },
        "mode": {
            **_MODE,
            "default": "enforce",
            "description": "report: every check is neutral and says what enforce would have done",
        },
        "floor": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "enum": list(FLOOR_SECTIONS)},
            "description": "org policy only: the sections a repository's policy may only tighten",
        },
        "ai": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "treat_as_ai": {
                    "type": "array",
                    "uniqueItems": True,
                    "minItems": 1,
                    "items": {"type": "string", "enum": ["ai", "suspected", "contradictory"]},
                    "default": ["ai", "suspected", "contradictory"],
                },
                "require_prompt": {"type": "boolean", "default": True},
                "require_disclosure": {
                    "type": "boolean",
                    "default": False,
                    "description": "every PR states whether and how AI was used",
                },
                "signals": {"type": "object", "description": "extra AI signal table entries"},
            },
        },
        "gates": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "lint": _gate(
                    **_WHOLE,
                    rules={
                        "type": "array",
                        "uniqueItems": True,
                        "description": "ruff rule codes or prefixes to select",
                        "items": {
                            "type": "string",
                            "pattern": r"^(?:ALL|[A-Z]{1,4}[0-9]{0,4})$",
                            "errorMessage": "must be a ruff rule code or prefix such as E, F401 or ALL",
                        },
                    },
                    suggestions={
                        "type": "boolean",
                        "default": False,
                        "description": "offer ruff's safe fixes on changed lines as suggested changes in one review",
                    },
                ),
                "types": _gate(**_WHOLE),
                "semgrep": _gate(
                    **_WHOLE,
                    rules={
                        "type": "array",
                        "uniqueItems": True,
                        "description": "extra rule files from the base branch",
                        "items": {
                            "type": "string",
                            "pattern": r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[\w./-]+\.ya?ml$",
                            "errorMessage": "must be a relative .yml or .yaml path inside the repository",
                        },
                    },
                ),
                "dependency_audit": _gate(),
            },
        },
        "approvals": {
            "type": "object",
            "propertyNames": {
                "pattern": r"^[a-z][a-z0-9_-]{0,39}$",
                "errorMessage": "category names are lowercase letters, digits, - and _ (at most 40)",
            },
            "properties": {
                DISMISS_STALE: {
                    "type": "boolean",
                    "default": False,
                    "description": "dismiss an approval on GitHub once the App judges it stale (not a category)",
                }
            },
            "additionalProperties": {"$ref": "#/$defs/category"},
        },
        "overrides": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "team": {"type": "string", "pattern": TEAM_PATTERN, "errorMessage": _TEAM_MESSAGE},
                "gates": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"type": "string", "enum": _GATE_NAMES},
                    "default": _GATE_NAMES[:5],
                },
            },
        },
        "labels": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "ai": {**_LABEL, "default": "ai-generated", "description": "on PRs judged AI-written"},
                "suspected": {**_LABEL, "default": "ai-suspected", "description": "on PRs judged possibly AI-written"},
                "tool_prefix": {
                    "type": "string",
                    "maxLength": 40,
                    "default": "ai:",
                    "description": "one label per tool named: prefix + tool; empty adds none",
                },
            },
        },
        "direct_push": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "enabled": {"type": "boolean", "default": True},
                "default_branch": {"type": "boolean", "default": True},
                "branches": {**_STRINGS, "description": "more branch names or fnmatch globs to watch"},
                "open_issue": {"type": "boolean", "default": False},
                "mention": _OWNERS,
            },
        },
    },
    "$defs": {
        "category": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "paths": {
                    "type": "array",
                    "uniqueItems": True,
                    "minItems": 1,
                    "items": {"type": "string", "minLength": 1},
                    "description": "CODEOWNERS-style patterns",
                },
                "exclude": {
                    "type": "array",
                    "uniqueItems": True,
                    "minItems": 1,
                    "items": {"type": "string", "minLength": 1},
                    "description": "CODEOWNERS patterns of files the category leaves out (CODEOWNERS has no `!`)",
                },
                "branches": _BRANCHES,
                "owners": _OWNERS,
                "codeowners": {"type": "boolean", "default": False},
                "count": {"type": "integer", "minimum": 1, "maximum": 20, "default": 1},
                "all_of": _TEAMS,
                "allow_author": {"type": "boolean", "default": False},
                "allow_commit_authors": {"type": "boolean", "default": False},
                "allow_bots": {"type": "boolean", "default": False},
                "allow_co_authors": {
                    "type": "boolean",
                    "default": False,
                    "description": "people named in Co-authored-by trailers may approve",
                },
                "allow_launchers": {
                    "type": "boolean",
                    "default": False,
                    "description": "whoever assigned the pull request to an agent may approve",
                },
                "allow_pushers": {
                    "type": "boolean",
                    "default": False,
                    "description": "people who pushed to the pull request's branch may approve",
                },
                "applies_to": _APPLIES,
                "stale_on_change": {"type": "boolean", "default": True},
                "veto": {
                    "type": "boolean",
                    "default": False,
                    "description": "a change request by an eligible approver blocks the category",
                },
            },
        }
    },
}


def published_schema() -> dict[str, Any]:
    """SCHEMA with `null` allowed for every mapping value (null removes a key when layers merge)."""
    schema: dict[str, Any] = json.loads(json.dumps(SCHEMA))  # a copy with no shared sub-dicts
    _allow_null(schema)
    return schema


def _allow_null(schema: dict[str, Any]) -> None:
    """Recursively let every mapping value (object properties, definitions used as values) be null."""
    for child in [*schema.get("properties", {}).values(), *schema.get("$defs", {}).values()]:
        _nullable(child)
        _allow_null(child)


def _nullable(schema: dict[str, Any]) -> None:
    schema["type"] = [schema["type"], "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]


GATE_FIELDS: dict[str, frozenset[str]] = {  # each gate's keys under `gates:`
    gate: frozenset(spec["properties"]) for gate, spec in SCHEMA["properties"]["gates"]["properties"].items()
}
