"""`POST /api/github/webhooks`: verify the signature, record the delivery, enqueue it, answer 202. No policy here.

Deliveries are nearly all of the App's HTTP traffic, so the receiver is a plain ASGI app: it reads the five
headers it needs from the scope and the body from `receive`, and sends a prebuilt JSON answer, with none of
Starlette's request and response objects on the way (`runtime.front` hands it the path ahead of the router).

Order of checks: configured (503); before the body is read, the GitHub headers (400), a `sha256=` signature
header (401) and the declared size (413); then the body, read within bounds (`runtime.body`: 408, 413, 503
with `Retry-After`); the signature (401), JSON (400). Nothing of the body or the secret is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.types import Receive, Scope, Send

from ghapp.observability.logs import LogBudget
from ghapp.runtime.body import RETRY_AFTER_S, BodyLimits, BodyReader, BodyRefused
from ghapp.runtime.recorder import Recorder, RecordError
from ghapp.runtime.replay import UNSIGNED_PREFIX, signed_body_digest
from ghapp.runtime.routing import routing_fields
from ghapp.settings import Settings
from ghapp.store.deliveries import DeliveryState
from ghapp.store.recording import NewDelivery, Recorded

if TYPE_CHECKING:
    from ghapp.observability import Metrics, Tracing

WEBHOOK_PATH = "/api/github/webhooks"
log = logging.getLogger(__name__)
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")  # event names and delivery GUIDs
# Outcomes only a delivery whose signature matched reaches (or any, in development without a secret): only
# these are counted under their X-GitHub-Event, one of GitHub's own few names. Anyone can send a header, and
# a label value a request chooses would be a new counter kept for good in every process.
_SIGNED_OUTCOMES = frozenset({"accepted", "duplicate", "ignored"})


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """True if `header` is `sha256=` + HMAC-SHA256(secret, body). The legacy `sha1=` form is refused."""
    return signature_matches(hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(), header)


def signature_matches(hmac_hex: str, header: str | None) -> bool:
    """True if `header` is `sha256=` + `hmac_hex`, compared in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(f"sha256={hmac_hex}".encode(), header.encode("utf-8", "replace"))


def refusal(settings: Settings) -> str | None:
    """Why deliveries cannot be accepted with these settings, or None."""
    if settings.webhook_secret:
        if not (settings.app_id and settings.private_key):
            return "The GitHub App is not configured yet (no App id or private key): open /setup."
        return None
    if settings.allow_unsigned:
        return None
    return "No webhook secret is configured (GHAPP_WEBHOOK_SECRET), so deliveries are refused: open /setup."


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int) -> str | None:
    """A routing string that fits its column (PostgreSQL refuses longer ones and NUL characters)."""
    return value if isinstance(value, str) and len(value) <= limit and "\x00" not in value else None


def _number(value: Any, bits: int) -> int | None:
    """A positive id or number that fits a signed `bits`-bit column."""
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2 ** (bits - 1)
    return value if ok else None


def describe(
    event: str,
    delivery_id: str,
    payload: dict[str, Any],
    raw: str,
    handled: Callable[[str, str | None], bool],
    *,
    body_digest: str | None = None,
) -> NewDelivery:
    """The inbox row for a delivery: where it comes from, which pull request it concerns, and whether a
    handler wants it (if not it is recorded as ignored and never queued). Routing fields of the wrong type
    or size are left empty: the delivery is still recorded byte for byte, and its handler judges it.
    `body_digest` is the replay window's key of the body (None: the window is off)."""
    action = _text(payload.get("action"), 64)
    return NewDelivery(
        delivery_id=delivery_id,
        event=event,
        action=action,
        installation_id=_number(_mapping(payload.get("installation")).get("id"), 64),
        repository=_text(_mapping(payload.get("repository")).get("full_name"), 255),
        pr_number=pull_request_number(event, payload),
        payload=raw,
        state=DeliveryState.PENDING if handled(event, action) else DeliveryState.IGNORED,
        body_digest=body_digest,
    )


def pull_request_number(event: str, payload: dict[str, Any]) -> int | None:
    """The pull request a delivery is about, when there is exactly one."""
    candidates: list[Any] = []
    if event in ("pull_request", "pull_request_review", "pull_request_review_comment", "pull_request_review_thread"):
        candidates = [_mapping(payload.get("pull_request")).get("number"), payload.get("number")]
    elif event == "issue_comment" and _mapping(payload.get("issue")).get("pull_request"):
        candidates = [payload["issue"].get("number")]
    elif event in ("check_suite", "check_run"):
        # Pushes to forks carry no pull_requests at all; one suite may also belong to several PRs.
        prs = _mapping(payload.get(event)).get("pull_requests") or []
        candidates = (
            [prs[0].get("number")] if isinstance(prs, list) and len(prs) == 1 and isinstance(prs[0], dict) else []
        )
    return next((n for n in (_number(c, 32) for c in candidates) if n is not None), None)


_HEADERS = (b"x-github-event", b"x-github-delivery", b"x-hub-signature-256", b"content-length")
_JSON = (b"content-type", b"application/json")


