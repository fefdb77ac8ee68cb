"""Property-based fuzzing of `POST /api/github/webhooks` through the real App: whatever arrives, the answer is
a deliberate 202/400/401/413 (never a 500), nothing is accepted without a valid signature, and a validly
signed JSON object is recorded exactly once (again: a duplicate, still one row)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ghapp.app import create_app
from ghapp.runtime.webhooks import WEBHOOK_PATH
from ghapp.settings import Settings
from ghapp.store.deliveries import Delivery
from ghapp.store.inbox import Inbox
from tests.conftest import WEBHOOK_SECRET, TestClient, sign

LIMIT = 4096  # a small body limit so sizes around it are cheap to try
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALLOWED = {202, 400, 401, 413}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    app_settings = Settings(
        app_id="12345",
        private_key="-----BEGIN RSA PRIVATE KEY-----\nfuzz\n-----END RSA PRIVATE KEY-----\n",
        webhook_secret=WEBHOOK_SECRET,
        database_url=f"sqlite:///{tmp / 'ghapp.db'}",
        queue_path=str(tmp / "queue.db"),
        data_dir=tmp / "var",
        github_api_url="http://127.0.0.1:9",
        max_body_bytes=LIMIT,
        replay_window_s=0,
    )  # generated bodies repeat under fresh ids; the replay window is tested in test_replay_across_processes.py
    with TestClient(create_app(app_settings, run_worker=False), raise_server_exceptions=False) as test_client:
        yield test_client


def inbox(client: TestClient) -> Inbox:
    box: Inbox = client.app.state.inbox  # type: ignore[attr-defined]
    return box


def rows(client: TestClient, delivery_id: str) -> int:
    with inbox(client).db.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(Delivery).where(Delivery.delivery_id == delivery_id)
            ).scalar_one()
        )  # type: ignore[arg-type]


def total(client: TestClient) -> int:
    with inbox(client).db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Delivery)).scalar_one())


_names = st.sampled_from(["pull_request", "ping", "installation", "push", "check_run", "unknown_event_x"])
_header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80)
_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
# Values under the keys the web tier reads before recording (action, installation, repository, pull_request...),
# with the types and sizes GitHub never sends.
_odd_values = (
    _json
    | st.integers(min_value=2**31, max_value=2**70)
    | st.integers(max_value=-1)
    | st.text(min_size=65, max_size=300)
    | st.sampled_from(["a\x00b", "\u2028", "\ud7ff"])
)
_routing_keys = st.sampled_from(
    [
        "action",
        "installation",
        "repository",
        "pull_request",
        "number",
        "issue",
        "check_suite",
        "check_run",
        "sender",
        "hook",
    ]
)
_payloads = st.dictionaries(
    _routing_keys,
    _odd_values
    | st.dictionaries(
        st.sampled_from(["id", "full_name", "number", "pull_requests", "pull_request", "login"]),
        _odd_values,
        max_size=4,
    ),
    max_size=6,
)


def post(client: TestClient, body: bytes, headers: dict[str, str]) -> Any:
    # bytes: header values may carry any Latin-1 octet, as on the wire
    return client.post(WEBHOOK_PATH, content=body, headers={k: v.encode("latin-1") for k, v in headers.items()})


@FUZZ
@given(
    body=st.binary(max_size=LIMIT + 64),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "X-GitHub-Event",
                "X-GitHub-Delivery",
                "X-Hub-Signature-256",
                "X-Hub-Signature",
                "Content-Type",
                "Content-Encoding",
                "X-GitHub-Hook-ID",
                "User-Agent",
            ]
        ),
        _header_text,
        max_size=8,
    ),
    signed=st.booleans(),
)
def test_arbitrary_requests_never_fail_and_nothing_unsigned_is_accepted(
    client: TestClient, body: bytes, headers: dict[str, str], signed: bool
) -> None:
    if signed:
        headers["X-Hub-Signature-256"] = sign(WEBHOOK_SECRET, body)
    before = total(client)
    response = post(client, body, headers)
    assert response.status_code in ALLOWED, response.text
    if response.status_code == 202:  # only possible with a correct signature over these exact bytes
        assert headers.get("X-Hub-Signature-256") == sign(WEBHOOK_SECRET, body)
        assert rows(client, headers["X-GitHub-Delivery"]) == 1
    else:
        assert total(client) == before
        assert "error" in response.json()


@FUZZ
@given(payload=_payloads, event=_names)
@example(payload={"pull_request": "x"}, event="pull_request")
@example(payload={"issue": [1]}, event="issue_comment")
@example(payload={"check_run": "s"}, event="check_run")
@example(payload={"check_suite": {"pull_requests": "a"}}, event="check_suite")
@example(payload={"installation": {"id": 2**70}}, event="ping")
@example(payload={"number": 2**40}, event="pull_request")
def test_a_signed_json_object_is_recorded_exactly_once(client: TestClient, payload: dict[str, Any], event: str) -> None:
    delivery_id = str(uuid.uuid4())  # fresh: the database outlives examples, and Hypothesis replays them
    body = json.dumps(payload).encode()
    assume(len(body) <= LIMIT)
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
        "Content-Type": "application/json",
    }
    first = post(client, body, headers)
    assert first.status_code == 202, first.text
    assert first.json()["status"] in ("accepted", "ignored")
    again = post(client, body, headers)
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    assert rows(client, delivery_id) == 1
    row = inbox(client).get(delivery_id)
    assert row is not None and row.payload.encode() == body


def _digest(body: bytes) -> str:
    return hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


SIGNATURE_FORMS: dict[str, Callable[[bytes], str]] = {
    "sha1 prefix": lambda b: "sha1=" + hmac.new(WEBHOOK_SECRET.encode(), b, hashlib.sha1).hexdigest(),
    "sha1 prefix, sha256 digest": lambda b: "sha1=" + _digest(b),
    "uppercase hex": lambda b: "sha256=" + _digest(b).upper(),
    "uppercase prefix": lambda b: "SHA256=" + _digest(b),
    "missing prefix": _digest,
    "truncated": lambda b: "sha256=" + _digest(b)[:-1],
    "empty digest": lambda b: "sha256=",
    "extra character": lambda b: "sha256=" + _digest(b) + "0",
    "leading space": lambda b: " sha256=" + _digest(b),
    "two signatures": lambda b: f"sha256={_digest(b)},sha256={_digest(b)}",
    "other secret": lambda b: sign("It's a Secret to Everybody!", b),
    "non-ascii": lambda b: "sha256=" + _digest(b)[:-1] + "\u00e9",
}


@pytest.mark.parametrize("form", SIGNATURE_FORMS)
def test_every_wrong_signature_form_is_refused(client: TestClient, form: str) -> None:
    body = b'{"zen": "Keep it logically awesome."}'
    delivery_id = f"sigform-{abs(hash(form)) % 10**9}"
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": SIGNATURE_FORMS[form](body),
    }
    response = post(client, body, headers)
    assert (response.status_code, response.json()) == (401, {"error": "signature invalid"})
    assert rows(client, delivery_id) == 0
    # the legacy header alone, however correct, is not a signature the App accepts
    legacy = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature": "sha1=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha1).hexdigest(),
    }
    assert post(client, body, legacy).status_code == 401


ENCODINGS = {
    "utf-16": '{"zen": "caf\u00e9"}'.encode("utf-16"),
    "utf-16-le without BOM": '{"zen": "x"}'.encode("utf-16-le"),
    "utf-8 BOM": b"\xef\xbb\xbf" + b'{"zen": "x"}',
    "latin-1": '{"zen": "caf\u00e9"}'.encode("latin-1"),
    "lone surrogate escape": b'{"zen": "\xed\xa0\x80"}',
    "overlong utf-8": b'{"zen": "\xc0\xaf"}',
    "utf-32": '{"zen": "x"}'.encode("utf-32"),
    "array": b"[1, 2]",
    "string": b'"hello"',
    "trailing garbage": b'{"zen": "x"} {}',
    "NaN": b'{"zen": NaN}',
    "empty": b"",
}


@pytest.mark.parametrize("name", ENCODINGS)
def test_signed_bodies_that_are_not_a_utf8_json_object_are_a_400(client: TestClient, name: str) -> None:
    body = ENCODINGS[name]
    delivery_id = f"enc-{abs(hash(name)) % 10**9}"
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
    }
    response = post(client, body, headers)
    if name == "NaN":  # Python's JSON reader takes NaN; the row must then still be stored as sent
        assert response.status_code == 202
        row = inbox(client).get(delivery_id)
        assert row is not None and row.payload.encode() == body
        return
    assert response.status_code == 400, response.text
    assert "JSON" in response.json()["error"]
    assert rows(client, delivery_id) == 0


def test_a_signed_body_nested_too_deeply_is_a_400(make_settings: Callable[..., Settings]) -> None:
    body = b'{"zen": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # Python's JSON reader recurses per level
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": "deep-1",
        "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
    }
    with TestClient(create_app(make_settings(), run_worker=False), raise_server_exceptions=False) as deep:
        response = post(deep, body, headers)
        assert (response.status_code, response.json()) == (400, {"error": "body is not valid JSON: nested too deeply"})
        assert rows(deep, "deep-1") == 0


def _padded(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    skeleton = b'{"zen": ""}'
    return skeleton[:-2] + b"x" * (size - len(skeleton)) + b'"}'


@pytest.mark.parametrize(("size", "status"), [(LIMIT - 1, 202), (LIMIT, 202), (LIMIT + 1, 413), (LIMIT * 4, 413)])
@pytest.mark.parametrize("declared", [True, False])
def test_sizes_around_the_limit(client: TestClient, size: int, status: int, declared: bool) -> None:
    body = _padded(size)
    assert len(body) == size
    delivery_id = f"size-{size}-{declared}"
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
    }
    if declared:
        response = post(client, body, headers)
    else:  # chunked: no Content-Length, the limit is enforced while streaming
        response = client.post(
            WEBHOOK_PATH, content=iter([body[i : i + 1000] for i in range(0, size, 1000)]), headers=headers
        )
    assert response.status_code == status
    assert rows(client, delivery_id) == (1 if status == 202 else 0)


@pytest.mark.parametrize(
    ("event", "delivery_id", "status"),
    [
        ("ping", "", 400),
        ("", "d-1", 400),
        ("ping", "x" * 64, 202),
        ("ping", "x" * 65, 400),
        ("p" * 65, "d-2", 400),
        ("ping", "d 3", 400),
        ("ping", "d-4\u00e9", 400),
        ("ping", "../../etc/passwd", 400),
        ("ping ", "d-5", 400),
        ("PING", "d-6", 202),  # GitHub never sends it; recorded as an event no handler wants
        ("pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958", 202),
    ],
)
def test_event_and_delivery_header_edges(client: TestClient, event: str, delivery_id: str, status: int) -> None:
    body = b'{"zen": "x", "hook_id": 1}'
    headers = {
        "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id,
    }
    response = post(client, body, headers)
    assert response.status_code == status, response.text
    if status == 202 and delivery_id:
        assert rows(client, delivery_id) == 1


def test_repeated_headers_do_not_confuse_the_signature(client: TestClient) -> None:
    body = b'{"zen": "x"}'
    good = sign(WEBHOOK_SECRET, body)
    headers = [
        ("X-GitHub-Event", "ping"),
        ("X-GitHub-Delivery", "dup-headers-1"),
        ("X-Hub-Signature-256", "sha256=" + "0" * 64),
        ("X-Hub-Signature-256", good),
    ]
    response = client.post(WEBHOOK_PATH, content=body, headers=headers)
    # Starlette reads the first value: a forged first header cannot be rescued by a valid second one.
    assert response.status_code == 401
    assert rows(client, "dup-headers-1") == 0


@pytest.mark.postgres
@pytest.mark.parametrize(
    "payload",
    [
        {"action": "a" * 65},
        {"action": "x\u0000y"},
        {"repository": {"full_name": "o/" + "r" * 300}},
        {"installation": {"id": 2**64}},
        {"number": 2**40, "pull_request": {"number": 2**33}},
    ],
)
def test_postgres_records_odd_routing_values_too(tmp_path: Path, pg_database: str, payload: dict[str, Any]) -> None:
    """PostgreSQL checks column widths and ranges that SQLite does not: a signed delivery whose routing
    fields are out of range is still recorded (with those fields left empty), not refused with a 503."""
    app_settings = Settings(
        app_id="12345",
        private_key="-----BEGIN RSA PRIVATE KEY-----\nfuzz\n-----END RSA PRIVATE KEY-----\n",
        webhook_secret=WEBHOOK_SECRET,
        database_url=pg_database,
        queue_path=str(tmp_path / "queue.db"),
        data_dir=tmp_path / "var",
        github_api_url="http://127.0.0.1:9",
    )
    body = json.dumps(payload).encode()
    delivery_id = f"pg-odd-{hashlib.sha1(body).hexdigest()[:16]}"
    with TestClient(create_app(app_settings, run_worker=False), raise_server_exceptions=False) as pg_client:
        response = post(
            pg_client,
            body,
            {
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": delivery_id,
                "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
            },
        )
        assert response.status_code == 202, response.text
        row = inbox(pg_client).get(delivery_id)
        assert row is not None and row.payload.encode() == body
    inbox(pg_client).db.engine.dispose()
