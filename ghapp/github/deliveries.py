"""The App's webhook deliveries log: find deliveries GitHub failed to deliver, and ask for them again.

GitHub never redelivers on its own. Its documented recipe: page through `GET /app/hook/deliveries` (newest
first) back to the last run, group attempts by `guid`, and redeliver the newest attempt of every guid that has
no attempt with status "OK". A redelivery keeps the `X-GitHub-Delivery` guid, so the inbox dedupes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ghapp.github.client import GitHubApp
from ghapp.github.errors import GitHubError


@dataclass(frozen=True)
class FailedDelivery:
    """The newest failed attempt of one delivery guid; `delivery_id` is what `redeliver` takes."""

    delivery_id: int
    guid: str
    event: str
    action: str | None
    installation_id: int | None
    delivered_at: datetime
    status: str
    status_code: int


def _parse_time(raw: object) -> datetime:
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise GitHubError(f"hook delivery has a bad delivered_at: {raw!r}") from None


async def list_failed_deliveries(app: GitHubApp, since: datetime) -> list[FailedDelivery]:
    """Failed deliveries delivered at or after `since` (timezone-aware), newest first, one per guid."""
    since = since.replace(microsecond=0)  # GitHub reports whole seconds
    attempts: dict[str, list[dict[str, Any]]] = {}
    url: str | None = "/app/hook/deliveries"
    params: dict[str, Any] | None = {"per_page": 100}
    while url is not None:
        response = await app.app_request("GET", "/app/hook/deliveries", url, params=params)
        page = response.json()
        if not isinstance(page, list):
            raise GitHubError("GET /app/hook/deliveries did not answer a list")
        reached_since = False
        for item in page:
            if _parse_time(item.get("delivered_at")) < since:
                reached_since = True  # newest first: everything after this is older still
                break
            attempts.setdefault(str(item["guid"]), []).append(item)
        url = None if reached_since else response.links.get("next", {}).get("url")
        params = None  # the cursor link carries the query
    failed = []
    for guid, items in attempts.items():
        if any(item.get("status") == "OK" for item in items):
            continue
        newest = items[0]
        failed.append(
            FailedDelivery(
                delivery_id=int(newest["id"]),
                guid=guid,
                event=str(newest.get("event", "")),
                action=newest.get("action"),
                installation_id=newest.get("installation_id"),
                delivered_at=_parse_time(newest.get("delivered_at")),
                status=str(newest.get("status", "")),
                status_code=int(newest.get("status_code") or 0),
            )
        )
    return failed


async def redeliver(app: GitHubApp, delivery_id: int) -> None:
    """Ask GitHub to send a delivery again (202 Accepted; the result shows up as a new attempt)."""
    await app.app_request(
        "POST", "/app/hook/deliveries/{delivery_id}/attempts", f"/app/hook/deliveries/{delivery_id}/attempts"
    )
