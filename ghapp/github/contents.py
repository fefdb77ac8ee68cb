"""The calls that read a repository's files as one installation: a file's text at a ref, a blob by its sha, and
the source archive of a ref, streamed under a size cap."""

from __future__ import annotations

import base64
import binascii
import re
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from ghapp.github.errors import GitHubError, GitHubUnavailable, NotFound, TooLarge
from ghapp.github.installation import InstallationCalls

if TYPE_CHECKING:
    from ghapp.github.client import AnyGitHub


_SHA = re.compile(r"[0-9a-f]{40}")


def revision(ref: str | None) -> str | None:
    """`ref` as GitHub must be told it: a commit sha or a full ref as it is, a branch name as `refs/heads/<name>`.
    A bare name is resolved as git resolves a revision, a TAG of that name before the branch (gitrevisions:
    refs/tags/<name> comes before refs/heads/<name>), so anyone who may push a tag named like the base branch
    would choose the policy and CODEOWNERS read "from the base branch"."""
    if ref is None or ref.startswith("refs/") or _SHA.fullmatch(ref):
        return ref
    return f"refs/heads/{ref}"


class ContentCalls(InstallationCalls):
    """Files, blobs and archives (re-read on every event: conditional requests where GitHub allows them)."""

    async def get_content(self, owner: str, repo: str, path: str, ref: str | None = None) -> tuple[str, str] | None:
        """The UTF-8 text and blob sha of a file at `ref` (a branch name, a full ref or a commit sha; the default
        branch when None), or None when there is no such file."""
        url = f"/repos/{owner}/{repo}/contents/{quote(path.lstrip('/'))}"
        params = {"ref": revision(ref)} if ref else None
        try:
            response = await self._request(
                "GET", "/repos/{owner}/{repo}/contents/{path}", url, params=params, conditional=True
            )
        except NotFound:
            return None
        body = response.json()
        if not isinstance(body, dict) or body.get("type") != "file":
            raise GitHubError(f"{owner}/{repo}:{path} is not a file")
        if body.get("encoding") == "base64":
            try:
                # GitHub wraps the base64 at 60 characters a line
                data = base64.b64decode("".join(str(body.get("content", "")).split()), validate=True)
            except (binascii.Error, ValueError):
                raise GitHubError(f"{owner}/{repo}:{path}: GitHub sent undecodable content") from None
        else:  # files over 1 MB come without content: ask for the raw media type
            data = (
                await self._request(
                    "GET",
                    "/repos/{owner}/{repo}/contents/{path}",
                    url,
                    params=params,
                    accept="application/vnd.github.raw",
                    conditional=True,
                )
            ).content
        try:
            return data.decode("utf-8"), str(body["sha"])
        except UnicodeDecodeError:
            raise GitHubError(f"{owner}/{repo}:{path} is not UTF-8 text") from None

    async def get_blob(self, owner: str, repo: str, sha: str) -> bytes | None:
        """A blob's bytes by its sha (Git Data API), or None when the repository has no such blob."""
        try:
            response = await self._request(
                "GET", "/repos/{owner}/{repo}/git/blobs/{sha}", f"/repos/{owner}/{repo}/git/blobs/{quote(sha)}"
            )
        except NotFound:
            return None
        body = response.json()
        if not isinstance(body, dict) or body.get("encoding") != "base64":
            raise GitHubError(f"{owner}/{repo}: blob {sha[:12]} came in an encoding other than base64")
        try:
            return base64.b64decode("".join(str(body.get("content", "")).split()), validate=True)
        except (binascii.Error, ValueError):
            raise GitHubError(f"{owner}/{repo}: blob {sha[:12]}: GitHub sent undecodable content") from None

    async def download_tarball(self, owner: str, repo: str, ref: str, dest: IO[bytes], max_bytes: int) -> int:
        """Stream the tar.gz of `ref` into `dest`; return the bytes written. GitHub answers 302 to codeload:
        httpx follows it. Raises `TooLarge` past `max_bytes` (what was written stays: the caller discards it)."""
        url = f"/repos/{owner}/{repo}/tarball/{quote(ref)}"

        def call(gh: AnyGitHub, headers: dict[str, str]) -> Any:
            return gh.arequest("GET", url, headers=headers, stream=True)

        response = await self._send("GET", "/repos/{owner}/{repo}/tarball/{ref}", call)
        written = 0
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise TooLarge(f"{owner}/{repo}@{ref}: tarball is {declared} bytes, over the {max_bytes} cap")
            async for chunk in response.aiter_bytes():
                written += len(chunk)
                if written > max_bytes:
                    raise TooLarge(f"{owner}/{repo}@{ref}: tarball over the {max_bytes} byte cap")
                dest.write(chunk)
        except httpx.HTTPError as exc:
            raise GitHubUnavailable(f"tarball download interrupted: {exc}", retry_after_s=30.0) from None
        finally:
            await response.aclose()
        return written
