"""Simulated App routes (JWT): the App, installations, installation tokens, the hook deliveries log."""

from __future__ import annotations

import base64
from typing import Any

from tests.ghsim import render
from tests.ghsim.context import Ctx, Reply, SimError, paginate
from tests.ghsim.state import Delivery
from tests.ghsim.webhooks import redeliver


def get_app(ctx: Ctx) -> Reply:
    s = ctx.state
    return Reply(
        json={
            "id": s.app_id,
            "slug": s.app_slug,
            "name": s.app_slug,
            "owner": render.user("octo-org"),
            "events": ["check_run", "check_suite", "pull_request", "pull_request_review", "push"],
        }
    )


def list_installations(ctx: Ctx) -> Reply:
    return paginate(ctx, [render.installation(ctx.state, i) for i in ctx.state.installations.values()])


def _installation(ctx: Ctx) -> Any:
    inst = ctx.state.installations.get(int(ctx.params["installation_id"]))
    if inst is None:
        raise SimError(404, "Not Found")
    return inst


def get_installation(ctx: Ctx) -> Reply:
    return Reply(json=render.installation(ctx.state, _installation(ctx)))


def create_token(ctx: Ctx) -> Reply:
    inst = _installation(ctx)
    if inst.suspended:
        raise SimError(403, "This installation has been suspended")
    value, token = ctx.state.issue_token(inst.id)
    body = render.installation(ctx.state, inst)
    return Reply(
        201,
        json={
            "token": value,
            "expires_at": render.ts(token.expires_at),
            "permissions": body["permissions"],
            "repository_selection": body["repository_selection"],
        },
    )


def repo_installation(ctx: Ctx) -> Reply:
    full_name = f"{ctx.params['owner']}/{ctx.params['repo']}"
    inst = ctx.state.installation_for(full_name) if full_name.lower() in ctx.state.repos else None
    if inst is None:
        raise SimError(404, "Not Found")
    return Reply(json=render.installation(ctx.state, inst))


def _delivery_summary(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "guid": d.guid,
        "delivered_at": render.ts(d.delivered_at),
        "redelivery": d.redelivery,
        "duration": d.duration,
        "status": d.status,
        "status_code": d.status_code,
        "event": d.event,
        "action": d.action,
        "installation_id": d.installation_id,
        "repository_id": d.repository_id,
        "throttled_at": None,
    }


def list_deliveries(ctx: Ctx) -> Reply:
    """Newest first, cursor pagination (`cursor` is opaque to clients; only `rel="next"` links)."""
    try:
        per_page = min(100, max(1, int(ctx.query.get("per_page", "30"))))
    except ValueError:
        per_page = 30
    items = sorted(ctx.state.deliveries, key=lambda d: d.id, reverse=True)
    wanted = ctx.query.get("status")
    if wanted == "success":
        items = [d for d in items if d.status == "OK"]
    elif wanted == "failure":
        items = [d for d in items if d.status != "OK"]
    cursor = ctx.query.get("cursor")
    if cursor:
        try:
            after = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("v1_"))
        except ValueError:
            raise SimError(422, "Invalid cursor") from None
        items = [d for d in items if d.id < after]
    page = items[:per_page]
    headers = {}
    if len(items) > per_page:
        token = base64.urlsafe_b64encode(f"v1_{page[-1].id}".encode()).decode()
        headers["link"] = f'<{ctx.page_url(per_page=per_page, cursor=token)}>; rel="next"'
    return Reply(json=[_delivery_summary(d) for d in page], headers=headers)


def _delivery(ctx: Ctx) -> Delivery:
    wanted = int(ctx.params["delivery_id"])
    found = next((d for d in ctx.state.deliveries if d.id == wanted), None)
    if found is None:
        raise SimError(404, "Not Found")
    return found


def get_delivery(ctx: Ctx) -> Reply:
    d = _delivery(ctx)
    return Reply(
        json=_delivery_summary(d)
        | {
            "url": d.url,
            "request": {"headers": d.request_headers, "payload": d.request_body.decode("utf-8", "replace")},
            "response": {"headers": d.response_headers, "payload": d.response_body},
        }
    )


async def redeliver_attempt(ctx: Ctx) -> Reply:
    """202, after sending the delivery again (same guid, `redelivery: true`): tests need not wait for it."""
    await redeliver(ctx.state, _delivery(ctx))
    return Reply(202, json={})
