"""PR code is never executed, end to end: an AI pull request that ships a mypy plugin, a python_executable
script, setup.py, conftest.py, sitecustomize.py, a module shadowing the standard library, editable and URL
requirements, and semgrep evasions, is checked by the App with the real ruff, mypy, semgrep and pip-audit.
None of the files runs (no marker file appears), and the evasions do not hide the finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import REPO, build_world, running_app
from tests.ghsim import GitHubSim
from tests.osv_server import serve

AI_MESSAGE = "Add the report job\n\nCo-Authored-By: Claude <noreply@anthropic.com>"


def _touch(marker: Path) -> str:
    return f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"


def hostile_files(markers: Path) -> dict[str, str]:
    def m(name: str) -> str:
        return _touch(markers / name)

    plugin = m("mypy-plugin") + "def plugin(version):\n    from mypy.plugin import Plugin\n    return Plugin\n"
    return {
        "mypy.ini": "[mypy]\nplugins = evil_plugin\npython_executable = ./evil.sh\n",
        "setup.cfg": "[mypy]\nplugins = evil_plugin\n[tool:pytest]\naddopts = -p evil_plugin\n",
        "pyproject.toml": '[tool.mypy]\nplugins = ["evil_plugin"]\n[build-system]\nrequires = ["evil"]\n',
        "evil_plugin.py": plugin,
        "evil.sh": f"#!/bin/sh\ntouch {markers / 'python-executable'}\n",
        "setup.py": m("setup-py"),
        "conftest.py": m("conftest"),
        "sitecustomize.py": m("sitecustomize"),
        "usercustomize.py": m("usercustomize"),
        "typing.py": m("shadowed-stdlib"),
        "json.py": m("shadowed-json"),
        ".semgrepignore": "*\n**/*\n",
        "requirements.txt": "-e .\n--extra-index-url http://127.0.0.1:9/simple\nrequests==2.19.0\n"
        "evil @ file:///tmp/evil.tar.gz\n",
        "report/job.py": (
            "import typing\n\n\ndef run(x: int) -> str:\n"
            '    client_secret = "s3cr3t-live-value-1234"  # nosemgrep\n'
            "    return x\n"
        ),
    }


@pytest.mark.tools
@pytest.mark.slow
def test_hostile_repository_files_never_run_while_the_real_tools_check_them(ghsim: GitHubSim, tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    build_world(ghsim)
    pull = ghsim.state.create_pull(
        REPO,
        changes=dict(hostile_files(markers)),
        messages=[AI_MESSAGE],
        body="Adds the report job.\n\n## Prompt\nWrite the report job.\n",
        user="alice",
        title="Report job",
    )
    with serve() as (osv, _), running_app(ghsim, tmp_path, osv_url=f"{osv}/v1/query") as app:
        delivery = ghsim.send_webhook(app.url, "pull_request", ghsim.payloads.pull_request(REPO, pull.number))
        assert delivery.status_code == 202
        app.idle(timeout=240)
    assert sorted(p.name for p in markers.iterdir()) == []
    runs = {r.name.removeprefix("prompt-to-pr / "): r for r in ghsim.state.check_runs_for(REPO, pull.head_sha)}
    assert {"lint", "types", "semgrep", "dependency-audit"} <= set(runs)
    assert all(runs[g].status == "completed" for g in ("lint", "types", "semgrep", "dependency-audit"))
    # the evasions did not work: semgrep saw the secret despite .semgrepignore and `# nosemgrep`
    semgrep = runs["semgrep"]
    assert semgrep.conclusion == "failure", semgrep.output
    assert any(a["path"] == "report/job.py" for a in semgrep.annotations), semgrep.annotations
    # mypy ran with our own configuration, not the repository's, and judged the code
    assert runs["types"].conclusion == "failure", runs["types"].output
    # the known-vulnerable pin is found; the editable and URL requirements are named, not installed
    audit = runs["dependency-audit"]
    assert audit.conclusion == "failure"
    assert "requests" in audit.output["summary"]
