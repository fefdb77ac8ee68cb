"""Missed-delivery support against the simulator: failed deliveries found through the cursor-paged log, and
redelivered with the same guid."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ghapp.github.deliveries import FailedDelivery, list_failed_deliveries, redeliver
from tests.ghsim import GitHubSim
from tests.ghsim.server import ServerThread


class Receiver:
    """A stand-in for the App's webhook endpoint: answers 500 while a guid is in `failing`."""

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.received: list[tuple[str, dict[str, str]]] = []
        self.app = Starlette(routes=[Route("/api/github/webhooks", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        guid = request.headers["x-github-delivery"]
        await request.body()
        self.received.append((guid, dict(request.headers)))
        return Response(status_code=500 if guid in self.failing else 202)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    rec = Receiver()
    server = ServerThread(rec.app).start()
    try:
        yield rec, server.url + "api/github/webhooks"
    finally:
        server.stop()


def test_failed_deliveries_are_listed_once_per_guid_and_redelivered(
    ghsim: GitHubSim, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    ghsim.state.create_installation("octo-org")
    ghsim.state.create_repo("octo-org/hello")
    pull = ghsim.state.create_pull("octo-org/hello")
    payload = ghsim.payloads.pull_request("octo-org/hello", pull.number, "opened")
    since = ghsim.state.clock.now() - timedelta(seconds=1)
    rec.failing = {f"guid-{i}" for i in range(0, 110, 10)}  # 11 of 110 fail
    for i in range(110):
        ghsim.send_webhook(url, "pull_request", payload, guid=f"guid-{i}")
    # guid-0 failed, then a redelivery succeeded: not failed any more
    rec.failing.discard("guid-0")
    ghsim.send_webhook(url, "pull_request", payload, guid="guid-0")
    app = ghsim.github_app()

    async def main() -> list[FailedDelivery]:
        async with app:
            failed = await list_failed_deliveries(app, since)
            for item in failed:
                await redeliver(app, item.delivery_id)
            return failed

    rec.failing.clear()
    failed = asyncio.run(main())
    assert sorted(f.guid for f in failed) == sorted(f"guid-{i}" for i in range(10, 110, 10))
    assert all(f.status == "Invalid HTTP Response: 500" and f.status_code == 500 for f in failed)
    assert all(f.event == "pull_request" and f.action == "opened" for f in failed)
    pages = ghsim.state.requests("GET", r"^/app/hook/deliveries$")
    assert len(pages) == 2 and "cursor" in pages[1].query  # 111 deliveries, 100 a page
    assert all(r.auth == "app" for r in ghsim.state.requests(path=r"^/app/hook/"))
    redelivered = [guid for guid, headers in rec.received[-10:]]
    assert sorted(redelivered) == sorted(f.guid for f in failed)
    latest = {d.guid: d for d in ghsim.state.deliveries}
    assert all(latest[f.guid].redelivery and latest[f.guid].status == "OK" for f in failed)


def test_listing_stops_at_since(ghsim: GitHubSim, receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    rec.failing = {"old", "new"}
    ghsim.send_webhook(url, "ping", {"zen": "Keep it logically awesome."}, guid="old")
    ghsim.state.clock.advance(3600)
    since = ghsim.state.clock.now()
    ghsim.send_webhook(url, "ping", {"zen": "Keep it logically awesome."}, guid="new")
    app = ghsim.github_app()

    async def main() -> list[FailedDelivery]:
        async with app:
            return await list_failed_deliveries(app, since)

    assert [f.guid for f in asyncio.run(main())] == ["new"]
