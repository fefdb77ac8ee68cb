"""The simulator's review comments are placed as GitHub places them: on a line one of the file's diff hunks
shows, a multi-line range within one hunk, or the whole review is refused with 422 and nothing is kept."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ghsim import GitHubSim
from tests.ghsim.helpers import installation_client
from tests.ghsim.review_comments import NOT_IN_DIFF, NOT_SAME_HUNK, hunks

BASE = "".join(f"line {i}\n" for i in range(1, 31))
HEAD = BASE.replace("line 2\n", "line two\n").replace("line 25\n", "line 25\nadded 26\n")


def test_hunks_know_both_sides() -> None:
    patch = "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -20,2 +20,3 @@\n x\n+y\n z\n\\ No newline at end of file"
    assert hunks(patch) == [
        {"RIGHT": {1, 2, 3}, "LEFT": {1, 2, 3}},
        {"RIGHT": {20, 21, 22}, "LEFT": {20, 21}},
    ]


def post(sim: GitHubSim, comments: Any, **body: Any) -> Any:
    inst = sim.state.create_installation("octo-org")
    sim.state.create_repo("octo-org/hello", files={"app.py": BASE})
    sim.state.create_pull("octo-org/hello", changes={"app.py": HEAD, "new.py": "a\nb\n"}, user="alice")
    with installation_client(sim, inst.id) as gh:
        return gh.post(
            "repos/octo-org/hello/pulls/1/reviews", json={"event": "COMMENT", "body": "r", "comments": comments, **body}
        )


@pytest.mark.parametrize(
    "comments",
    [
        [{"path": "app.py", "line": 2, "body": "x"}],
        [{"path": "app.py", "line": 5, "side": "RIGHT", "body": "context lines of a hunk count"}],
        [{"path": "app.py", "start_line": 1, "start_side": "RIGHT", "line": 3, "side": "RIGHT", "body": "x"}],
        [{"path": "app.py", "line": 2, "side": "LEFT", "body": "the removed line"}],
        [{"path": "new.py", "start_line": 1, "line": 2, "body": "```suggestion\nA\nB\n```"}],
    ],
)
def test_comments_on_the_diff_are_kept(ghsim: GitHubSim, comments: list[dict[str, Any]]) -> None:
    assert post(ghsim, comments).status_code == 200
    (review,) = ghsim.state.repo("octo-org/hello").pull(1).reviews  # type: ignore[union-attr]
    assert review.comments == comments and review.state == "COMMENTED"


@pytest.mark.parametrize(
    ("comments", "error"),
    [
        ([{"path": "app.py", "line": 12, "body": "x"}], NOT_IN_DIFF),  # between the hunks
        ([{"path": "app.py", "line": 40, "body": "x"}], NOT_IN_DIFF),
        ([{"path": "app.py", "line": "2", "body": "x"}], NOT_IN_DIFF),
        ([{"path": "app.py", "line": 29, "side": "LEFT", "body": "x"}], NOT_IN_DIFF),  # past the hunk on the base side
        ([{"path": "app.py", "start_line": 2, "line": 26, "body": "x"}], NOT_SAME_HUNK),
        ([{"path": "app.py", "start_line": 3, "line": 3, "body": "x"}], "start line must precede the end line"),
        ([{"path": "README.md", "line": 1, "body": "x"}], "Path could not be resolved"),
        ([{"path": "app.py", "line": 2, "body": ""}], "body can't be blank"),
        ([{"path": "app.py", "line": 2, "side": "MIDDLE", "body": "x"}], "is not LEFT or RIGHT"),
        ({"path": "app.py"}, "comments is not an array"),
    ],
)
def test_a_comment_off_the_diff_refuses_the_whole_review(ghsim: GitHubSim, comments: Any, error: str) -> None:
    fine = {"path": "app.py", "line": 2, "body": "fine"}
    answer = post(ghsim, [fine, *comments] if isinstance(comments, list) else comments)
    assert answer.status_code == 422 and answer.json()["message"] == "Unprocessable Entity"
    assert any(error in e for e in answer.json()["errors"])
    assert ghsim.state.repo("octo-org/hello").pull(1).reviews == []  # type: ignore[union-attr]


def test_a_review_on_an_unknown_commit_is_refused(ghsim: GitHubSim) -> None:
    answer = post(ghsim, [], commit_id="f" * 40)
    assert answer.status_code == 422
