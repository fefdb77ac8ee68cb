"""The simulator enforces GitHub's check run rules with 422s and appends annotations across updates."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ghsim import GitHubSim
from tests.ghsim.helpers import installation_client, small_world

NOTE = {"path": "src/app.py", "start_line": 1, "end_line": 1, "annotation_level": "warning", "message": "m"}


def _output(**changes: Any) -> dict[str, Any]:
    return {"title": "Lint", "summary": "ok", **changes}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"output": _output(annotations=[NOTE] * 51)}, "output.annotations"),
        ({"actions": [{"label": "Re-run", "description": "d", "identifier": f"a{i}"} for i in range(4)]}, "actions"),
        ({"actions": [{"label": "x" * 21, "description": "d", "identifier": "a"}]}, "actions.label"),
        ({"output": _output(summary="s" * 65536)}, "output.summary"),
        ({"output": _output(text="t" * 65536)}, "output.text"),
        ({"conclusion": "passed"}, "conclusion"),
        ({"status": "completed"}, "conclusion"),
        ({"status": "waiting"}, "status"),
        ({"output": {"summary": "no title"}}, "output"),
        (
            {"output": _output(annotations=[{**NOTE, "annotation_level": "error"}])},
            "output.annotations.annotation_level",
        ),
        (
            {"output": _output(annotations=[{**NOTE, "end_line": 3, "start_column": 2}])},
            "output.annotations.start_column",
        ),
        ({"name": ""}, "name"),
    ],
)
def test_limits_answer_422(ghsim: GitHubSim, change: dict[str, Any], field: str) -> None:
    world = small_world(ghsim)
    body = {"name": "lint", "head_sha": world["pull"].head_sha, **change}
    with installation_client(ghsim, world["installation"].id) as gh:
        answer = gh.post("repos/octo-org/hello/check-runs", json=body)
    assert answer.status_code == 422
    assert answer.json()["message"] == "Validation Failed" and answer.json()["errors"][0]["field"] == field
    assert ghsim.state.check_runs == {}


def test_limits_at_the_edge_pass_and_annotations_append(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    sha = world["pull"].head_sha
    actions = [{"label": "x" * 20, "description": "y" * 40, "identifier": f"id{i}"} for i in range(3)]
    with installation_client(ghsim, world["installation"].id) as gh:
        created = gh.post(
            "repos/octo-org/hello/check-runs",
            json={
                "name": "lint",
                "head_sha": sha,
                "status": "in_progress",
                "actions": actions,
                "output": _output(summary="s" * 65535, annotations=[NOTE] * 50),
            },
        )
        assert created.status_code == 201 and created.json()["status"] == "in_progress"
        run_id = created.json()["id"]
        updated = gh.patch(
            f"repos/octo-org/hello/check-runs/{run_id}",
            json={"conclusion": "failure", "output": _output(annotations=[NOTE] * 50)},
        )
        assert updated.status_code == 200
        body = updated.json()
        assert (body["status"], body["conclusion"]) == ("completed", "failure")  # a conclusion completes it
        assert body["output"]["annotations_count"] == 100 and body["completed_at"].endswith("Z")
        listed = gh.get(f"repos/octo-org/hello/check-runs/{run_id}/annotations", params={"per_page": 100})
        assert len(listed.json()) == 100
        unknown = gh.post("repos/octo-org/hello/check-runs", json={"name": "lint", "head_sha": "a" * 40})
        assert unknown.status_code == 422 and "No commit found" in unknown.json()["message"]


def test_list_for_ref_filters_by_name_and_keeps_the_latest(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    sha = world["pull"].head_sha
    with installation_client(ghsim, world["installation"].id) as gh:
        ids = [
            gh.post("repos/octo-org/hello/check-runs", json={"name": name, "head_sha": sha}).json()["id"]
            for name in ("lint", "types", "lint")
        ]
        latest = gh.get(f"repos/octo-org/hello/commits/{sha}/check-runs").json()
        assert latest["total_count"] == 2 and [r["id"] for r in latest["check_runs"]] == [ids[2], ids[1]]
        every = gh.get(f"repos/octo-org/hello/commits/{sha}/check-runs", params={"filter": "all"}).json()
        assert every["total_count"] == 3
        lint = gh.get(
            f"repos/octo-org/hello/commits/{world['pull'].head_ref}/check-runs",
            params={"check_name": "lint", "filter": "all"},
        ).json()
        assert [r["name"] for r in lint["check_runs"]] == ["lint", "lint"]
    assert len(ghsim.state.check_runs_for("octo-org/hello", sha)) == 3
