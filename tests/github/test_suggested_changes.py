"""Suggested changes posted against the simulator: one review for the head with a comment per file, from the
head's own text; never twice for a head; nothing wrong posted (a fix off the diff, a file whose blob is not
the one the tools read, a file the PR does not change), and GitHub's refusal reported, not raised."""

from __future__ import annotations

import asyncio
from typing import Any

from ghapp.core.decisions import Edit, Fix
from ghapp.core.diff import added_lines
from ghapp.core.facts import ChangedFile
from ghapp.core.suggestions import MARKER
from ghapp.github.suggested_changes import Posted, post_suggestions
from tests.ghsim import GitHubSim

REPO = "octo-org/hello"
BODY = "\n\ndef main() -> None:\n    print(sys.argv)\n" + "".join(f"V{i} = {i}\n" for i in range(8))
BASE = "import sys\n" + BODY
HEAD = "import os\nimport sys\n" + BODY
NEW = "import json\n\nVALUE = 1\n"


def fix(path: str, line: int, end: int, content: str = "", rule: str = "F401", **kw: str) -> Fix:
    return Fix(
        path, line, rule, "Remove unused import", kw.get("applicability", "safe"), (Edit(line, 1, end, 1, content),)
    )


def world(sim: GitHubSim) -> tuple[int, str, list[ChangedFile]]:
    inst = sim.state.create_installation("octo-org")
    sim.state.create_repo(REPO, files={"app.py": BASE})
    pull = sim.state.create_pull(REPO, changes={"app.py": HEAD, "new.py": NEW}, user="alice")
    files = [
        ChangedFile(f["filename"], f["status"], added_lines=added_lines(f.get("patch") or ""), sha=f["sha"])
        for f in sim.state.pull_files(sim.state.repo(REPO), pull)
    ]
    return inst.id, pull.head_sha, files


def post(sim: GitHubSim, inst: int, head: str, files: list[ChangedFile], fixes: list[Fix], **kw: Any) -> Posted:
    async def main() -> Posted:
        async with sim.github_app() as app:
            api = app.installation(inst)
            return await post_suggestions(api, "octo-org", "hello", 1, head_sha=head, fixes=fixes, files=files, **kw)

    return asyncio.run(main())


def reviews(sim: GitHubSim) -> list[Any]:
    return sim.state.repo(REPO).pull(1).reviews  # type: ignore[union-attr]


def test_one_review_with_a_comment_per_file_and_never_twice(ghsim_inprocess: GitHubSim) -> None:
    inst, head, files = world(ghsim_inprocess)
    fixes = [fix("app.py", 1, 2), fix("new.py", 1, 2, "import json\n", rule="I001"), fix("new.py", 1, 2)]
    assert post(ghsim_inprocess, inst, head, files, fixes) == Posted("posted", 2)
    (review,) = reviews(ghsim_inprocess)
    assert review.state == "COMMENTED" and review.commit_id == head and MARKER in review.body
    assert review.user == "prompt-to-pr[bot]"
    assert [(c["path"], c["line"], c.get("start_line")) for c in review.comments] == [
        ("app.py", 1, None),
        ("new.py", 1, None),
    ]
    assert review.comments[0]["body"].endswith("```suggestion\n```") and review.comments[0]["side"] == "RIGHT"
    # a retried job, or a second delivery for the same head: nothing more
    assert post(ghsim_inprocess, inst, head, files, fixes) == Posted("already")
    assert len(reviews(ghsim_inprocess)) == 1


def test_a_multi_line_suggestion_spans_its_lines(ghsim_inprocess: GitHubSim) -> None:
    inst, head, files = world(ghsim_inprocess)
    sort = Fix("new.py", 1, "I001", "Organize imports", "safe", (Edit(1, 1, 3, 1, "import json\n"),))
    assert post(ghsim_inprocess, inst, head, files, [sort]) == Posted("posted", 1)
    (comment,) = reviews(ghsim_inprocess)[0].comments
    assert (comment["start_line"], comment["line"], comment["start_side"]) == (1, 2, "RIGHT")
    assert "```suggestion\nimport json\n```" in comment["body"]


def test_a_human_review_with_the_marker_does_not_stop_the_app(ghsim_inprocess: GitHubSim) -> None:
    inst, head, files = world(ghsim_inprocess)
    ghsim_inprocess.state.add_review(REPO, 1, "mallory", "COMMENTED", body=MARKER)
    assert post(ghsim_inprocess, inst, head, files, [fix("app.py", 1, 2)]).outcome == "posted"


def test_nothing_is_posted_when_nothing_can_be_suggested_exactly(ghsim_inprocess: GitHubSim) -> None:
    inst, head, files = world(ghsim_inprocess)
    stale = [replace_sha(f) for f in files]  # the blob is not the one the tools read
    cases: list[tuple[list[ChangedFile], list[Fix], dict[str, Any]]] = [
        (files, [], {}),
        (files, [fix("app.py", 1, 2, applicability="unsafe")], {}),
        (files, [fix("app.py", 1, 2)], {"ignore": ("F401",)}),
        (files, [fix("app.py", 3, 4)], {}),  # a line the PR did not add
        (files, [fix("elsewhere.py", 1, 2)], {}),  # a file the PR does not change
        (stale, [fix("app.py", 1, 2)], {}),
    ]
    for changed, fixes, kw in cases:
        assert post(ghsim_inprocess, inst, head, changed, fixes, **kw).outcome == "none"
    assert reviews(ghsim_inprocess) == []
    assert ghsim_inprocess.state.requests("POST", r"/reviews$") == []


def test_githubs_refusal_is_reported_and_nothing_is_kept(ghsim_inprocess: GitHubSim) -> None:
    inst, head, files = world(ghsim_inprocess)
    lying = [ChangedFile(f.path, f.status, added_lines=frozenset(range(1, 15)), sha=f.sha) for f in files]
    posted = post(ghsim_inprocess, inst, head, lying, [fix("app.py", 12, 13)])  # the diff does not show line 12
    assert posted.outcome == "failed" and "422" in posted.detail
    assert reviews(ghsim_inprocess) == []


def replace_sha(changed: ChangedFile) -> ChangedFile:
    return ChangedFile(changed.path, changed.status, added_lines=changed.added_lines, sha="0" * 40)
