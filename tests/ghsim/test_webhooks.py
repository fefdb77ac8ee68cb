"""Deliveries are signed and sent with GitHub's headers, recorded with the App's answer, listed and redelivered
through the hook deliveries API; payload builders fill real example payloads with the simulator's state."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.ghsim import GitHubSim
from tests.ghsim.helpers import app_jwt, client, small_world
from tests.ghsim.payloads import WEBHOOKS
from tests.ghsim.server import ServerThread
from tests.ghsim.state import CheckRun
from tests.ghsim.webhooks import signature_256


def test_signature_matches_githubs_documented_vector() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_256("It's a Secret to Everybody", b"Hello, World!") == expected


class Hook:
    def __init__(self) -> None:
        self.status = 202
        self.seen: list[tuple[dict[str, str], bytes]] = []
        self.app = Starlette(routes=[Route("/hook", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        self.seen.append((dict(request.headers), await request.body()))
        return Response(b'{"ok": true}', status_code=self.status, media_type="application/json")


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    target = Hook()
    server = ServerThread(target.app).start()
    try:
        yield target, server.url + "hook"
    finally:
        server.stop()


def test_delivery_headers_signature_and_record(ghsim: GitHubSim, hook: tuple[Hook, str]) -> None:
    target, url = hook
    world = small_world(ghsim)
    payload = ghsim.payloads.pull_request("octo-org/hello", 1, "opened")
    delivery = ghsim.send_webhook(url, "pull_request", payload)
    headers, body = target.seen[0]
    assert headers["x-github-event"] == "pull_request" and headers["x-github-delivery"] == delivery.guid
    assert headers["user-agent"].startswith("GitHub-Hookshot/") and headers["x-github-hook-id"].isdigit()
    assert headers["x-github-hook-installation-target-type"] == "integration"
    assert headers["x-github-hook-installation-target-id"] == str(ghsim.state.app_id)
    secret = ghsim.webhook_secret.encode()
    assert headers["x-hub-signature-256"] == "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    assert headers["x-hub-signature"] == "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()
    assert json.loads(body)["installation"]["id"] == world["installation"].id
    assert (delivery.status, delivery.status_code, delivery.action) == ("OK", 202, "opened")
    assert delivery.repository_id == world["repo"].id
    target.status = 500
    failed = ghsim.send_webhook(url, "pull_request", payload)
    assert (failed.status, failed.status_code) == ("Invalid HTTP Response: 500", 500)
    unreachable = ghsim.send_webhook("http://127.0.0.1:9/hook", "ping", {"zen": "z"})
    assert (unreachable.status, unreachable.status_code) == ("failed to connect to host", 0)


def test_raw_fixture_bytes_are_sent_unchanged(ghsim: GitHubSim, hook: tuple[Hook, str]) -> None:
    target, url = hook
    raw = (WEBHOOKS / "ping" / "payload.json").read_bytes()
    ghsim.send_webhook(url, "ping", raw)
    assert target.seen[0][1] == raw


def test_deliveries_api_lists_newest_first_with_cursor_and_redelivers(ghsim: GitHubSim, hook: tuple[Hook, str]) -> None:
    target, url = hook
    small_world(ghsim)
    payload = ghsim.payloads.pull_request("octo-org/hello", 1, "synchronize")
    target.status = 500
    first = ghsim.send_webhook(url, "pull_request", payload)
    target.status = 202
    for _ in range(4):
        ghsim.send_webhook(url, "pull_request", payload)
    with client(ghsim, f"Bearer {app_jwt(ghsim)}") as app:
        page = app.get("app/hook/deliveries", params={"per_page": 2})
        ids = [d["id"] for d in page.json()]
        assert ids == sorted(ids, reverse=True) and len(ids) == 2
        following = app.get(page.links["next"]["url"])
        third = app.get(following.links["next"]["url"])
        assert "next" not in third.links and third.json()[-1]["id"] == first.id
        failed = app.get("app/hook/deliveries", params={"status": "failure"}).json()
        assert [(d["guid"], d["status_code"], d["redelivery"]) for d in failed] == [(first.guid, 500, False)]
        detail = app.get(f"app/hook/deliveries/{first.id}").json()
        assert detail["request"]["headers"]["X-GitHub-Delivery"] == first.guid
        assert app.post(f"app/hook/deliveries/{first.id}/attempts").status_code == 202
        assert app.post("app/hook/deliveries/1/attempts").status_code == 404
    again = ghsim.state.deliveries[-1]
    assert (again.guid, again.redelivery, again.status) == (first.guid, True, "OK")
    assert target.seen[-1][0]["x-github-delivery"] == first.guid
    assert target.seen[-1][1] == target.seen[0][1]  # the same bytes, so the same signature


def test_in_process_delivery_to_an_asgi_app(ghsim_inprocess: GitHubSim) -> None:
    target = Hook()
    delivery = asyncio.run(
        ghsim_inprocess.asend_webhook(
            "http://app.test/hook", "ping", {"zen": "z"}, transport=httpx.ASGITransport(app=target.app)
        )
    )
    assert delivery.status == "OK" and len(target.seen) == 1


def test_payload_builders_fill_real_payloads_with_the_simulators_state(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    new_head = ghsim.state.push("octo-org/hello", 1, {"src/app.py": "x = 3\n"})
    sync = ghsim.payloads.pull_request("octo-org/hello", 1, "synchronize")
    assert (sync["before"], sync["after"]) == (world["pull"].commits[0], new_head)
    pr = sync["pull_request"]
    assert pr["head"]["sha"] == new_head and pr["number"] == sync["number"] == 1
    assert pr["base"]["sha"] == world["pull"].base_sha and pr["user"]["login"] == "alice"
    assert sync["repository"]["full_name"] == "octo-org/hello" and sync["organization"]["login"] == "octo-org"
    assert sync["installation"]["id"] == world["installation"].id
    assert "_links" in pr and "diff_url" in pr  # the rest of the real payload is kept
    edited = ghsim.payloads.pull_request("octo-org/hello", 1, "edited")  # no example upstream: built on opened
    assert edited["action"] == "edited"
    review = ghsim.state.add_review("octo-org/hello", 1, "bob", "APPROVED")
    submitted = ghsim.payloads.pull_request_review("octo-org/hello", 1, review.id)
    assert submitted["review"]["state"] == "approved"  # webhooks spell states in lower case
    assert submitted["review"]["commit_id"] == new_head and submitted["sender"]["login"] == "bob"
    push = ghsim.payloads.push("octo-org/hello", world["pull"].head_ref, world["pull"].commits[0], new_head)
    assert [c["id"] for c in push["commits"]] == [new_head] and push["head_commit"]["id"] == new_head
    suite = ghsim.payloads.check_suite("octo-org/hello", new_head, pulls=[1])
    assert suite["check_suite"]["head_sha"] == new_head
    assert suite["check_suite"]["pull_requests"][0]["head"]["sha"] == new_head
    assert suite["check_suite"]["head_branch"] == world["pull"].head_ref
    run = CheckRun(
        ghsim.state.next_id(), "octo-org/hello", "lint", new_head, "completed", "failure", ghsim.state.clock.now()
    )
    ghsim.state.check_runs[run.id] = run
    action = ghsim.payloads.check_run("octo-org/hello", run.id, "requested_action", identifier="rerun")
    assert action["requested_action"] == {"identifier": "rerun"} and action["check_run"]["head_sha"] == new_head
    created = ghsim.payloads.installation(world["installation"])
    assert [r["full_name"] for r in created["repositories"]] == ["octo-org/hello"]
