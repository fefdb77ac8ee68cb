"""Every table of the store in one metadata: what the migrations are compared with, and what tests empty.

Importing this module imports each table module, so their classes are all registered."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from ghapp.store import (
    app_state,
    audit,
    audit_tokens,
    check_runs,
    deliveries,
    details,
    direct_pushes,
    evaluations,
    head_words,
    inbox,
    installations,
    overrides,
    review_requests,
)

TABLES = (
    deliveries.DELIVERIES,
    inbox.PR_LOCKS,
    check_runs.CHECK_RUNS,
    evaluations.EVALUATIONS,
    evaluations.TOOL_REPORTS,
    overrides.OVERRIDES,
    review_requests.REVIEW_REQUESTS,
    direct_pushes.DIRECT_PUSHES,
    installations.INSTALLATIONS,
    installations.REPOSITORIES,
    app_state.APP_STATE,
    audit.AUDIT_EVENTS,
    audit_tokens.AUDIT_TOKENS,
    details.PULL_DETAILS,
    head_words.HEAD_WORDS,
)
METADATA: MetaData = SQLModel.metadata
