"""After the tool gates of a head are published: put their findings where reviewers look.

- Code scanning: each tool gate's SARIF is uploaded for the head (`refs/pull/<n>/head`) when the installation
  granted the optional `security_events: write`; without it nothing is uploaded and nothing fails.
- Suggested changes: when the policy sets `gates.lint.suggestions: true`, ruff's safe fixes on the PR's added
  lines become one review with a suggested change per file.

Neither changes a conclusion: this runs after the checks are published, and every refusal or failure is
logged and counted (`ghapp_reviewer_outputs_total`), never raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ghapp.clock import utcnow
from ghapp.core.decisions import Decision, Gate, ToolReport
from ghapp.core.facts import ChangedFile
from ghapp.core.policy.load import Policy
from ghapp.core.policy.model import TOOL_GATES
from ghapp.github.api import InstallationAPI
from ghapp.github.code_scanning import upload_gates
from ghapp.github.errors import GitHubError
from ghapp.github.suggested_changes import post_suggestions
from ghapp.runners.base import tool_version
from ghapp.runtime.jobs import JobContext

SECURITY_EVENTS = "security_events"


@dataclass(frozen=True)
class PullHead:
    """The head a pull request is judged at."""

    owner: str
    repo: str
    number: int
    sha: str
    files: Sequence[ChangedFile]  # the PR's files: the only paths an upload or a suggestion may name


async def share(
    ctx: JobContext,
    api: InstallationAPI,
    head: PullHead,
    policy: Policy,
    decision: Decision,
    *,
    reports: Sequence[ToolReport],
    started_at: datetime | None = None,
) -> None:
    """Upload the tool gates' SARIF and post the suggested changes of this head, as far as each is allowed."""
    owner, repo, number, head_sha = head.owner, head.repo, head.number, head.sha
    await _upload(ctx, api, head, decision, started_at=started_at or utcnow())
    if policy.gate(Gate.LINT).suggestions:
        fixes = [fix for report in reports if report.gate is Gate.LINT for fix in report.fixes]
        posted = await post_suggestions(
            api,
            owner,
            repo,
            number,
            head_sha=head_sha,
            fixes=fixes,
            files=head.files,
            ignore=policy.gate(Gate.LINT).ignore,
        )
        _count(ctx, "suggestions", posted.outcome)
        ctx.log.info(
            "suggested changes",
            extra={"outcome": posted.outcome, "comments": posted.comments, "detail": posted.detail[:300]},
        )


async def _upload(
    ctx: JobContext, api: InstallationAPI, head: PullHead, decision: Decision, *, started_at: datetime
) -> None:
    try:
        granted = await api.permissions()
    except GitHubError:
        granted = None
    if (granted or {}).get(SECURITY_EVENTS) != "write":
        _count(ctx, "sarif", "skipped")  # the optional permission is not granted: nothing to do, nothing fails
        return
    results = [g for g in decision.gates if g.gate in TOOL_GATES]
    paths = {f.path for f in head.files if f.status != "removed"}
    uploads = await upload_gates(
        api,
        head.owner,
        head.repo,
        head_sha=head.sha,
        ref=f"refs/pull/{head.number}/head",
        results=results,
        paths=paths,
        started_at=started_at,
        version=tool_version("prompt-to-pr") or "0.1.0",
    )
    for upload in uploads:
        _count(ctx, "sarif", upload.outcome)
        level = ctx.log.info if upload.outcome == "uploaded" else ctx.log.warning
        level(
            "code scanning upload",
            extra={"gate": upload.gate, "outcome": upload.outcome, "results": upload.results, "detail": upload.detail},
        )


def _count(ctx: JobContext, kind: str, outcome: str) -> None:
    if ctx.metrics is not None:
        ctx.metrics.reviewer_output(kind, outcome)
