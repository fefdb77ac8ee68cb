"""The routing fast path: for every body, the inbox row is the one the full `json.loads` parse gives, and
whatever the fast path cannot read exactly is handed back to the full parse."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ghapp.runtime.routing import routing_fields
from ghapp.runtime.webhooks import describe
from tests.paths import FIXTURES

BODIES = sorted(p for folder in ("webhooks", "webhooks-extra") for p in (FIXTURES / folder).glob("*/*.json"))
EVENTS = ("pull_request", "pull_request_review", "issue_comment", "check_suite", "check_run", "push", "ping")


def row(event: str, payload: dict[str, Any], text: str) -> Any:
    return describe(event, "d", payload, text, lambda _e, _a: True)


@pytest.mark.parametrize("path", BODIES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.stem}")
def test_real_payloads_route_as_the_full_parse_does(path: Any) -> None:
    text = path.read_text(encoding="utf-8")
    view = routing_fields(text)
    assert view is not None
    for event in (path.parent.name, *EVENTS):
        assert row(event, view, text) == row(event, json.loads(text), text)


ODD_SHAPES = [
    '{"action": "opened", "action": "closed", "number": 3, "number": 4}',  # the last duplicate key wins
    '{"pull_request": {"number": "7"}, "number": 7}',
    '{"pull_request": {"number": 2147483648}, "number": 12}',
    '{"installation": {"id": 123456789012345678901234567890}, "repository": {"full_name": 5}}',
    '{"installation": {"id": true}, "action": ["opened"]}',
    '{"action": "ope\\u0000ned", "repository": {"full_name": "a/\\u0000b"}}',
    '{"issue": {"number": 9, "pull_request": {}}}',
    '{"issue": {"number": 9, "pull_request": {"url": "x"}}}',
    '{"check_suite": {"pull_requests": [{"number": 5}]}, "check_run": {"pull_requests": [{"number": 1}, 2]}}',
    '{"check_suite": {"pull_requests": [5]}, "check_run": {"pull_requests": "x"}}',
    '{"x": 1e400, "pull_request": null, "installation": null}',
]


@pytest.mark.parametrize("text", ODD_SHAPES)
def test_odd_shapes_route_as_the_full_parse_does(text: str) -> None:
    view = routing_fields(text)
    assert view is not None
    for event in EVENTS:
        assert row(event, view, text) == row(event, json.loads(text), text)


HANDED_BACK = [
    '{"pull_request": 5}',  # a field of another shape
    '{"installation": [1]}',
    '{"issue": "x"}',
    '{"x": NaN}',  # the standard library accepts these; the full parse decides
    '{"x": "\\ud800"}',
    "[1, 2]",  # not an object
    '{"a": [1,]}',  # not JSON at all
    '{"a": 1} {"b": 2}',
    '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
]


@pytest.mark.parametrize("text", HANDED_BACK, ids=range(len(HANDED_BACK)))
def test_what_the_fast_path_cannot_read_exactly_goes_to_the_full_parse(text: str) -> None:
    assert routing_fields(text) is None
