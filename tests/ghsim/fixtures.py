"""pytest fixtures for the GitHub simulator.

In tests/conftest.py: `from tests.ghsim.fixtures import ghsim, ghsim_ghes, ghsim_inprocess  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ghsim import GitHubSim


@pytest.fixture
def ghsim() -> Iterator[GitHubSim]:
    """A fresh simulator served over real HTTP on 127.0.0.1 (random port), stopped after the test."""
    with GitHubSim() as sim:
        yield sim


@pytest.fixture
def ghsim_ghes() -> Iterator[GitHubSim]:
    """The simulator under GitHub Enterprise Server's `/api/v3` prefix."""
    with GitHubSim(prefix="/api/v3") as sim:
        yield sim


@pytest.fixture
def ghsim_inprocess() -> GitHubSim:
    """The simulator without a server: use `ghsim_inprocess.transport()` (httpx.ASGITransport)."""
    return GitHubSim()
