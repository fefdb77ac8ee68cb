"""Review comments of `POST /pulls/{n}/reviews` as GitHub checks them (REST reference, "Create a review for a
pull request"): each comment names a `path` of the pull request's diff at `commit_id` and a `line` on a `side`
(`RIGHT`: the head, the default; `LEFT`: the base) that one of the file's diff hunks shows; a multi-line comment's
`start_line` comes before `line` and lies in the same hunk. Anything else makes GitHub refuse the whole review
with 422 "Unprocessable Entity" and its error strings; nothing of it is kept."""

from __future__ import annotations

import re
from typing import Any

from tests.ghsim.context import SimError
from tests.ghsim.gitdata import diff_files
from tests.ghsim.state import Pull, Repo

_HUNK = re.compile(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
NOT_IN_DIFF = "Pull request review thread line must be part of the diff"
NOT_SAME_HUNK = "Pull request review thread start line must be part of the same hunk as the line."


def _refuse(*errors: str) -> SimError:
    return SimError(422, "Unprocessable Entity", errors=list(errors))


def hunks(patch: str) -> list[dict[str, set[int]]]:
    """Each hunk's lines on each side: RIGHT (context and added lines), LEFT (context and removed lines)."""
    found: list[dict[str, set[int]]] = []
    left = right = 0
    for text in patch.split("\n"):
        header = _HUNK.match(text)
        if header:
            left, right = int(header[1]), int(header[2])
            found.append({"LEFT": set(), "RIGHT": set()})
        elif found and text.startswith("+"):
            found[-1]["RIGHT"].add(right)
            right += 1
        elif found and text.startswith("-"):
            found[-1]["LEFT"].add(left)
            left += 1
        elif found and not text.startswith("\\"):
            found[-1]["RIGHT"].add(right)
            found[-1]["LEFT"].add(left)
            left, right = left + 1, right + 1
    return found


def _hunk(sections: list[dict[str, set[int]]], side: str, line: Any) -> int | None:
    if not isinstance(line, int) or isinstance(line, bool):
        return None
    return next((i for i, h in enumerate(sections) if line in h.get(side, set())), None)


def check(repo: Repo, pull: Pull, commit_id: str, comments: Any) -> list[dict[str, Any]]:
    """The comments as stored, or the 422 GitHub answers for the first one it cannot place."""
    if not isinstance(comments, list):
        raise _refuse("comments is not an array")
    commit = repo.commits.get(commit_id)
    if commit is None:
        raise _refuse("commit_id is not part of the pull request")
    patches = {f["filename"]: f.get("patch") for f in diff_files(repo.commits[pull.base_sha].tree, commit.tree)}
    kept: list[dict[str, Any]] = []
    for entry in comments:
        if not isinstance(entry, dict) or not isinstance(entry.get("body"), str) or not entry["body"]:
            raise _refuse("Pull request review thread body can't be blank")
        path, side = entry.get("path"), entry.get("side", "RIGHT")
        if path not in patches:
            raise _refuse("Path could not be resolved")
        if side not in ("LEFT", "RIGHT"):
            raise _refuse(f"side {side!r} is not LEFT or RIGHT")
        sections = hunks(patches[path] or "")
        at = _hunk(sections, side, entry.get("line"))
        if at is None:
            raise _refuse(NOT_IN_DIFF)
        if entry.get("start_line") is not None:
            start = entry["start_line"]
            if not isinstance(start, int) or start >= entry["line"]:
                raise _refuse("Pull request review thread start line must precede the end line")
            if _hunk(sections, entry.get("start_side", side), start) != at:
                raise _refuse(NOT_SAME_HUNK)
        kept.append(dict(entry))
    return kept
