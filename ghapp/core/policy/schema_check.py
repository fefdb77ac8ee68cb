"""The structural check of one policy layer against `SCHEMA`: every place it breaks the schema, as an issue
at its line and column with a message a person can act on."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ghapp.core.policy.located_yaml import Node, PolicyIssue
from ghapp.core.policy.schema import published_schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(published_schema())


def schema_issues(root: Node) -> list[PolicyIssue]:
    """Every place where `root` (one layer's tree) breaks the schema, as located, readable issues."""
    errors = list(_validator().iter_errors(root.plain()))
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    issues: list[PolicyIssue] = []
    for error in errors:
        if error.validator == "type" or tuple(error.absolute_path) not in mistyped:
            issues.extend(_describe(root, error))
    return sorted(set(issues), key=lambda issue: (issue.line, issue.column, issue.message))


def key_path(path: tuple[str | int, ...] | list[str | int]) -> str:
    """("approvals", "auth", "paths", 2) -> approvals.auth.paths[2]"""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _describe(root: Node, error: ValidationError) -> list[PolicyIssue]:
    path = tuple(error.absolute_path)
    node = root.find(path)
    name = key_path(path) or "the policy"
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    keyword = error.validator
    if keyword == "additionalProperties":
        allowed = ", ".join(sorted(schema.get("properties", {})))
        where = f" in {name}" if path else ""
        return [
            (child.key_mark or child.mark).issue(f"unknown key {key!r}{where}; expected one of: {allowed}")
            for key, child in node.value.items()
            if key not in schema.get("properties", {})
        ]
    if "propertyNames" in error.schema_path:  # the error is about a key; point at it
        child = node.value[error.instance]
        return [(child.key_mark or child.mark).issue(f"{name}: {error.instance!r} {schema['errorMessage']}")]
    return [node.mark.issue(_message(name, keyword, error.validator_value, error.instance, schema))]


def _message(name: str, keyword: Any, expected: Any, instance: Any, schema: dict[str, Any]) -> str:
    if keyword == "type" and "enum" in schema:
        return _message(name, "enum", schema["enum"], instance, schema)
    if keyword == "type":
        wanted = " or ".join(
            _TYPE_WORDS[t] for t in ([expected] if isinstance(expected, str) else expected) if t != "null"
        )
        return f"{name} must be {wanted}, not {_shown(instance)}"
    if keyword == "enum":
        return f"{name} must be one of: {', '.join(str(v) for v in expected if v is not None)}; got {_shown(instance)}"
    if "errorMessage" in schema:
        return f"{name}: {instance!r} {schema['errorMessage']}"
    if keyword == "minimum":
        return f"{name} must be at least {expected}; got {instance}"
    if keyword == "maximum":
        return f"{name} must be at most {expected}; got {instance}"
    if keyword == "minItems":
        return f"{name} must list at least {expected} item{'s' if expected > 1 else ''}"
    if keyword == "uniqueItems":
        return f"{name} lists the same value more than once"
    if keyword == "minLength":
        return f"{name} must not be empty"
    return f"{name}: {instance!r} is invalid ({keyword})"


_TYPE_WORDS = {
    "string": "a string",
    "boolean": "true or false",
    "integer": "a whole number",
    "array": "a list",
    "object": "a mapping",
    "number": "a number",
}


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return "a list" if isinstance(value, list) else "a mapping"
