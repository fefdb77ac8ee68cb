"""The root of every error the App raises on purpose: `GhappError`. Each seam has one base derived from it
(`PolicyError` for policies, `GitHubError` for GitHub I/O, `RunnerError` for the tools, `WorkspaceError` for
unpacked heads, `StoreError` for the database, `JobError` for the job layer, `SettingsError` for
configuration), so `except GhappError` tells a failure the App can explain from a bug. It lives in the core
because every layer may import the core and the core imports nothing else."""

from __future__ import annotations


class GhappError(Exception):
    """A failure the App knows how to name: its message is meant for the person who reads it."""
