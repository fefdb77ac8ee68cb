"""Which repositories a signed-in user may see on the dashboard, and which of them they administer: GitHub's
answer, cached briefly.

GitHub lists an installation for anyone with access to any one of its repositories, so seeing an
installation says nothing about its other repositories. Every page asks
`GET /user/installations/{id}/repositories` with the user's own token (kept sealed in the session cookie)
and shows only those repositories; the same answer carries each repository's `permissions` for that user,
whose `admin` bit opens the what-if form of the details page (no call of its own, and the user's token
speaks only for the user: the App's own token would answer for anyone it is asked about). The answer is
cached for `ttl_s` seconds per user and installation, and actions (re-run, what-if) ask again without the
cache. A token GitHub refuses, or GitHub not answering, means nothing is visible and nothing administered:
the page answers as for an installation the user cannot see.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType

import httpx

from ghapp.github import oauth
from ghapp.github.errors import GitHubError
from ghapp.web.auth import UserSession

log = logging.getLogger(__name__)
TTL_S = 60.0
_MAX_ENTRIES = 10_000
_NOTHING: Mapping[str, bool] = MappingProxyType({})


class RepositoryAccess:
    def __init__(
        self,
        api_url: Callable[[], str],
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api_url = api_url
        self._transport = transport
        self.ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[tuple[str, int], tuple[float, Mapping[str, bool]]] = {}
        self._lock = threading.Lock()
        self.asked = 0  # questions put to GitHub (tests count them)

    async def repositories(self, user: UserSession, installation_id: int, *, fresh: bool = False) -> frozenset[str]:
        """Lower-case full names of the installation's repositories `user` may see."""
        return frozenset(await self._answer(user, installation_id, fresh=fresh))

    async def administers(
        self, user: UserSession, installation_id: int, repository: str, *, fresh: bool = False
    ) -> bool:
        """Whether `user` has admin permission on `repository` (of that installation), as GitHub said."""
        return (await self._answer(user, installation_id, fresh=fresh)).get(repository.lower(), False)

    async def _answer(self, user: UserSession, installation_id: int, *, fresh: bool) -> Mapping[str, bool]:
        """Lower-case full name -> admin, for the installation's repositories `user` may see."""
        if not user.sees(installation_id) or not user.token:
            return _NOTHING
        key = (hashlib.sha256(user.token.encode()).hexdigest(), installation_id)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now and not fresh:
            return cached[1]
        self.asked += 1
        try:
            found: Mapping[str, bool] = MappingProxyType(
                await oauth.installation_repositories(
                    self._api_url(), user.token, installation_id, transport=self._transport
                )
            )
        except GitHubError as exc:
            log.warning(
                "cannot list the repositories a user may see",
                extra={"user": user.login, "installation_id": installation_id, "reason": str(exc)},
            )
            found = _NOTHING
        with self._lock:
            if len(self._cache) >= _MAX_ENTRIES:
                self._cache.clear()
            self._cache[key] = (now + self.ttl_s, found)
        return found
