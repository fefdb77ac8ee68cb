"""The webhook endpoint with real payloads: signatures, limits, malformed input, duplicates, unknown events."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from ghapp.app import create_app
from ghapp.handlers import build_handlers
from ghapp.observability import Telemetry
from ghapp.observability.logs import LogBudget
from ghapp.runtime.jobs import find_handler
from ghapp.runtime.webhooks import WEBHOOK_PATH, pull_request_number, verify_signature
from ghapp.settings import Settings
from ghapp.store.deliveries import DeliveryState
from ghapp.store.inbox import Inbox
from tests.conftest import WEBHOOK_SECRET, WEBHOOKS, TestClient, delivery_headers, load_webhook, sign

ALL_FIXTURES = sorted((p.parent.name, p.stem) for p in WEBHOOKS.glob("*/*.json"))


@pytest.fixture
def client(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(), run_worker=False)) as test_client:
        yield test_client


def inbox_of(client: TestClient) -> Inbox:
    inbox: Inbox = client.app.state.inbox  # type: ignore[attr-defined]
    return inbox


def post(client: TestClient, event: str, body: bytes, **headers: str) -> Any:
    return client.post(WEBHOOK_PATH, content=body, headers={**delivery_headers(event, body), **headers})


def test_github_documented_test_vector() -> None:
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert verify_signature("It's a Secret to Everybody", b"Hello, World!", header)
    assert not verify_signature("It's a Secret to Everybody", b"Hello, World?", header)
    assert not verify_signature("another secret", b"Hello, World!", header)
    assert not verify_signature("It's a Secret to Everybody", b"Hello, World!", header.replace("sha256=", "sha1="))
    assert not verify_signature("It's a Secret to Everybody", b"Hello, World!", None)
    assert not verify_signature("It's a Secret to Everybody", b"Hello, World!", "sha256=\u00e9")


@pytest.mark.parametrize(("event", "name"), ALL_FIXTURES)
def test_every_real_payload_is_accepted_and_recorded(client: TestClient, event: str, name: str) -> None:
    body = load_webhook(event, name)
    headers = delivery_headers(event, body)
    response = client.post(WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code == 202
    payload = json.loads(body)
    handled = find_handler(build_handlers(), event, payload.get("action")) is not None
    assert response.json() == {
        "delivery_id": headers["X-GitHub-Delivery"],
        "status": "accepted" if handled else "ignored",
    }
    row = inbox_of(client).get(headers["X-GitHub-Delivery"])
    assert row is not None
    state = DeliveryState.PENDING if handled else DeliveryState.IGNORED
    assert (row.event, row.action, row.state) == (event, payload.get("action"), state)
    assert row.payload.encode() == body  # stored byte for byte
    assert row.installation_id == (payload.get("installation") or {}).get("id")
    assert row.repository == (payload.get("repository") or {}).get("full_name")


def test_pull_request_deliveries_carry_their_pull_request(client: TestClient) -> None:
    body = load_webhook("pull_request", "opened")
    headers = delivery_headers("pull_request", body)
    client.post(WEBHOOK_PATH, content=body, headers=headers)
    row = inbox_of(client).get(headers["X-GitHub-Delivery"])
    assert row is not None and (row.repository, row.pr_number) == ("Codertocat/Hello-World", 2)


def test_a_duplicate_delivery_changes_nothing(client: TestClient) -> None:
    body = load_webhook("installation", "created")
    headers = delivery_headers("installation", body)
    assert client.post(WEBHOOK_PATH, content=body, headers=headers).json()["status"] == "accepted"
    other = load_webhook("installation", "deleted")
    again = client.post(
        WEBHOOK_PATH, content=other, headers={**headers, "X-Hub-Signature-256": sign(WEBHOOK_SECRET, other)}
    )
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    row = inbox_of(client).get(headers["X-GitHub-Delivery"])
    assert row is not None and row.action == "created" and row.payload.encode() == body
    assert client.app.state.queue.size() == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("sha256=" + "0" * 64, "invalid"),
        ("sha1=0123", "invalid"),
        ("", "invalid"),
    ],
)
def test_bad_signatures_are_refused_and_logged_without_secrets(
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    header: str | None,
    reason: str,
) -> None:
    body = load_webhook("ping", "payload")
    headers = delivery_headers("ping", body)
    del headers["X-Hub-Signature-256"]
    if header is not None:
        headers["X-Hub-Signature-256"] = header
    with caplog.at_level(logging.WARNING, logger="ghapp.runtime.webhooks"):
        response = client.post(WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code == 401 and response.json() == {"error": f"signature {reason}"}
    assert inbox_of(client).get(headers["X-GitHub-Delivery"]) is None
    logged = [r for r in caplog.records if r.name == "ghapp.runtime.webhooks"]
    assert len(logged) == 1 and reason in logged[0].getMessage()
    assert logged[0].delivery_id == headers["X-GitHub-Delivery"]  # type: ignore[attr-defined]
    text = caplog.text + repr([vars(r) for r in logged])
    assert WEBHOOK_SECRET not in text and "Hello-World" not in text


def test_a_signature_over_other_bytes_is_refused(client: TestClient) -> None:
    body = load_webhook("ping", "payload")
    reformatted = json.dumps(json.loads(body)).encode()  # same JSON, different bytes
    response = client.post(WEBHOOK_PATH, content=reformatted, headers=delivery_headers("ping", body))
    assert response.status_code == 401


def test_oversize_bodies_are_refused(make_settings: Callable[..., Settings]) -> None:
    body = load_webhook("pull_request", "opened")  # 28 KB
    with TestClient(create_app(make_settings(max_body_bytes=10_000), run_worker=False)) as client:
        declared = client.post(WEBHOOK_PATH, content=body, headers=delivery_headers("pull_request", body))
        assert declared.status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
            yield from (body[i : i + 4096] for i in range(0, len(body), 4096))

        headers = delivery_headers("pull_request", body)
        streamed = client.post(WEBHOOK_PATH, content=chunks(), headers=headers)
        assert streamed.status_code == 413
        assert inbox_of(client).get(headers["X-GitHub-Delivery"]) is None
        small = load_webhook("ping", "payload")
        assert post(client, "ping", small).status_code == 202


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"", "body is not valid JSON"),
        (b"\xff\xfe{}", "body is not valid JSON"),
        (b"[1, 2]", "body is not a JSON object"),
        (b'"text"', "body is not a JSON object"),
        (b"payload=%7B%7D", "body is not valid JSON"),
    ],
)
def test_malformed_bodies_are_refused(client: TestClient, body: bytes, error: str) -> None:
    response = post(client, "ping", body)
    assert response.status_code == 400 and response.json() == {"error": error}


@pytest.mark.parametrize("missing", ["X-GitHub-Event", "X-GitHub-Delivery"])
def test_missing_github_headers_are_refused(client: TestClient, missing: str) -> None:
    body = load_webhook("ping", "payload")
    headers = delivery_headers("ping", body)
    del headers[missing]
    response = client.post(WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code == 400


def test_a_bad_content_length_is_refused(client: TestClient) -> None:
    body = load_webhook("ping", "payload")
    response = client.post(
        WEBHOOK_PATH, content=body, headers={**delivery_headers("ping", body), "Content-Length": "12x"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"webhook_secret": ""}, "No webhook secret is configured"),
        ({"app_id": "", "private_key": ""}, "not configured yet"),
    ],
)
def test_deliveries_are_refused_until_the_app_is_configured(
    make_settings: Callable[..., Settings],
    overrides: dict[str, str],
    says: str,
) -> None:
    with TestClient(create_app(make_settings(**overrides), run_worker=False)) as client:
        response = post(client, "ping", load_webhook("ping", "payload"))
        assert response.status_code == 503 and says in response.json()["error"]


def test_unsigned_deliveries_only_with_the_development_flag_and_no_secret(
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(webhook_secret="", app_id="", private_key="", allow_unsigned=True)
    body = load_webhook("ping", "payload")
    with caplog.at_level(logging.WARNING), TestClient(create_app(settings, run_worker=False)) as client:
        headers = delivery_headers("ping", body)
        del headers["X-Hub-Signature-256"]
        assert client.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 202
    assert "GHAPP_ALLOW_UNSIGNED" in caplog.text
    with TestClient(create_app(make_settings(allow_unsigned=True), run_worker=False)) as client:
        assert client.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 401  # a secret still binds


def test_acknowledgements_are_measured(make_settings: Callable[..., Settings]) -> None:
    telemetry = Telemetry.create(make_settings(), registry=CollectorRegistry())
    with TestClient(create_app(make_settings(), run_worker=False, telemetry=telemetry)) as client:
        post(client, "ping", load_webhook("ping", "payload"))
        post(client, "ping", b"{}", **{"X-Hub-Signature-256": "sha256=00"})
    registry = telemetry.metrics.registry
    assert registry.get_sample_value("ghapp_webhook_ack_seconds_count") == 2
    assert registry.get_sample_value("ghapp_deliveries_total", {"event": "ping", "outcome": "accepted"}) == 1
    assert registry.get_sample_value("ghapp_deliveries_total", {"event": "unknown", "outcome": "bad_signature"}) == 1
    assert registry.get_sample_value("ghapp_queue_depth") == 1


def test_unsigned_requests_cannot_grow_the_metrics(make_settings: Callable[..., Settings]) -> None:
    """Each event name a request makes up would be a counter of its own, kept for good: only deliveries past
    the signature are counted under their event."""
    telemetry = Telemetry.create(make_settings(), registry=CollectorRegistry())
    with TestClient(create_app(make_settings(), run_worker=False, telemetry=telemetry)) as client:
        for n in range(50):
            answer = post(client, f"made-up-{n}", b"{}", **{"X-Hub-Signature-256": "sha256=00"})
            assert answer.status_code == 401
        for n in range(50):  # over the size limit, refused before the body is read
            assert post(client, f"too-big-{n}", b"{}", **{"Content-Length": "999999999"}).status_code == 413
    [family] = [f for f in telemetry.metrics.registry.collect() if f.name == "ghapp_deliveries"]
    counted = {(s.labels["event"], s.labels["outcome"]): s.value for s in family.samples if s.name.endswith("_total")}
    assert counted == {("unknown", "bad_signature"): 50, ("unknown", "rejected"): 50}


@pytest.mark.parametrize(
    ("event", "payload", "number"),
    [
        ("pull_request", {"number": 5, "pull_request": {"number": 5}}, 5),
        ("pull_request_review", {"pull_request": {"number": 7}}, 7),
        ("issue_comment", {"issue": {"number": 9, "pull_request": {"url": "x"}}}, 9),
        ("issue_comment", {"issue": {"number": 9}}, None),
        ("check_suite", {"check_suite": {"pull_requests": [{"number": 3}]}}, 3),
        ("check_run", {"check_run": {"pull_requests": [{"number": 3}, {"number": 4}]}}, None),
        ("check_run", {"check_run": {"pull_requests": []}}, None),
        ("pull_request", {"number": True}, None),
        ("push", {"number": 1}, None),
    ],
)
def test_pull_request_number(event: str, payload: dict[str, Any], number: int | None) -> None:
    assert pull_request_number(event, payload) == number


def test_fixture_folder_is_the_shared_one() -> None:
    assert (WEBHOOKS / "SOURCE.md").is_file() and Path(WEBHOOKS).resolve().parent.name == "fixtures"
    assert len(ALL_FIXTURES) == 77


def test_a_flood_of_bad_signatures_is_logged_within_a_budget(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone can send a bad signature: each is refused and counted, but only so many a minute are logged,
    and the first line after says how many were not."""
    telemetry = Telemetry.create(make_settings(), registry=CollectorRegistry())
    app = create_app(make_settings(), run_worker=False, telemetry=telemetry)
    [front] = [m for m in app.user_middleware if "receiver" in m.kwargs]
    receiver = front.kwargs["receiver"]
    ticks = [0.0]
    receiver.refusals = LogBudget(lines=20, window_s=60.0, clock=lambda: ticks[0])
    with caplog.at_level(logging.WARNING), TestClient(app) as client:
        for n in range(30):
            assert post(client, "ping", b"{}", **{"X-Hub-Signature-256": f"sha256={n:064x}"}).status_code == 401
        ticks[0] = 60.0
        assert post(client, "ping", b"{}", **{"X-Hub-Signature-256": "sha256=" + "f" * 64}).status_code == 401
    logged = [r for r in caplog.records if r.getMessage() == "webhook signature invalid"]
    assert len(logged) == 21
    assert [getattr(r, "not_logged_before", 0) for r in logged] == [0] * 20 + [10]
    counted = telemetry.metrics.registry.get_sample_value
    assert counted("ghapp_deliveries_total", {"event": "unknown", "outcome": "bad_signature"}) == 31
