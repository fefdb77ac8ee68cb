"""The few fields of a webhook body that route it, read without building the rest of the payload.

A `pull_request` delivery is ~28 KB of JSON of which the inbox row needs five values (action, installation
id, repository, pull request number and, for check suites, their pull requests). msgspec checks the WHOLE
document's syntax while it builds only those fields. Anything it does not take exactly as the standard
library would (a field of an unexpected shape, NaN, a lone surrogate, deep nesting) gives None, and the
caller parses the body with `json.loads` as before: this is a fast path, never a second opinion.
"""

from __future__ import annotations

from typing import Any

import msgspec


class _Installation(msgspec.Struct):
    id: Any = None


class _Repository(msgspec.Struct):
    full_name: Any = None


class _PullRequest(msgspec.Struct):
    number: Any = None


class _Issue(msgspec.Struct):
    number: Any = None
    pull_request: Any = None


class _Check(msgspec.Struct):
    pull_requests: Any = None


class _Routing(msgspec.Struct):
    action: Any = None
    number: Any = None
    installation: _Installation | None = None
    repository: _Repository | None = None
    pull_request: _PullRequest | None = None
    issue: _Issue | None = None
    check_suite: _Check | None = None
    check_run: _Check | None = None


_DECODER = msgspec.json.Decoder(_Routing)


def routing_fields(text: str) -> dict[str, Any] | None:
    """A dict holding only the routing fields of the JSON object `text`, equal for `describe` to the whole
    `json.loads(text)`; None when the fast path cannot tell (the caller then parses it in full)."""
    try:
        found = _DECODER.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    view: dict[str, Any] = {"action": found.action, "number": found.number}
    if found.installation is not None:
        view["installation"] = {"id": found.installation.id}
    if found.repository is not None:
        view["repository"] = {"full_name": found.repository.full_name}
    if found.pull_request is not None:
        view["pull_request"] = {"number": found.pull_request.number}
    if found.issue is not None:
        view["issue"] = {"number": found.issue.number, "pull_request": found.issue.pull_request}
    for name in ("check_suite", "check_run"):
        check = getattr(found, name)
        if check is not None:
            view[name] = {"pull_requests": check.pull_requests}
    return view
