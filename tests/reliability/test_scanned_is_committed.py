"""Scanned = committed: the tools read GitHub's source archive of the head, which is not the commit. An AI pull
request hides code from every gate with `.gitattributes` (`export-ignore` leaves a file out of the archive,
`export-subst` rewrites one so that a live `eval` becomes part of a string), a `.py` file that is a symbolic
link to an extensionless file, a requirements file with one NUL byte (GitHub shows no diff for it), and a
Python script without a suffix. The App on the simulator (whose archives git itself makes) with the real
ruff, mypy, semgrep and pip-audit: every gate fails and names the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import REPO, build_world, running_app
from tests.e2e.test_pull_request_flow import runs
from tests.ghsim import GitHubSim
from tests.ghsim.gitdata import Link
from tests.osv_server import serve

AI_MESSAGE = "Add the maintenance helpers\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
EVAL = "eval(input())\n"
# In the archive `$Format:%x22%x22$` becomes `""`, so the middle line turns into the body of a string there,
# while the committed file (what merges and runs) calls eval.
SUBST = 'X = "$Format:%x22%x22$"\n' + EVAL + 'Z = "$Format:%x22%x22$"#"\n'
ATTACK = {
    ".gitattributes": "hidden.py export-ignore\nstamp.py export-subst\n",
    "hidden.py": "import os\n\n\ndef run(cmd: str) -> None:\n    " + EVAL,
    "stamp.py": SUBST,
    "tool": EVAL,
    "tool.py": Link("tool"),
    "bin/deploy": "#!/usr/bin/env python3\nimport os\n\nos.system('rm -rf ' + input())\n" + EVAL,
    "requirements.txt": "requests==2.19.0\n# \x00\n",
}


@pytest.mark.tools
@pytest.mark.slow
def test_archive_tricks_do_not_hide_changed_files_from_the_gates(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    pull = ghsim.state.create_pull(
        REPO,
        changes=dict(ATTACK),
        messages=[AI_MESSAGE],
        user="alice",
        title="Maintenance helpers",
        body="Helpers.\n\n## Prompt\nWrite the helpers.\n",
    )
    files = {f["filename"]: f for f in ghsim.state.pull_files(ghsim.state.repo(REPO), pull)}
    assert "patch" not in files["requirements.txt"]  # one NUL byte: GitHub shows no diff
    with serve() as (osv, _), running_app(ghsim, tmp_path, osv_url=f"{osv}/v1/query") as app:
        delivery = ghsim.send_webhook(app.url, "pull_request", ghsim.payloads.pull_request(REPO, pull.number))
        assert delivery.status_code == 202
        app.idle(timeout=300)
    checks = runs(ghsim, pull.head_sha)
    lint, types, semgrep, audit = (checks[g] for g in ("lint", "types", "semgrep", "dependency-audit"))
    for run in (lint, types, semgrep, audit):
        assert run.conclusion == "failure", run.output

    def flagged(run: object) -> set[tuple[str, int]]:
        return {(a["path"], a["start_line"]) for a in run.annotations}

    # export-ignore: the file left out of the archive was fetched by its blob id and judged
    assert ("hidden.py", 5) in flagged(semgrep) and ("hidden.py", 5) in flagged(lint)
    # export-subst: the committed bytes were judged, so the live eval on line 2 is found
    assert ("stamp.py", 2) in flagged(semgrep) and ("stamp.py", 2) in flagged(lint)
    # a Python script without a suffix is judged as Python, under its own name
    assert ("bin/deploy", 4) in flagged(semgrep) and ("bin/deploy", 5) in flagged(lint)
    # the link is not followed: every Python gate names it and fails
    for run in (lint, types, semgrep):
        summary = run.output["summary"]
        assert "tool.py" in summary and "symbolic link" in summary, summary
    # the requirements file GitHub calls binary is audited, and its vulnerable pin found
    assert "requests" in audit.output["summary"]
    assert any(a["path"] == "requirements.txt" for a in audit.annotations)
    fetched = {r.path.rsplit("/", 1)[1] for r in ghsim.state.requests("GET", r"/git/blobs/")}
    assert {files["hidden.py"]["sha"], files["stamp.py"]["sha"]} <= fetched
    assert files["tool.py"]["sha"] not in fetched  # a link's blob is only its target's name
