"""The job contract between the worker and the handlers: what a handler receives (`JobContext`), how it asks
to run later (`Retry`) or says a delivery can never be processed (`Unprocessable`), and the handler table
(`HandlerTable`, `find_handler`). Nothing here knows how delivery ids travel (see ghapp.runtime.queue).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ghapp.core.errors import GhappError
from ghapp.settings import Settings
from ghapp.store.inbox import Claim, Inbox

if TYPE_CHECKING:
    from ghapp.github import GitHubApp, InstallationAPI
    from ghapp.observability import Metrics, Tracing

log = logging.getLogger(__name__)


class JobError(GhappError):
    """The job layer's base: how a delivery ended (raised by a handler to tell the worker), or a queue message
    that carries no delivery of ours."""


class Retry(JobError):
    """Raised by a handler: run this delivery again in `after_s` seconds. It does not count as a failed
    attempt (rate limits, GitHub asking us to wait), until the delivery is a day old."""

    def __init__(self, after_s: float, reason: str = "asked to retry later") -> None:
        super().__init__(reason)
        self.after_s = max(0.0, after_s)
        self.reason = reason


class NotConfigured(JobError):
    """A handler needed the GitHub App credentials and there are none yet."""


class Unprocessable(JobError):
    """The delivery itself can never be processed (it names no installation, say): it fails at once with the
    reason, visible and re-runnable, instead of burning every retry on the same answer."""


@dataclass(frozen=True)
class JobContext:
    """Everything a handler gets for one delivery. The payload is the raw JSON dict GitHub sent."""

    delivery: Claim
    settings: Settings
    inbox: Inbox  # `inbox.db` is the Database the ghapp.store functions take for the App's own tables
    github_app: GitHubApp | None
    final_attempt: bool = False  # the last try before the delivery is marked failed: publish an outcome
    log: logging.Logger = field(default=log)
    metrics: Metrics | None = None  # e.g. `observe_reports(reports, ctx.metrics, ctx.tracing)`
    tracing: Tracing | None = None

    @cached_property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.delivery.payload)
        return data

    @property
    def event(self) -> str:
        return self.delivery.event

    @property
    def action(self) -> str | None:
        return self.delivery.action

    @property
    def github(self) -> GitHubApp:
        if self.github_app is None:
            raise NotConfigured("the GitHub App credentials are not configured: open /setup")
        return self.github_app

    def installation(self) -> InstallationAPI:
        """The GitHub API as the installation that sent this delivery."""
        if self.delivery.installation_id is None:
            raise Unprocessable(f"delivery {self.delivery.delivery_id} carries no installation")
        return self.github.installation(self.delivery.installation_id)


Handler = Callable[[JobContext], Awaitable[None]]
HandlerTable = Mapping[tuple[str, str] | str, Handler]


def find_handler(handlers: HandlerTable, event: str, action: str | None) -> Handler | None:
    """The handler for (event, action), else the one for the whole event."""
    return (handlers.get((event, action)) if action else None) or handlers.get(event)
