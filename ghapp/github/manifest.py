"""The manifest flow's one API call: trade the temporary code for the new App's id, key and secrets."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from ghapp.github.errors import GitHubError

_TIMEOUT = httpx.Timeout(15.0)


async def convert_manifest_code(
    api_url: str, code: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, Any]:
    """`POST /app-manifests/{code}/conversions` (no authentication: the code itself is the credential).

    The code works once and expires an hour after GitHub issued it; a stale or reused code answers 404.
    """
    url = f"{api_url.rstrip('/')}/app-manifests/{quote(code, safe='')}/conversions"
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    try:
        async with httpx.AsyncClient(transport=transport, timeout=_TIMEOUT) as client:
            response = await client.post(url, headers=headers)
    except httpx.HTTPError as exc:
        raise GitHubError(f"cannot reach {api_url}: {exc.__class__.__name__}") from None
    if response.status_code == 404:
        raise GitHubError("GitHub does not know this code: it was used already or is over an hour old", status=404)
    if response.status_code != 201:
        status = response.status_code
        raise GitHubError(f"GitHub refused the manifest code (HTTP {status})", status=status)
    try:
        body = response.json()
    except ValueError:
        raise GitHubError("GitHub's answer to the manifest conversion is not JSON", status=201) from None
    if not isinstance(body, dict):
        raise GitHubError("GitHub's answer to the manifest conversion is not an object", status=201)
    return body