def _headers(scope: Scope) -> dict[bytes, str]:
    """The headers the receiver reads, each at its first occurrence (as Starlette's `Headers.get`)."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _HEADERS and name not in found:
            found[name] = value.decode("latin-1")
    return found


@dataclass(frozen=True, slots=True)
class Answer:
    """What the receiver says: a status and a JSON body, with `Retry-After` on a 503."""

    status: int
    document: dict[str, str]
    retry_after: bool = False

    async def send(self, send: Send) -> None:
        body = json.dumps(self.document, separators=(",", ":")).encode()
        headers = [_JSON, (b"content-length", str(len(body)).encode())]
        if self.retry_after:
            headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _error(status: int, message: str, *, retry_after: bool = False) -> Answer:
    return Answer(status, {"error": message}, retry_after)


class WebhookReceiver:
    """The endpoint. `settings` may be replaced while running (the setup flow stores new credentials)."""

    def __init__(
        self,
        settings: Settings,
        recorder: Recorder,
        handled: Callable[[str, str | None], bool],
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self.settings = settings
        self.recorder = recorder
        self.bodies = BodyReader(
            BodyLimits(
                max_readers=settings.max_body_readers,
                spool_bytes=settings.max_spooled_bytes,
                timeout_s=settings.body_timeout_s,
            )
        )
        self.handled = handled
        self.metrics = metrics
        self.tracing = tracing
        self.refusals = LogBudget()  # bad signatures: anyone can send them, so a flood is not logged line by line

    def _bad_signature(self, scope: Scope, event: str, delivery_id: str, reason: str) -> tuple[Answer, str]:
        client = scope.get("client")
        self.refusals.warning(  # every one is counted in ghapp_deliveries_total
            log,
            "webhook signature %s",
            reason,
            extra={"delivery_id": delivery_id[:64], "event": event[:64], "client": client[0] if client else None},
        )
        return _error(401, f"signature {reason}"), "bad_signature"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI app of `POST /api/github/webhooks`."""
        started = time.perf_counter()
        headers = _headers(scope)
        event = headers.get(b"x-github-event", "")
        if self.tracing is None or not self.tracing.enabled:
            answer, outcome = await self._receive(scope, receive, headers, event)
        else:
            delivery_id = headers.get(b"x-github-delivery", "")
            with self.tracing.webhook(
                event if _NAME.match(event) else "unknown", delivery_id if _NAME.match(delivery_id) else ""
            ) as span:
                answer, outcome = await self._receive(scope, receive, headers, event)
                span.set_attribute("ghapp.outcome", outcome)
        await answer.send(send)
        if self.metrics is not None:
            self.metrics.delivery(event if outcome in _SIGNED_OUTCOMES else "unknown", outcome)
            self.metrics.webhook_ack_seconds.observe(time.perf_counter() - started)

    async def _receive(
        self, scope: Scope, receive: Receive, headers: dict[bytes, str], event: str
    ) -> tuple[Answer, str]:
        settings = self.settings
        problem = refusal(settings)
        if problem is not None:
            return _error(503, problem), "rejected"
        # Everything GitHub always sends is checked before a byte of the body is read.
        delivery_id = headers.get(b"x-github-delivery", "")
        if not _NAME.match(event) or not _NAME.match(delivery_id):
            return _error(400, "X-GitHub-Event and X-GitHub-Delivery headers are required"), "rejected"
        signature = headers.get(b"x-hub-signature-256")
        secret = settings.webhook_secret or None
        if secret and not (signature or "").startswith("sha256="):
            return self._bad_signature(scope, event, delivery_id, "missing" if signature is None else "invalid")
        limit = settings.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return (
                _error(413, f"body over {limit} bytes") if declared.isdigit() else _error(400, "bad Content-Length")
            ), "rejected"
        # The replay window (kept in the inbox: `ghapp/store/replay_window.py`) keys a signed body by its HMAC (one
        # hash of the body, not two); an unsigned one (development only) by a SHA-256 of the body. Not by the event
        # header: it is not signed, so a body sent again under another event name is the same replay.
        window = settings.replay_window_s > 0
        unsigned_digest = UNSIGNED_PREFIX if window and not secret else None
        try:
            read = await self.bodies.read(receive, secret, limit, unsigned_digest)
        except BodyRefused as exc:
            return _error(exc.status, str(exc), retry_after=exc.status == 503), "rejected"
        try:
            if secret and not signature_matches(read.hmac_hex or "", signature):
                return self._bad_signature(scope, event, delivery_id, "invalid")
            body = read.read()
        finally:
            read.close()
        try:
            text = body.decode("utf-8")
            payload = routing_fields(text) or json.loads(text)  # the routing fields alone when they can be
        except (UnicodeDecodeError, ValueError):
            return _error(400, "body is not valid JSON"), "rejected"
        except RecursionError:  # json.loads gives up on deep nesting with this, not a ValueError
            return _error(400, "body is not valid JSON: nested too deeply"), "rejected"
        if not isinstance(payload, dict):
            return _error(400, "body is not a JSON object"), "rejected"
        digest = signed_body_digest(read.hmac_hex) if read.hmac_hex else read.sha256_hex
        delivery = describe(event, delivery_id, payload, text, self.handled, body_digest=digest if window else None)
        try:
            recorded = await self.recorder.record(delivery)
        except RecordError as exc:
            return _error(503, str(exc)), "rejected"
        if recorded is Recorded.REPLAY:
            log.warning(
                "a body already delivered under another delivery id: a replay, not recorded",
                extra={"delivery_id": delivery_id, "event": event},
            )
            return Answer(202, {"delivery_id": delivery_id, "status": "duplicate"}), "duplicate"
        new = recorded is Recorded.NEW
        status = ("ignored" if delivery.state == DeliveryState.IGNORED else "accepted") if new else "duplicate"
        return Answer(202, {"delivery_id": delivery_id, "status": status}), status
