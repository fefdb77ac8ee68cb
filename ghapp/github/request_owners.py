"""Whose review request stands on a pull request, read from its issue events and reviews: the App's own (so the
App may withdraw it), or not (a person's, removed, or fulfilled by a review, so the App must leave it alone).

GitHub records each request as a `review_requested` issue event naming the `requested_reviewer` (or the
`requested_team`), the `actor` and, when an App made it with its installation token,
`performed_via_github_app`; taking one back is a `review_request_removed` event. A person re-requesting a
reviewer the App had asked adds a later `review_requested` event with that person as actor: the last event for
a reviewer says whose request stands. Anything the events do not show plainly counts as not the App's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

JSON = dict[str, Any]
_EVENTS = ("review_requested", "review_request_removed")


class Standing(Enum):
    APPS = "the App's request stands"
    REVIEWED = "the App's request, but the reviewer has reviewed this pull request"
    NOT_APPS = "not the App's: a person's request, removed, or never seen"


def _reviewer(event: JSON) -> tuple[str, str] | None:
    """(kind, lower-case login or team slug) an event concerns."""
    person, team = event.get("requested_reviewer"), event.get("requested_team")
    if isinstance(person, dict) and person.get("login"):
        return "user", str(person["login"]).lower()
    if isinstance(team, dict) and team.get("slug"):
        return "team", str(team["slug"]).lower()
    return None


def _by_app(event: JSON, app_id: str) -> bool:
    via = event.get("performed_via_github_app")
    return isinstance(via, dict) and str(via.get("id")) == str(app_id) and bool(app_id)


def standing(
    wanted: Iterable[tuple[str, str]],
    events: Sequence[JSON],
    reviews: Sequence[JSON],
    app_id: str,
    *,
    complete: bool = True,
) -> dict[tuple[str, str], Standing]:
    """For each (kind, reviewer) in `wanted`, whose request stands now. A user who submitted any review of the
    pull request is never withdrawn from (their review history stays next to a standing request); a team's
    request cannot be matched to its members' reviews without more calls, and a DELETE of a request a
    member's review already fulfilled changes nothing on GitHub. `complete`: False when the events listed
    stop short of the newest (GitHub lists them oldest first and the App reads a bounded number): then the
    last event seen may not be the last, and nothing is the App's."""
    if not complete:
        return dict.fromkeys(wanted, Standing.NOT_APPS)
    last: dict[tuple[str, str], JSON] = {}
    for event in events:
        key = _reviewer(event) if event.get("event") in _EVENTS else None
        if key is not None:
            last[key] = event
    reviewed = {
        str((r.get("user") or {}).get("login") or "").lower()
        for r in reviews
        if isinstance(r.get("user"), dict) and str(r.get("state") or "").upper() != "PENDING"
    }
    found: dict[tuple[str, str], Standing] = {}
    for key in wanted:
        kind, name = key[0], key[1].lower()
        seen = last.get((kind, name))
        if seen is None or seen.get("event") != "review_requested" or not _by_app(seen, app_id):
            found[key] = Standing.NOT_APPS
        elif kind == "user" and name in reviewed:
            found[key] = Standing.REVIEWED
        else:
            found[key] = Standing.APPS
    return found
