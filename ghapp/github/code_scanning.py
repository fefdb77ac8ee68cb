"""Upload each tool gate's findings to GitHub code scanning for a head: one SARIF upload per gate (its own
category, `prompt-to-pr/<gate>/`, so each replaces only that gate's alerts), gzipped and base64-encoded,
under GitHub's 10 MB limit (fewer, more severe results until it fits).

An upload never decides anything: a refusal (403: the installation has no `security_events`, the repository
has no Advanced Security or is archived; 404: code scanning is off or the repository is out of reach) or any
other failure is reported to the caller, which logs and counts it, and the remaining gates are not tried.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ghapp.core.decisions import GateResult
from ghapp.core.sarif import MAX_RESULTS, upload_sarif
from ghapp.github.api import InstallationAPI
from ghapp.github.errors import Forbidden, GitHubError, NotFound

MAX_GZIP_BYTES = 10 * 1024 * 1024  # GitHub refuses a larger SARIF file (gzipped) with 413
TOOL_NAME = "prompt-to-pr"
Outcome = Literal["uploaded", "too_large", "refused", "failed"]


@dataclass(frozen=True)
class Upload:
    """What became of one gate's upload: the upload's id, or why there is none."""

    gate: str
    outcome: Outcome
    detail: str = ""
    results: int = 0


def encode(log: dict[str, Any]) -> bytes:
    """The SARIF log as GitHub takes it before base64: gzip (no timestamp, so the same log gives the same bytes)."""
    return gzip.compress(json.dumps(log, separators=(",", ":")).encode(), mtime=0)


def fitted(
    result: GateResult, paths: Collection[str], *, version: str, limit: int = MAX_GZIP_BYTES
) -> tuple[dict[str, Any], bytes] | None:
    """The gate's SARIF and its gzip within `limit` bytes: at most 25,000 results, halved until it fits (each
    try says in the run's properties what was left out); None when not even an empty run fits."""
    most = MAX_RESULTS
    while True:
        log = upload_sarif(result, paths, version=version, max_results=most)
        data = encode(log)
        if len(data) <= limit:
            return log, data
        if most == 0:
            return None
        most = len(log["runs"][0]["results"]) // 2


async def upload_gates(
    api: InstallationAPI,
    owner: str,
    repo: str,
    *,
    head_sha: str,
    ref: str,
    results: Sequence[GateResult],
    paths: Collection[str],
    started_at: datetime,
    version: str,
    limit: int = MAX_GZIP_BYTES,
) -> list[Upload]:
    """Upload each gate of `results` for `head_sha` on `ref` (`refs/pull/<n>/head`); stop at the first refusal
    or failure (the next gate would get the same answer)."""
    done: list[Upload] = []
    for result in results:
        gate = result.gate.value
        fit = await asyncio.to_thread(fitted, result, paths, version=version, limit=limit)  # CPU: off the loop
        if fit is None:
            done.append(Upload(gate, "too_large", f"over {limit} bytes gzipped even without results"))
            continue
        log, data = fit
        body = {
            "commit_sha": head_sha,
            "ref": ref,
            "sarif": base64.b64encode(data).decode("ascii"),
            "tool_name": TOOL_NAME,
            "started_at": started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        count = len(log["runs"][0]["results"])
        try:
            reply = await api.upload_sarif(owner, repo, body)
        except (Forbidden, NotFound) as exc:
            done.append(Upload(gate, "refused", str(exc)))
            break
        except GitHubError as exc:
            done.append(Upload(gate, "failed", str(exc)))
            break
        done.append(Upload(gate, "uploaded", str(reply.get("id", "")), count))
    return done
