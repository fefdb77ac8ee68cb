"""The GitHub seam's errors: one base `GitHubError`, subclasses the job layer can act on."""

from __future__ import annotations

from ghapp.core.errors import GhappError


class GitHubError(GhappError):
    """A GitHub API call failed. `status` is the HTTP status when GitHub answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotFound(GitHubError):
    """404: the object does not exist, or the installation cannot see it (GitHub hides both the same way)."""


class Forbidden(GitHubError):
    """403 that is not a rate limit: the App lacks a permission or the resource is blocked."""


class ValidationFailed(GitHubError):
    """422 from GitHub, or a request body githubkit refused before sending (check run limits and the like)."""


class TooLarge(GitHubError):
    """A download went over the byte cap the caller set."""


class Reschedulable(GitHubError):
    """GitHub cannot serve us now: the job should run again after `retry_after_s` seconds."""

    def __init__(self, message: str, *, retry_after_s: float, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after_s = retry_after_s


class RateLimited(Reschedulable):
    """A primary or secondary rate limit asks for a wait longer than a worker should block."""


class GitHubUnavailable(Reschedulable):
    """GitHub keeps failing (5xx, dropped connections, timeouts) or the circuit breaker is open."""
