"""The enforcement's long-lived parts, one set per process: the runners, and the caches of policies, PR heads
and labels. Tests build one with fake runners and hand its handler table to `create_app(handlers=...)`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from ghapp.github.facts import FactsGatherer
from ghapp.github.labels import LabelSync
from ghapp.github.policy_source import PolicySource
from ghapp.runners import RUNNERS, Runner
from ghapp.runtime.jobs import JobContext, Unprocessable


@dataclass
class Enforcer:
    runners: Sequence[Runner] = RUNNERS
    policies: PolicySource = field(default_factory=PolicySource)
    gatherer: FactsGatherer = field(default_factory=FactsGatherer)
    labels: LabelSync = field(default_factory=LabelSync)


def repository(payload: dict[str, Any]) -> tuple[str, str]:
    """(owner, name) of the repository a delivery concerns; a delivery that names none can never be processed."""
    full_name = str((payload.get("repository") or {}).get("full_name") or "")
    owner, _, name = full_name.partition("/")
    if not owner or not name:
        raise Unprocessable("the delivery names no repository")
    return owner, name


def details_url(ctx: JobContext, repository: str, pr_number: int | None, head_sha: str) -> str:
    """Where a check run's "Details" link goes: the head's details page on the App's dashboard, or for a head
    without a pull request (a direct push) the repository's direct pushes in the audit trail."""
    base = ctx.settings.public_url.rstrip("/")
    if pr_number is None:
        return f"{base}/audit?{urlencode({'repo': repository, 'kind': 'direct_push'})}"
    return f"{base}/pulls/{quote(repository)}/{pr_number}/{quote(head_sha)}"
