"""One-time setup through GitHub's manifest flow: register the App from `app.yml`, store its credentials, install.

    GET  /setup            form: setup token, personal account or organisation, GitHub host, App name
    POST /setup            checks the setup token, then a review page whose button POSTs the manifest to GitHub
                           (`.../settings/apps/new?state=`)
    GET  /setup/callback   checks `state` (only issued after the token), trades `code` for the credentials,
                           stores them (0600), sends the admin to the App's install page
Whoever completes setup decides which GitHub the App trusts (its credentials, API and webhook secret), so the
first visitor must not be able to: setup needs the one-time token from the log / `GHAPP_DATA_DIR/setup-token`,
a host other than github.com must be https (unless it is the one configured in the environment) and be
confirmed explicitly. Once credentials exist every /setup URL answers 404: setup cannot be replayed.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml
from itsdangerous import URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghapp.credentials import (
    AppCredentials,
    CredentialsError,
    discard_setup_token,
    save_credentials,
    session_secret,
    setup_token,
)
from ghapp.github.errors import GitHubError
from ghapp.github.manifest import convert_manifest_code
from ghapp.observability.logs import LogBudget
from ghapp.resources import app_manifest_path
from ghapp.settings import Settings
from ghapp.web.flow_state import FlowState
from ghapp.web.render import message, page

log = logging.getLogger(__name__)
_STATE_MAX_AGE_S = 3600  # GitHub's own limit: the whole flow must finish within an hour
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")  # GitHub user and organisation names
_MAX_APP_NAME = 34  # GitHub rejects longer App names


def build_manifest(public_url: str, name: str | None = None, source: Path | None = None) -> dict[str, Any]:
    """`app.yml` with `{public_url}` filled in: the JSON GitHub's "register an App" form accepts."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{public_url}", public_url.rstrip("/"))
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    manifest: dict[str, Any] = fill(yaml.safe_load((source or app_manifest_path()).read_text(encoding="utf-8")))
    if name:
        manifest["name"] = name
    return manifest


