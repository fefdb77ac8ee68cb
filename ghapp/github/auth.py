"""Installation access tokens: fetched with the App JWT, cached per installation until shortly before expiry."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ghapp.clock import utcnow
from ghapp.github.errors import GitHubError

if TYPE_CHECKING:
    from ghapp.github.cache import Cache

# GitHub (and githubkit, which parses it with exactly this format) writes `expires_at` like 2016-07-11T22:14:10Z.
EXPIRES_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class InstallationToken:
    """A token and its expiry. Tokens can be ~520 characters (`ghs_APPID_...`): never log or truncate them."""

    value: str = field(repr=False)
    expires_at: datetime
    # what the installation granted, as the token reply lists it ({"checks": "write", ...}); None: not known
    permissions: Mapping[str, str] | None = field(default=None, compare=False)


def parse_token_reply(body: object) -> InstallationToken:
    """Read `POST /app/installations/{id}/access_tokens`'s 201 body."""
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        raise GitHubError("installation token reply has no token")
    try:
        expires = datetime.strptime(str(body.get("expires_at")), EXPIRES_AT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise GitHubError(f"installation token reply has a bad expires_at: {body.get('expires_at')!r}") from None
    return InstallationToken(body["token"], expires, _permissions(body.get("permissions")))


def _permissions(value: object) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    return {str(name): str(level) for name, level in value.items() if isinstance(level, str)}


class TokenCache:
    """Per-installation token cache shared by every call of a `GitHubApp`.

    Concurrent callers for the same installation wait on one fetch (one token request, not one per task).
    With `shared` (the App's cache: Redis when scaled out) other processes reuse a token one of them fetched;
    it is stored there until the refresh margin before its `expires_at`, so no process takes a token GitHub is
    about to reject.
    """

    def __init__(
        self,
        *,
        refresh_margin: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = utcnow,
        shared: Cache | None = None,
    ):
        self._margin = refresh_margin
        self._clock = clock
        self._shared = shared
        self._tokens: dict[int, InstallationToken] = {}
        self._guard = threading.Lock()
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Lock]] = (
            weakref.WeakKeyDictionary()
        )

    def _fresh(self, installation_id: int) -> InstallationToken | None:
        with self._guard:
            token = self._tokens.get(installation_id)
        if token is not None and token.expires_at - self._margin > self._clock():
            return token
        return None

    def _lock(self, installation_id: int) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._guard:
            return self._locks.setdefault(loop, {}).setdefault(installation_id, asyncio.Lock())

    async def get(self, installation_id: int, fetch: Callable[[int], Awaitable[InstallationToken]]) -> str:
        token = self._fresh(installation_id)
        if token is not None:
            return token.value
        async with self._lock(installation_id):
            token = self._fresh(installation_id) or self._from_shared(installation_id)
            if token is None:
                token = await fetch(installation_id)
                self._to_shared(installation_id, token)
            with self._guard:
                self._tokens[installation_id] = token
        return token.value

    def _from_shared(self, installation_id: int) -> InstallationToken | None:
        if self._shared is None:
            return None
        entry = self._shared.get(_shared_key(installation_id))
        try:
            token = InstallationToken(
                str(entry["token"]), datetime.fromisoformat(entry["expires_at"]), _permissions(entry.get("permissions"))
            )
            return token if token.expires_at - self._margin > self._clock() else None
        except (TypeError, KeyError, ValueError, AttributeError):
            return None  # absent, or not a token entry

    def _to_shared(self, installation_id: int, token: InstallationToken) -> None:
        if self._shared is not None:
            ttl = (token.expires_at - self._margin - self._clock()).total_seconds()
            self._shared.set(
                _shared_key(installation_id),
                {"token": token.value, "expires_at": token.expires_at.isoformat()}
                | ({"permissions": dict(token.permissions)} if token.permissions is not None else {}),
                ttl,
            )

    async def permissions(
        self, installation_id: int, fetch: Callable[[int], Awaitable[InstallationToken]]
    ) -> Mapping[str, str] | None:
        """The permissions the installation granted, from its current token (fetched if need be); None when the
        token reply did not list them."""
        await self.get(installation_id, fetch)
        with self._guard:
            token = self._tokens.get(installation_id)
        return token.permissions if token is not None else None

    def invalidate(self, installation_id: int) -> None:
        """Forget a token GitHub refused (revoked, or expired early), here and in the shared cache."""
        with self._guard:
            self._tokens.pop(installation_id, None)
        if self._shared is not None:
            self._shared.delete(_shared_key(installation_id))


def _shared_key(installation_id: int) -> str:
    return f"installation-token:{installation_id}"
