"""The simulator's code scanning uploads behave like GitHub's: the permission, the repository's state, the
request's fields, gzip + base64 SARIF valid against the 2.1.0 schema, the 10 MB limit, 202 with the upload's id
and url, and the upload's processing status (failed past GitHub's run and result limits)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from tests.ghsim import GitHubSim
from tests.ghsim.helpers import installation_client, small_world

EMPTY: dict[str, Any] = {"version": "2.1.0", "runs": []}
RUN = {"tool": {"driver": {"name": "x"}}, "results": []}


def packed(log: Any) -> str:
    return base64.b64encode(gzip.compress(json.dumps(log).encode())).decode()


def world(sim: GitHubSim, *, granted: str | None = "write") -> tuple[int, str]:
    found = small_world(sim)
    if granted:
        found["installation"].permissions["security_events"] = granted
    return found["installation"].id, found["pull"].head_sha


def test_an_upload_is_accepted_stored_and_its_status_read(ghsim: GitHubSim) -> None:
    inst, head = world(ghsim)
    with installation_client(ghsim, inst) as gh:
        answer = gh.post(
            "repos/octo-org/hello/code-scanning/sarifs",
            json={"commit_sha": head, "ref": "refs/pull/1/head", "sarif": packed(EMPTY), "tool_name": "t"},
        )
        assert answer.status_code == 202
        sarif_id, url = answer.json()["id"], answer.json()["url"]
        assert url == f"{ghsim.api_url}repos/octo-org/hello/code-scanning/sarifs/{sarif_id}"
        status = gh.get(f"repos/octo-org/hello/code-scanning/sarifs/{sarif_id}").json()
        assert status["processing_status"] == "complete" and status["errors"] is None
        assert gh.get("repos/octo-org/hello/code-scanning/sarifs/nope").status_code == 404
    (stored,) = ghsim.state.sarif_uploads
    assert (stored.commit_sha, stored.ref, stored.sarif, stored.fields["tool_name"]) == (
        head,
        "refs/pull/1/head",
        EMPTY,
        "t",
    )


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"commit_sha": "0" * 40}, 422),
        ({"commit_sha": "main"}, 422),
        ({"ref": "pull/1/head"}, 422),
        ({"ref": "refs/pull/x/head"}, 422),
        ({"sarif": 7}, 400),
        ({"sarif": "not base64!"}, 400),
        ({"sarif": base64.b64encode(b"plain").decode()}, 400),
        ({"sarif": base64.b64encode(gzip.compress(b"{")).decode()}, 400),
        ({"sarif": packed([1])}, 400),
        ({"sarif": packed({"version": "2.1.0"})}, 400),  # no runs: not SARIF
        ({"sarif": packed({"version": "2.1.0", "runs": [{"results": []}]})}, 400),  # a run without its tool
        ({"sarif": base64.b64encode(b"x" * (10 * 1024 * 1024 + 1)).decode()}, 413),
        ({"sarif": base64.b64encode(gzip.compress(b" " * (201 * 1024 * 1024))).decode()}, 413),
    ],
)
def test_what_github_refuses(ghsim: GitHubSim, change: dict[str, Any], status: int) -> None:
    inst, head = world(ghsim)
    body = {"commit_sha": head, "ref": "refs/pull/1/head", "sarif": packed(EMPTY), **change}
    with installation_client(ghsim, inst) as gh:
        assert gh.post("repos/octo-org/hello/code-scanning/sarifs", json=body).status_code == status
    assert ghsim.state.sarif_uploads == []


@pytest.mark.parametrize(
    ("granted", "state", "status", "message"),
    [
        (None, "on", 403, "Resource not accessible by integration"),
        ("read", "on", 403, "Resource not accessible by integration"),
        ("write", "off", 404, "Not Found"),
        ("write", "no_advanced_security", 403, "Advanced Security must be enabled"),
    ],
)
def test_the_permission_and_the_repositorys_code_scanning(
    ghsim: GitHubSim, granted: str | None, state: str, status: int, message: str
) -> None:
    inst, head = world(ghsim, granted=granted)
    ghsim.state.repo("octo-org/hello").code_scanning = state
    body = {"commit_sha": head, "ref": "refs/heads/main", "sarif": packed(EMPTY)}
    with installation_client(ghsim, inst) as gh:
        answer = gh.post("repos/octo-org/hello/code-scanning/sarifs", json=body)
    assert answer.status_code == status and message in answer.json()["message"]


def test_past_githubs_limits_the_upload_is_accepted_then_fails(ghsim: GitHubSim) -> None:
    inst, head = world(ghsim, granted="read")
    ghsim.state.installations[inst].permissions["security_events"] = "write"
    logs = [
        {"version": "2.1.0", "runs": [RUN] * 21},
        {"version": "2.1.0", "runs": [{**RUN, "results": [{"message": {"text": "m"}}] * 25_001}]},
    ]
    with installation_client(ghsim, inst) as gh:
        ids = []
        for log in logs:
            answer = gh.post(
                "repos/octo-org/hello/code-scanning/sarifs",
                json={"commit_sha": head, "ref": "refs/heads/main", "sarif": packed(log)},
            )
            assert answer.status_code == 202
            ids.append(answer.json()["id"])
        ghsim.state.installations[inst].permissions["security_events"] = "read"  # reading the status needs read
        errors = [gh.get(f"repos/octo-org/hello/code-scanning/sarifs/{i}").json() for i in ids]
    assert [e["processing_status"] for e in errors] == ["failed", "failed"]
    assert errors[0]["errors"] == ["rejecting SARIF, as there are more runs than allowed (21 > 20)"]
    assert "more results per run than allowed (25001 > 25000)" in errors[1]["errors"][0]
    assert errors[0]["analyses_url"] is None
