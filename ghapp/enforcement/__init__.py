"""Enforcing the policy on GitHub: one module per concern (pull requests, reviews, check re-runs and buttons,
override comments, direct pushes), tied together by `pipeline.PullRun`. `handler_table` gives the rows
`ghapp.handlers.build_handlers` registers; pass an `Enforcer` with other runners to test with fakes."""

from __future__ import annotations

from ghapp.core.decisions import Gate
from ghapp.enforcement.checks import on_requested_action, on_run_rerequested, on_suite_rerequested
from ghapp.enforcement.enforcer import Enforcer
from ghapp.enforcement.merge_group import on_checks_requested, on_destroyed
from ghapp.enforcement.outcome import guarded
from ghapp.enforcement.override import on_comment
from ghapp.enforcement.pull_request import EVALUATE, on_closed, on_pull_request
from ghapp.enforcement.push import on_push
from ghapp.enforcement.review import on_review
from ghapp.runtime.jobs import Handler

__all__ = ["Enforcer", "handler_table"]


def handler_table(enforcer: Enforcer | None = None) -> dict[tuple[str, str] | str, Handler]:
    e = enforcer if enforcer is not None else Enforcer()
    approvals = (Gate.APPROVALS,)
    table: dict[tuple[str, str] | str, Handler] = {
        ("pull_request", action): guarded(e, on_pull_request) for action in EVALUATE
    }
    table.update(
        {
            ("pull_request", "closed"): guarded(e, on_closed, focus=()),
            ("pull_request_review", "submitted"): guarded(e, on_review, focus=approvals),
            ("pull_request_review", "dismissed"): guarded(e, on_review, focus=approvals),
            ("pull_request_review", "edited"): guarded(e, on_review, focus=approvals),
            ("check_suite", "rerequested"): guarded(e, on_suite_rerequested),
            ("check_run", "rerequested"): guarded(e, on_run_rerequested),
            ("check_run", "requested_action"): guarded(e, on_requested_action),
            ("issue_comment", "created"): guarded(e, on_comment, focus=()),
            "push": guarded(e, on_push, focus=(Gate.PROVENANCE,)),
            ("merge_group", "checks_requested"): guarded(e, on_checks_requested),
            ("merge_group", "destroyed"): guarded(e, on_destroyed, focus=()),
        }
    )
    return table
