"""End to end with the real tools on a pull request beyond Python: a JavaScript file with a command injection
and a hard-coded provider key, a shell script with an unquoted variable, a workflow that checks out the head
under `pull_request_target`, and a vulnerable entry in every kind of lock file the App reads. Each gate names
each problem on its line; the same pull request with the problems fixed passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import AI_BODY, AI_MESSAGE, REPO, build_world, running_app
from tests.e2e.test_pull_request_flow import deliver, runs
from tests.ghsim import GitHubSim
from tests.osv_server import serve

pytestmark = [pytest.mark.tools, pytest.mark.slow]

KEY = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's documented example access key id
API_JS = f"""const {{ exec }} = require("child_process");

const awsKey = "{KEY}";

function list(req) {{
  exec(`ls ${{req.query.dir}}`);
}}

module.exports = {{ list, awsKey }};
"""
API_JS_FIXED = """const { execFile } = require("child_process");

const awsKey = process.env.AWS_ACCESS_KEY_ID;

function list(req) {
  execFile("ls", [String(req.query.dir)]);
}

module.exports = { list, awsKey };
"""
DEPLOY_SH = "#!/bin/sh\nset -eu\nrm -rf $BUILD_DIR/dist\n"
DEPLOY_SH_FIXED = '#!/bin/sh\nset -eu\nrm -rf "$BUILD_DIR/dist"\n'
WORKFLOW = """name: preview
on: pull_request_target
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11  # v4.1.1
        with:
          ref: ${{ github.event.pull_request.head.sha }}
          persist-credentials: false
      - run: make preview
"""
WORKFLOW_FIXED = """name: preview
on: pull_request
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11  # v4.1.1
        with:
          persist-credentials: false
      - run: make preview
