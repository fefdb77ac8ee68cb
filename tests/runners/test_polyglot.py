"""The tools for files beyond Python, each run for real: oxlint (JavaScript/TypeScript), shellcheck, zizmor
(GitHub Actions workflows) and detect-secrets. Each reports on the PR's own path and line, and none can be
silenced or reconfigured by the PR: suppression comments and config files in the checkout have no effect."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ghapp.core.decisions import ToolReport
from ghapp.runners.base import RunContext, Runner
from ghapp.runners.oxlint import Oxlint
from ghapp.runners.process import run
from ghapp.runners.secrets import Secrets
from ghapp.runners.shellcheck import Shellcheck
from ghapp.runners.staged import MAX_BYTES, defuse
from ghapp.runners.zizmor import Zizmor, is_workflow

pytestmark = pytest.mark.tools

JS = """import { exec } from "child_process";
export function handler(req) {
  // eslint-disable-next-line no-eval
  return eval(req.query.code);
}
/* oxlint-disable */
debugger;
"""
PR_CONFIG = '{"rules": {"no-eval": "off", "no-debugger": "off"}, "ignorePatterns": ["**/*"]}'
SHELL = """#!/bin/sh
# shellcheck disable=SC2086
rm -rf $TARGET/build
"""
WORKFLOW = """name: ci
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4  # zizmor: ignore[artipacked,dangerous-triggers]
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""
KEY = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's documented example access key id
SECRETS = f'const region = "eu-west-1";\nconst key = "{KEY}"; // pragma: allowlist secret\n'


def checkout(tmp_path: Path, files: dict[str, str]) -> RunContext:
    root = tmp_path / "head"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return RunContext(root=root, scratch=tmp_path / "scratch")


def report(runner: Runner, ctx: RunContext, files: list[str]) -> ToolReport:
    done = asyncio.run(run(runner, ctx, files, timeout_s=120))
    assert done.status == "ok", done.error
    return done


def test_oxlint_ignores_the_prs_config_and_disable_comments(tmp_path: Path) -> None:
    ctx = checkout(
        tmp_path,
        {"web/api.ts": JS, ".oxlintrc.json": PR_CONFIG, "web/.oxlintrc.json": PR_CONFIG, ".eslintignore": "*\n"},
    )
    found = {(f.path, f.line, f.rule) for f in report(Oxlint(), ctx, ["web/api.ts"]).findings}
    assert ("web/api.ts", 4, "eslint(no-eval)") in found
    assert ("web/api.ts", 7, "eslint(no-debugger)") in found


def test_shellcheck_ignores_disable_directives_and_rc_files(tmp_path: Path) -> None:
    ctx = checkout(
        tmp_path,
        {"scripts/clean.sh": SHELL, ".shellcheckrc": "disable=all\n", "scripts/.shellcheckrc": "disable=all\n"},
    )
    found = {(f.path, f.line, f.rule) for f in report(Shellcheck(), ctx, ["scripts/clean.sh"]).findings}
    assert ("scripts/clean.sh", 3, "SC2086") in found


def test_zizmor_finds_the_head_checkout_under_pull_request_target(tmp_path: Path) -> None:
    ctx = checkout(
        tmp_path,
        {
            ".github/workflows/ci.yml": WORKFLOW,
            ".github/zizmor.yml": "rules:\n  dangerous-triggers:\n    disable: true\n",
        },
    )
    done = report(Zizmor(), ctx, [".github/workflows/ci.yml"])
    rules = {f.rule for f in done.findings}
    assert {"dangerous-triggers", "template-injection"} <= rules
    injection = next(f for f in done.findings if f.rule == "template-injection")
    assert injection.path == ".github/workflows/ci.yml" and injection.line == 10 and injection.severity == "error"


def test_detect_secrets_names_the_detector_never_the_secret(tmp_path: Path) -> None:
    ctx = checkout(tmp_path, {"config/aws.js": SECRETS})
    done = report(Secrets(), ctx, ["config/aws.js"])
    found = [(f.path, f.line, f.rule) for f in done.findings]
    assert ("config/aws.js", 2, "secret-aws-access-key") in found
    assert all(KEY not in f.message for f in done.findings)


def test_files_too_big_to_copy_are_unaudited(tmp_path: Path) -> None:
    ctx = checkout(tmp_path, {"big.sh": "echo hi\n" * (MAX_BYTES // 8 + 1), "ok.sh": "echo hi\n"})
    done = report(Shellcheck(), ctx, ["big.sh", "ok.sh"])
    assert done.unaudited == (f"big.sh: a link or over {MAX_BYTES:,} bytes, not checked",)


def test_defused_directives_keep_their_length() -> None:
    from ghapp.runners.oxlint import _DIRECTIVES  # noqa: PLC0415

    text = "// eslint-disable-next-line\n/* oxlint-disable */\n"
    assert len(defuse(text, _DIRECTIVES)) == len(text) and "disable-next" not in defuse(text, _DIRECTIVES)[:20]


@pytest.mark.parametrize(
    ("path", "workflow"),
    [
        (".github/workflows/ci.yml", True),
        (".github/workflows/release.yaml", True),
        ("action.yml", True),
        ("tools/setup/action.yaml", True),
        ("docs/ci.yml", False),
        (".github/dependabot.yml", False),
    ],
)
def test_what_counts_as_a_workflow(path: str, workflow: bool) -> None:
    assert is_workflow(path) is workflow
