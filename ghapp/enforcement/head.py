"""Where the files of a head come from, for the tools: the `HeadSource` seam and its GitHub adapter.

The App reads a pull request's head from GitHub (the source tarball, blobs by id, rule files from the base
branch); `ghapp check` reads the same things from the local git repository (ghapp.commands.local_head). Both
go through `ghapp.enforcement.tools.run_on_head`, so the local report is the App's report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Protocol

from ghapp.core.errors import GhappError
from ghapp.github.api import InstallationAPI
from ghapp.github.errors import TooLarge


class HeadRefused(GhappError):
    """The head's files cannot be had (its archive is over the limit): every tool gate reports why."""


class HeadSource(Protocol):
    """The files of one head, and the base branch's files the policy names."""

    @property
    def max_unpacked_bytes(self) -> int:
        """The most bytes the unpacked archive may hold."""

    @property
    def max_files(self) -> int:
        """The most files the unpacked archive may hold."""

    async def write_archive(self, sink: IO[bytes]) -> None:
        """Write the head's tarball (gzipped or not) into `sink`; HeadRefused when it cannot be had."""

    async def get_blob(self, sha: str) -> bytes | None:
        """A committed file's bytes by its blob id, or None."""

    async def base_text(self, path: str) -> str | None:
        """A file's text on the base branch (the repository's own semgrep rules), or None."""


@dataclass(frozen=True)
class GitHubHead:
    """A pull request's head on GitHub, read through the installation's API under the App's byte caps."""

    api: InstallationAPI
    owner: str
    repo: str
    head_sha: str
    base_ref: str
    max_bytes: int  # GHAPP_TARBALL_MAX_BYTES
    file_limit: int  # GHAPP_TARBALL_MAX_FILES

    @property
    def max_unpacked_bytes(self) -> int:
        return self.max_bytes * 4

    @property
    def max_files(self) -> int:
        return self.file_limit

    async def write_archive(self, sink: IO[bytes]) -> None:
        try:
            await self.api.download_tarball(self.owner, self.repo, self.head_sha, sink, self.max_bytes)
        except TooLarge:
            raise HeadRefused(
                f"the head's source archive is over the {self.max_bytes:,} byte limit (GHAPP_TARBALL_MAX_BYTES)"
            ) from None

    async def get_blob(self, sha: str) -> bytes | None:
        return await self.api.get_blob(self.owner, self.repo, sha)

    async def base_text(self, path: str) -> str | None:
        found = await self.api.get_content(self.owner, self.repo, path, self.base_ref or None)
        return found[0] if found is not None else None