"""


def package_lock(version: str) -> str:
    return (
        json.dumps(
            {
                "name": "web",
                "lockfileVersion": 3,
                "packages": {
                    "": {"name": "web"},
                    "node_modules/minimist": {
                        "version": version,
                        "resolved": f"https://registry.npmjs.org/minimist/-/minimist-{version}.tgz",
                    },
                },
            },
            indent=2,
        )
        + "\n"
    )


def lock_files(fixed: bool) -> dict[str, str]:
    """Every lock-file kind, each locking one package OSV knows a vulnerability in (or, fixed, its fix)."""
    minimist = "1.2.6" if fixed else "1.2.5"
    return {
        "web/package-lock.json": package_lock(minimist),
        "web/yarn.lock": f'# yarn lockfile v1\n\n\nminimist@^1.2.0:\n  version "{minimist}"\n'
        f'  resolved "https://registry.yarnpkg.com/minimist/-/minimist-{minimist}.tgz#0"\n',
        "app/pnpm-lock.yaml": f"lockfileVersion: '9.0'\n\npackages:\n\n  minimist@{minimist}:\n"
        "    resolution: {integrity: sha512-x}\n",
        "svc/go.mod": "module example.com/svc\n\ngo 1.21\n\n"
        f"require golang.org/x/crypto v{'0.17.0' if fixed else '0.14.0'}\n",
        "engine/Cargo.lock": 'version = 3\n\n[[package]]\nname = "smallvec"\n'
        f'version = "{"1.6.1" if fixed else "1.6.0"}"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n',
        "site/Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n"
        f"    google-protobuf ({'3.19.2' if fixed else '3.19.1'})\n\nBUNDLED WITH\n   2.4.1\n",
        "php/composer.lock": json.dumps(
            {"packages": [{"name": "google/protobuf", "version": "v3.15.0" if fixed else "v3.14.0"}]}, indent=2
        )
        + "\n",
        "java/pom.xml": "<project>\n  <dependencies>\n    <dependency>\n"
        "      <groupId>org.apache.httpcomponents</groupId>\n"
        "      <artifactId>httpclient</artifactId>\n"
        f"      <version>{'4.3.1' if fixed else '4.3'}</version>\n"
        "    </dependency>\n  </dependencies>\n</project>\n",
        "java/gradle.lockfile": "# This is a Gradle generated file for dependency locking.\n"
        f"io.netty:netty-handler:{'3.9.2.Final' if fixed else '3.9.0.Final'}=runtimeClasspath\n"
        "empty=\n",
    }


VULNERABLE = {  # lock file -> (line, advisory) the dependency audit must name
    "web/package-lock.json": (
        package_lock("1.2.5").splitlines().index('    "node_modules/minimist": {') + 1,
        "GHSA-xvch-5gv4-984h",
    ),
    "web/yarn.lock": (4, "GHSA-xvch-5gv4-984h"),
    "app/pnpm-lock.yaml": (5, "GHSA-xvch-5gv4-984h"),
    "svc/go.mod": (5, "GO-2023-2402"),
    "engine/Cargo.lock": (4, "RUSTSEC-2021-0003"),
    "site/Gemfile.lock": (4, "GHSA-wrvw-hg22-4m67"),
    "php/composer.lock": (4, "GHSA-77rm-9x9h-xj3g"),
    "java/pom.xml": (5, "GHSA-pqwh-44jj-p5rm"),
    "java/gradle.lockfile": (2, "GHSA-9959-6p3m-wxpc"),
}


def changes(fixed: bool) -> dict[str, str | None]:
    return {
        "web/api.js": API_JS_FIXED if fixed else API_JS,
        "scripts/deploy.sh": DEPLOY_SH_FIXED if fixed else DEPLOY_SH,
        ".github/workflows/preview.yml": WORKFLOW_FIXED if fixed else WORKFLOW,
        **lock_files(fixed),
    }


def test_every_language_gate_names_each_problem_and_the_fixed_pr_passes(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, files={"web/README.md": "web\n"})
    pull = ghsim.state.create_pull(
        REPO,
        changes=changes(fixed=False),
        messages=[AI_MESSAGE],
        body=AI_BODY,
        user="alice",
        title="Preview builds for the web app",
    )
    with serve() as (osv, _), running_app(ghsim, tmp_path, osv_url=f"{osv}/v1/query") as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        checks = runs(ghsim, pull.head_sha)
        lint, semgrep, audit = checks["lint"], checks["semgrep"], checks["dependency-audit"]
        for gate in (semgrep, audit):
            assert gate.conclusion == "failure", (gate.name, gate.output)
        # shellcheck rates SC2086 (the unquoted variable) info: named on its line, shown as a warning, and
        # blocking only where the policy says `block_on: warning`
        unquoted = [a for a in lint.annotations if a["path"] == "scripts/deploy.sh" and a["start_line"] == 3]
        assert unquoted, (lint.annotations, lint.output)
        assert "SC2086" in unquoted[0]["message"] and unquoted[0]["annotation_level"] == "warning"
        assert "oxlint" in lint.output["summary"] and "shellcheck" in lint.output["summary"]
        semgrep_hits = json.dumps(semgrep.annotations)
        by_line = {(a["path"], a["start_line"]) for a in semgrep.annotations}
        assert ("web/api.js", 6) in by_line and "injection-js-template-command-or-query" in semgrep_hits
        assert ("web/api.js", 3) in by_line and "secret-aws-access-key" in semgrep_hits  # detect-secrets
        assert KEY not in json.dumps(semgrep.output) + semgrep_hits  # the detector is named, never the secret
        assert (".github/workflows/preview.yml", 2) in by_line and "dangerous-triggers" in semgrep_hits  # zizmor
        audited = {(a["path"], a["start_line"]) for a in audit.annotations}
        audit_text = json.dumps(audit.annotations)
        for path, (line, advisory) in VULNERABLE.items():
            assert (path, line) in audited, (path, audit.output["title"], audit.output["summary"][:3000])
            assert advisory in audit_text, advisory
        assert "ci" in checks["approvals"].output["summary"]  # an AI PR changing a workflow needs an owner

        fixed = ghsim.state.push(REPO, pull.number, changes(fixed=True), message=AI_MESSAGE)
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize"))
        review = ghsim.state.add_review(REPO, pull.number, "pat")  # the platform team owns everything else
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, review.id))
        checks = runs(ghsim, fixed)
        for gate in ("provenance", "lint", "types", "semgrep", "dependency-audit", "approvals"):
            assert checks[gate].conclusion in ("success", "neutral"), (gate, checks[gate].output)
