"""All GitHub I/O: the App's client (JWT, installation tokens, retries, rate limits), the hook deliveries API."""

from __future__ import annotations

from ghapp.github.api import InstallationAPI
from ghapp.github.client import GitHubApp
from ghapp.github.counter import CallCounter
from ghapp.github.errors import (
    Forbidden,
    GitHubError,
    GitHubUnavailable,
    NotFound,
    RateLimited,
    Reschedulable,
    TooLarge,
    ValidationFailed,
)
from ghapp.github.retry import RetryPolicy

__all__ = [
    "CallCounter",
    "Forbidden",
    "GitHubApp",
    "GitHubError",
    "GitHubUnavailable",
    "InstallationAPI",
    "NotFound",
    "RateLimited",
    "Reschedulable",
    "RetryPolicy",
    "TooLarge",
    "ValidationFailed",
]
