"""Dependency audit coverage: an AI pull request brings known-vulnerable pins in through every way pip and the
build tools read them but the audit did not: `-r`/`-c` includes of files with other names, a
`dev-requirements.txt`, `setup.cfg`'s `install_requires`, `[build-system].requires`; it adds an
`--extra-index-url`, and a lock file whose `version` string carries a second line. The App on the simulator
with the real pip-audit against the local OSV server: every pin is audited or named as unaudited, with why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import REPO, build_world, running_app
from tests.ghsim import GitHubSim
from tests.osv_server import serve

AI_MESSAGE = "Pin the dependencies\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
ATTACK = {
    "requirements.txt": "-r deps/web.txt\n-c deps/locked.txt\n-r ../outside.txt\n",
    "deps/web.txt": "requests==2.19.0\n",
    "deps/locked.txt": "urllib3==1.24.1\n",
    "dev-requirements.txt": "jinja2==2.10\n",
    "setup.cfg": "[metadata]\nname = payments\n\n[options]\ninstall_requires =\n    pyyaml==5.3\n",
    "pyproject.toml": '[build-system]\nrequires = ["setuptools==0.6"]\n',
    "requirements-mirror.txt": "--extra-index-url https://mirror.example.invalid/simple\n",
    "uv.lock": '[[package]]\nname = "six"\nversion = "1.16.0\\n-r /etc/passwd"\n',
}


@pytest.mark.tools
@pytest.mark.slow
def test_every_way_of_naming_a_dependency_is_audited_or_named(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim)
    pull = ghsim.state.create_pull(
        REPO,
        changes=dict(ATTACK),
        messages=[AI_MESSAGE],
        user="alice",
        title="Pins",
        body="Pins.\n\n## Prompt\nPin the dependencies.\n",
    )
    with serve() as (osv, _), running_app(ghsim, tmp_path, osv_url=f"{osv}/v1/query") as app:
        delivery = ghsim.send_webhook(app.url, "pull_request", ghsim.payloads.pull_request(REPO, pull.number))
        assert delivery.status_code == 202
        app.idle(timeout=240)
    (audit,) = [r for r in ghsim.state.check_runs_for(REPO, pull.head_sha) if r.name.endswith("dependency-audit")]
    assert audit.conclusion == "failure"
    messages = [a["message"] for a in audit.annotations]

    def vulnerable(package: str, path: str) -> bool:
        return any(a["path"] == path and a["message"].startswith(f"{package}: PYSEC-") for a in audit.annotations)

    # includes followed inside the checkout, reported on the include line with where the pin comes from
    assert vulnerable("requests 2.19.0 (from deps/web.txt:1)", "requirements.txt"), messages
    assert vulnerable("urllib3 1.24.1 (from deps/locked.txt:1)", "requirements.txt"), messages
    # other names and files pip and the build tools read
    assert vulnerable("jinja2 2.10", "dev-requirements.txt"), messages
    assert vulnerable("pyyaml 5.3", "setup.cfg"), messages
    assert vulnerable("setuptools 0.6", "pyproject.toml"), messages
    # what cannot be audited is named with why, never dropped
    summary = audit.output["summary"]
    assert "outside the repository" in summary
    assert "mirror.example.invalid" in summary and "the audit does not know" in summary
    assert "not a version" in summary  # the lock file's two-line version never reached pip-audit
