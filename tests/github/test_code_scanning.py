"""Code scanning uploads against the simulator: the permission read from the token reply, one upload per gate
(gzip + base64, valid SARIF 2.1.0, the head and its pull request ref), GitHub's refusals reported and not
retried, and the 10 MB limit kept by leaving out results."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from ghapp.core.decisions import Conclusion, Finding, Gate, GateResult
from ghapp.github import InstallationAPI
from ghapp.github.code_scanning import Upload, encode, fitted, upload_gates
from tests.core.test_sarif import valid
from tests.ghsim import GitHubSim
from tests.ghsim.state import Installation

T = TypeVar("T")
REPO = "octo-org/hello"
LINT = GateResult(
    Gate.LINT, Conclusion.FAILURE, "1 finding", "s", (Finding("app.py", 1, "F401", "`os` imported but unused"),)
)
TYPES = GateResult(Gate.TYPES, Conclusion.SUCCESS, "no findings", "s")
STARTED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def world(sim: GitHubSim, *, granted: bool = True) -> tuple[Installation, str]:
    inst = sim.state.create_installation("octo-org")
    if granted:
        inst.permissions["security_events"] = "write"
    sim.state.create_repo(REPO, files={"README.md": "hi\n"})
    pull = sim.state.create_pull(REPO, changes={"app.py": "import os\n"}, user="alice")
    return inst, pull.head_sha


def run(sim: GitHubSim, inst: Installation, body: Callable[[InstallationAPI], Awaitable[T]]) -> T:
    async def main() -> T:
        async with sim.github_app() as app:
            return await body(app.installation(inst.id))

    return asyncio.run(main())


def upload(sim: GitHubSim, inst: Installation, head: str, results: list[GateResult], **kw: int) -> list[Upload]:
    return run(
        sim,
        inst,
        lambda api: upload_gates(
            api,
            "octo-org",
            "hello",
            head_sha=head,
            ref="refs/pull/1/head",
            results=results,
            paths={"app.py"},
            started_at=STARTED,
            version="0.1.0",
            **kw,
        ),
    )


def test_the_permission_comes_from_the_token_reply(ghsim_inprocess: GitHubSim) -> None:
    inst, _ = world(ghsim_inprocess)
    granted = run(ghsim_inprocess, inst, lambda api: api.permissions())
    assert granted is not None and granted["security_events"] == "write" and granted["checks"] == "write"


def test_each_gate_is_uploaded_for_the_head(ghsim_inprocess: GitHubSim) -> None:
    inst, head = world(ghsim_inprocess)
    done = upload(ghsim_inprocess, inst, head, [LINT, TYPES])
    assert [(u.gate, u.outcome, u.results) for u in done] == [("lint", "uploaded", 1), ("types", "uploaded", 0)]
    stored = ghsim_inprocess.state.sarif_uploads
    assert [u.id for u in stored] == [u.detail for u in done]
    assert {(u.commit_sha, u.ref) for u in stored} == {(head, "refs/pull/1/head")}
    assert stored[0].fields == {
        "commit_sha": head,
        "ref": "refs/pull/1/head",
        "tool_name": "prompt-to-pr",
        "started_at": "2026-12-07T09:00:00Z",
    }
    logs = [valid(u.sarif) for u in stored]
    assert [log["runs"][0]["automationDetails"]["id"] for log in logs] == ["prompt-to-pr/lint/", "prompt-to-pr/types/"]
    assert all(u.processing_status == "complete" for u in stored)


def test_a_refusal_is_reported_once_and_the_other_gates_are_not_tried(ghsim_inprocess: GitHubSim) -> None:
    inst, head = world(ghsim_inprocess, granted=False)
    done = upload(ghsim_inprocess, inst, head, [LINT, TYPES])
    assert [(u.gate, u.outcome) for u in done] == [("lint", "refused")] and "403" in done[0].detail
    assert len(ghsim_inprocess.state.requests("POST", r"/code-scanning/sarifs$")) == 1  # no retry
    inst.permissions["security_events"] = "write"
    for state, status in (("off", "404"), ("no_advanced_security", "403")):
        ghsim_inprocess.state.repo(REPO).code_scanning = state
        (refused,) = upload(ghsim_inprocess, inst, head, [LINT, TYPES])
        assert refused.outcome == "refused" and status in refused.detail
    assert ghsim_inprocess.state.sarif_uploads == []


def test_a_failure_is_reported_and_the_other_gates_are_not_tried(ghsim_inprocess: GitHubSim) -> None:
    inst, head = world(ghsim_inprocess)
    ghsim_inprocess.faults.add(r"/code-scanning/sarifs$", "5xx", count=None, status=502)
    done = upload(ghsim_inprocess, inst, head, [LINT, TYPES])
    assert [(u.gate, u.outcome) for u in done] == [("lint", "failed")]


def test_an_upload_over_the_size_limit_keeps_fewer_results() -> None:
    findings = tuple(Finding("app.py", i, f"R{i}", f"message {i} " + "x" * 200) for i in range(1, 2001))
    result = GateResult(Gate.SEMGREP, Conclusion.FAILURE, "many", "s", findings)
    whole = encode(fitted(result, {"app.py"}, version="1")[0])  # type: ignore[index]
    fit = fitted(result, {"app.py"}, version="1", limit=len(whole) // 3)
    assert fit is not None
    log, data = fit
    assert len(data) <= len(whole) // 3 and json.loads(gzip.decompress(data)) == log
    run = valid(log)["runs"][0]
    assert 0 < len(run["results"]) < 2000 and run["properties"]["truncated"] is True
    assert fitted(result, {"app.py"}, version="1", limit=10) is None  # not even an empty run fits


def test_a_gate_that_cannot_fit_is_said_and_the_others_go_on(ghsim_inprocess: GitHubSim) -> None:
    inst, head = world(ghsim_inprocess)
    done = upload(ghsim_inprocess, inst, head, [LINT, TYPES], limit=10)
    assert [u.outcome for u in done] == ["too_large", "too_large"]
