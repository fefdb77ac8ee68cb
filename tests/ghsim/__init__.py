"""A stateful GitHub simulator for tests: REST endpoints the App uses, over real HTTP or in-process, with
webhook sending and fault injection. See README.md."""

from __future__ import annotations

from typing import Any

import httpx

from ghapp.github.client import GitHubApp
from ghapp.settings import Settings
from tests.ghsim.app import create_app
from tests.ghsim.faults import Faults
from tests.ghsim.keys import KeyPair, test_keys
from tests.ghsim.payloads import Payloads
from tests.ghsim.server import ServerThread
from tests.ghsim.state import Delivery, SimState
from tests.ghsim.webhooks import deliver, send_webhook

WEBHOOK_SECRET = "It's a Secret to Everybody"
IN_PROCESS_URL = "http://ghsim.test/"


class GitHubSim:
    """The simulator: `state` (build the world, read the log), `faults`, `payloads`, and the App's settings.

    `start()` serves it on 127.0.0.1 (uvicorn in a thread); without it, `transport()` serves it in-process.
    `prefix="/api/v3"` serves it the way GitHub Enterprise Server does.
    """

    def __init__(
        self, *, prefix: str = "", app_id: int = 4242, webhook_secret: str = WEBHOOK_SECRET, keys: KeyPair | None = None
    ) -> None:
        self.keys = keys or test_keys()
        self.state = SimState(app_id=app_id, public_key_pem=self.keys.public_pem)
        self.faults = Faults()
        self.payloads = Payloads(self.state)
        self.prefix = prefix.rstrip("/")
        self.webhook_secret = webhook_secret
        self.asgi = create_app(self.state, self.faults, self.prefix)
        self.server: ServerThread | None = None
        self.state.api_url = self.api_url

    @property
    def root_url(self) -> str:
        return self.server.url if self.server is not None else IN_PROCESS_URL

    @property
    def api_url(self) -> str:
        """What `GHAPP_GITHUB_API_URL` should be: the root, plus `/api/v3` under a GitHub Enterprise prefix."""
        return self.root_url + (self.prefix.lstrip("/") + "/" if self.prefix else "")

    def start(self) -> GitHubSim:
        self.server = ServerThread(self.asgi).start()
        self.state.api_url = self.api_url
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> GitHubSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def transport(self) -> httpx.ASGITransport:
        """The simulator in-process, for `httpx.AsyncClient(transport=...)` and `GitHubApp(transport=...)`."""
        return httpx.ASGITransport(app=self.asgi)

    def settings(self, **overrides: Any) -> Settings:
        """Settings for an App talking to this simulator."""
        values: dict[str, Any] = {
            "app_id": str(self.state.app_id),
            "private_key": self.keys.private_pem,
            "webhook_secret": self.webhook_secret,
            "github_api_url": self.api_url,
        }
        return Settings(**{**values, **overrides})

    def github_app(self, **kwargs: Any) -> GitHubApp:
        """A `GitHubApp` wired to the simulator (over HTTP when started, in-process otherwise)."""
        if self.server is None:
            kwargs.setdefault("transport", self.transport())
        return GitHubApp(self.settings(), **kwargs)

    def send_webhook(
        self,
        app_url: str,
        event: str,
        payload: dict[str, Any] | bytes,
        *,
        secret: str | None = None,
        guid: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Delivery:
        """Sign and POST a delivery to the App (blocking), recorded for the hook deliveries API."""
        return send_webhook(
            app_url, event, payload, secret or self.webhook_secret, state=self.state, guid=guid, transport=transport
        )

    async def asend_webhook(
        self,
        app_url: str,
        event: str,
        payload: dict[str, Any] | bytes,
        *,
        secret: str | None = None,
        guid: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Delivery:
        return await deliver(
            self.state, app_url, event, payload, secret or self.webhook_secret, guid=guid, transport=transport
        )


__all__ = ["WEBHOOK_SECRET", "Delivery", "Faults", "GitHubSim", "SimState"]
