"""Webhook deliveries the way GitHub sends them: signed raw body, all delivery headers, recorded with the App's
answer so the hook deliveries API can list and redeliver them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import ssl
import time
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

import httpx

from tests.ghsim.state import Delivery, SimState

HOOK_ID = 292430182
USER_AGENT = "GitHub-Hookshot/044aadd"
TIMEOUT_S = 10.0  # GitHub gives up on the App after 10 seconds


def signature_256(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_1(secret: str, body: bytes) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def encode(payload: dict[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()


def headers_for(event: str, body: bytes, secret: str, guid: str, app_id: int) -> dict[str, str]:
    return {
        "Accept": "*/*",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": guid,
        "X-GitHub-Hook-ID": str(HOOK_ID),
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-GitHub-Hook-Installation-Target-ID": str(app_id),
        "X-Hub-Signature": signature_1(secret, body),
        "X-Hub-Signature-256": signature_256(secret, body),
    }


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every delivery (building one per client costs ~45 ms)."""
    return ssl.create_default_context()


async def _post(
    url: str, body: bytes, headers: dict[str, str], transport: httpx.AsyncBaseTransport | None
) -> tuple[str, int, dict[str, str], str, float]:
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT_S, verify=_tls()) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        return "timed out", 0, {}, "", time.monotonic() - started
    except httpx.TransportError:
        return "failed to connect to host", 0, {}, "", time.monotonic() - started
    status = "OK" if response.is_success else f"Invalid HTTP Response: {response.status_code}"
    return status, response.status_code, dict(response.headers), response.text[:2000], time.monotonic() - started


async def deliver(
    state: SimState | None,
    url: str,
    event: str,
    payload: dict[str, Any] | bytes,
    secret: str,
    *,
    guid: str | None = None,
    redelivery: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Delivery:
    """POST one delivery to the App and record it (when `state` is given) for the hook deliveries API."""
    body = encode(payload)
    guid = guid or str(uuid.uuid4())
    app_id = state.app_id if state is not None else 1
    headers = headers_for(event, body, secret, guid, app_id)
    status, code, response_headers, response_body, duration = await _post(url, body, headers, transport)
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    record = Delivery(
        id=state.next_id() if state is not None else 0,
        guid=guid,
        delivered_at=state.clock.now() if state is not None else datetime.now(UTC),
        redelivery=redelivery,
        duration=round(duration, 3),
        status=status,
        status_code=code,
        event=event,
        action=data.get("action"),
        installation_id=(data.get("installation") or {}).get("id"),
        repository_id=(data.get("repository") or {}).get("id"),
        url=url,
        request_headers=headers,
        request_body=body,
        response_headers=response_headers,
        response_body=response_body,
    )
    if state is not None:
        with state.lock:
            state.deliveries.append(record)
            state.webhook_url = state.webhook_url or url
            if transport is not None:
                state.webhook_transport = transport
    return record


async def redeliver(state: SimState, original: Delivery) -> Delivery:
    """Send a recorded delivery again, as GitHub does: same guid, body and signatures, `redelivery: true`, to the
    App's current webhook URL."""
    url = state.webhook_url or original.url
    status, code, response_headers, response_body, duration = await _post(
        url, original.request_body, original.request_headers, state.webhook_transport
    )
    record = Delivery(
        state.next_id(),
        original.guid,
        state.clock.now(),
        True,
        round(duration, 3),
        status,
        code,
        original.event,
        original.action,
        original.installation_id,
        original.repository_id,
        url,
        original.request_headers,
        original.request_body,
        response_headers,
        response_body,
    )
    with state.lock:
        state.deliveries.append(record)
    return record


def send_webhook(
    app_url: str,
    event: str,
    payload: dict[str, Any] | bytes,
    secret: str,
    *,
    state: SimState | None = None,
    guid: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Delivery:
    """Blocking form of `deliver` for tests that are not inside an event loop."""
    return asyncio.run(deliver(state, app_url, event, payload, secret, guid=guid, transport=transport))
