"""The store seam's errors: one base `StoreError` for what the database layer reports on purpose."""

from __future__ import annotations

from ghapp.core.errors import GhappError


class StoreError(GhappError):
    """The database cannot be used as it is (its schema is behind, a write could not be committed)."""
