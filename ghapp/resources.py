"""Reads the data files bundled in `policies/`: the default policy, its JSON schema, the AI signal table."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"
DEFAULT_POLICY = POLICIES_DIR / "default.yml"
POLICY_SCHEMA = POLICIES_DIR / "schema.json"
AI_SIGNALS = POLICIES_DIR / "ai-signals.yml"
SEMGREP_RULES = POLICIES_DIR / "semgrep"


@cache
def default_policy_text() -> str:
    return DEFAULT_POLICY.read_text(encoding="utf-8")


@cache
def policy_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(POLICY_SCHEMA.read_text(encoding="utf-8"))
    return schema


@cache
def ai_signals_text() -> str:
    return AI_SIGNALS.read_text(encoding="utf-8")