def github_urls(host: str, settings: Settings) -> tuple[str, str]:
    """(web URL, API URL) for the host the admin typed: `github.com`, a GHES host name, or a full URL."""
    raw = host.strip() or settings.github_web_url
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.path.strip("/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(f"{host!r} is not a GitHub host name")
    web = f"{parts.scheme}://{parts.netloc}".lower()
    if web == settings.github_web_url.rstrip("/").lower():  # the one the operator configured: trusted as set
        return web, settings.github_api_url.rstrip("/")
    if parts.scheme != "https":  # credentials and webhook secret would cross the network in clear
        raise ValueError(f"{host!r}: a GitHub host other than the configured one must use https")
    if parts.hostname == "github.com":
        return web, "https://api.github.com"
    return web, f"{web}/api/v3"  # GitHub Enterprise Server serves its API under /api/v3


class SetupFlow:
    """The setup routes for one process. `on_saved` lets the composition root start using new credentials."""

    def __init__(
        self,
        settings: Settings,
        on_saved: Callable[[AppCredentials], None] | None = None,
        github_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._on_saved = on_saved
        self._transport = github_transport
        signer = URLSafeTimedSerializer(session_secret(settings.data_dir, settings.session_secret), "ghapp-setup")
        self._states = FlowState(signer, "ghapp_setup", "/setup", _STATE_MAX_AGE_S)
        self._token = ""
        self.refusals = LogBudget()  # wrong setup tokens: anyone who reaches the page can send them
        if not self.closed:
            self._token = setup_token(settings.data_dir)
            log.warning(
                "The App is not set up: open %s/setup and enter the setup token %s (also in %s, "
                "readable by this server's user only)",
                settings.public_url.rstrip("/"),
                self._token,
                settings.data_dir / "setup-token",
            )

    @property
    def closed(self) -> bool:
        return self.settings.has_app_credentials or self.settings.credentials_file.exists()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/setup", self.form, methods=["GET"]),
            Route("/setup", self.review, methods=["POST"]),
            Route("/setup/callback", self.callback, methods=["GET"]),
        ]

    def _closed(self, request: Request) -> Response:
        return message(request, "Not found", "This App is set up already.", 404)

    async def form(
        self,
        request: Request,
        error: str = "",
        values: dict[str, str] | None = None,
        status: int = 400,
        confirm_host: str = "",
    ) -> Response:
        if self.closed:
            return self._closed(request)
        defaults = {
            "account": "personal",
            "org": "",
            "host": self.settings.github_web_url,
            "name": build_manifest(self.settings.public_url)["name"],
            "token": "",
            "confirm": "",
        }
        return page(
            request,
            "setup.html",
            status_code=status if error else 200,
            title="Set up prompt-to-pr",
            error=error,
            values={**defaults, **(values or {})},
            public_url=self.settings.public_url,
            local="localhost" in self.settings.public_url or "127.0.0.1" in self.settings.public_url,
            token_file=self.settings.data_dir / "setup-token",
            confirm_host=confirm_host,
        )

    def _token_ok(self, offered: str) -> bool:
        expected = self._token or setup_token(self.settings.data_dir)
        return hmac.compare_digest(expected.encode(), offered.encode("utf-8", "replace"))

    async def review(self, request: Request) -> Response:
        if self.closed:
            return self._closed(request)
        form = await request.form()
        values = {k: str(form.get(k, "")).strip() for k in ("account", "org", "host", "name", "token", "confirm")}
        if not self._token_ok(values["token"]):
            self.refusals.warning(
                log,
                "setup refused: wrong or missing setup token",
                extra={"client": request.client.host if request.client else None},
            )
            return await self.form(
                request,
                "The setup token is not right: it is in the server's log and in the data directory.",
                {**values, "token": ""},
                status=403,
            )
        try:
            web, api = github_urls(values["host"], self.settings)
        except ValueError as exc:
            return await self.form(request, str(exc), values)
        if urlsplit(web).hostname != "github.com" and values["confirm"] != web:
            return await self.form(
                request,
                f"Confirm that the App is to trust {web}: it will hold the App's "
                "private key, answer its API calls and sign its webhooks.",
                values,
                confirm_host=web,
            )
        if values["account"] == "org" and not _LOGIN.match(values["org"]):
            return await self.form(request, "Enter the organisation's name as it appears in its GitHub URL.", values)
        if not values["name"] or len(values["name"]) > _MAX_APP_NAME:
            return await self.form(request, f"The App name must be 1 to {_MAX_APP_NAME} characters.", values)
        state = FlowState.new()
        owner = f"/organizations/{values['org']}" if values["account"] == "org" else ""
        manifest = build_manifest(self.settings.public_url, values["name"])
        response = page(
            request,
            "setup_review.html",
            title="Register the App on GitHub",
            action=f"{web}{owner}/settings/apps/new?state={state}",
            manifest=manifest,
            manifest_json=json.dumps(manifest),
            owner=values["org"] if owner else "your account",
        )
        self._states.keep(response, state, secure=request.url.scheme == "https", web=web, api=api)
        return response

    async def callback(self, request: Request) -> Response:
        if self.closed:
            return self._closed(request)
        code, pending = request.query_params.get("code", ""), self._states.returned(request)
        if not code or pending is None:
            return message(
                request,
                "Setup link not valid",
                "This link does not match the setup started in this "
                "browser, or it is over an hour old. Start again from /setup.",
                400,
            )
        try:
            body = await convert_manifest_code(pending["api"], code, transport=self._transport)
            creds = AppCredentials.from_conversion(body, pending["web"], pending["api"])
            save_credentials(self.settings.credentials_file, creds)
        except (GitHubError, CredentialsError) as exc:
            return message(request, "Setup failed", f"{exc}. Start again from /setup.", 502)
        log.info("App registered", extra={"app_id": creds.app_id, "app_slug": creds.slug})
        discard_setup_token(self.settings.data_dir)
        if self._on_saved is not None:
            self._on_saved(creds)
        response = RedirectResponse(creds.install_url(), status_code=303)
        self._states.forget(response)
        return response
