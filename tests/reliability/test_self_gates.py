"""The project's gates on itself: Semgrep with the bundled rules over ghapp/ finds no ERROR (a suppression must
say why on its line), and pip-audit audits every pinned dependency of the App's own environment against the
local OSV server, each package audited or listed, none skipped in silence. (ruff and mypy --strict run on
ghapp/ in scripts/test.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tokenize
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from tests.osv_server import serve
from tests.paths import ROOT

BIN = Path(sys.executable).parent
RULES = ROOT / "policies" / "semgrep"
NOSEM = re.compile(r"#\s*nosemgrep\b(?P<rest>.*)$")


def _semgrep(target: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            str(BIN / "semgrep"),
            "scan",
            "--config",
            str(RULES),
            "--metrics=off",
            "--disable-version-check",
            "--json",
            "--quiet",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.mark.tools
def test_semgrep_with_the_bundled_rules_finds_no_error_in_the_app() -> None:
    report = _semgrep(ROOT / "ghapp")
    assert report["errors"] == []
    scanned = report["paths"]["scanned"]
    assert len(scanned) > 50 and any(p.endswith("ghapp/runtime/webhooks.py") for p in scanned)
    errors = [
        f"{r['path']}:{r['start']['line']}: {r['check_id']}: {r['extra']['message']}"
        for r in report["results"]
        if r["extra"]["severity"] == "ERROR"
    ]
    assert errors == []


@pytest.mark.tools
def test_the_rules_do_fire_on_a_planted_secret(tmp_path: Path) -> None:
    """The scan above is not vacuous: the same rules flag what they are for."""
    planted = tmp_path / "planted.py"
    planted.write_text('client_secret = "s3cr3t-value-1234"\nimport pickle\nrows = pickle.loads(data)\n')
    report = _semgrep(planted)
    ids = {r["check_id"].rsplit(".", 1)[-1] for r in report["results"] if r["extra"]["severity"] == "ERROR"}
    assert "secrets-hardcoded-credential" in ids


def test_every_semgrep_suppression_in_the_app_names_its_rule_and_says_why() -> None:
    found = []
    for path in sorted((ROOT / "ghapp").rglob("*.py")):
        with path.open("rb") as handle:
            comments = [t for t in tokenize.tokenize(handle.readline) if t.type == tokenize.COMMENT]
        for token in comments:
            match = NOSEM.search(token.string)
            if match:
                found.append((f"{path.relative_to(ROOT)}:{token.start[0]}", match["rest"]))
    assert found, "expected the justified suppression in ghapp/settings.py"
    for where, rest in found:
        assert re.match(r"\s*:\s*[\w.-]+\s+-\s+\S.{10,}", rest), f"{where}: `# nosemgrep: <rule> - <why>` expected"


def _pins() -> dict[str, str]:
    """The App's environment as `pip freeze` sees it, without the project itself (installed editable)."""
    done = subprocess.run(
        [str(BIN / "python"), "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    pins: dict[str, str] = {}
    for line in done.stdout.splitlines():
        name, sep, version = line.partition("==")
        assert sep, f"not a pin: {line!r}"
        if canonicalize_name(name) != "prompt-to-pr":
            pins[canonicalize_name(name)] = version
    return pins


def _audit(requirements: Path, osv_url: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [
            str(BIN / "pip-audit"),
            "-r",
            str(requirements),
            "--no-deps",
            "--disable-pip",
            "-s",
            "osv",
            "--osv-url",
            f"{osv_url}/v1/query",
            "-f",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.stdout.strip(), done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


@pytest.mark.tools
def test_pip_audit_audits_every_pinned_dependency_of_the_app(tmp_path: Path) -> None:
    pins = _pins()
    assert len(pins) > 40 and {"starlette", "githubkit", "sqlmodel", "huey"} <= set(pins)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))
    with serve() as (url, index):
        code, report = _audit(requirements, url)
        queried = {canonicalize_name(q["package"]["name"]) for q in index.queries}
    deps: dict[str, Any] = {canonicalize_name(d["name"]): d for d in report["dependencies"]}
    assert set(deps) == set(pins), "a pinned package is missing from the report"
    skipped = {name: d["skip_reason"] for name, d in deps.items() if "skip_reason" in d}
    assert skipped == {}, f"not audited: {skipped}"
    assert queried == set(pins)  # every package was really asked about
    vulnerable = {name: [v["id"] for v in d["vulns"]] for name, d in deps.items() if d.get("vulns")}
    assert (code, vulnerable) == (0, {})


@pytest.mark.tools
def test_the_audit_would_catch_a_vulnerable_or_unauditable_pin(tmp_path: Path) -> None:
    """Control: the same command reports a known-vulnerable pin from the advisory fixtures, and a package it
    cannot audit is listed with its reason, not passed over."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("requests==2.19.0\nstarlette==1.10.0\n")
    with serve() as (url, _):
        code, report = _audit(requirements, url)
    deps: dict[str, Any] = {canonicalize_name(d["name"]): d for d in report["dependencies"]}
    assert code == 1 and deps["requests"]["vulns"] and deps["starlette"]["vulns"] == []
    unpinned = tmp_path / "unpinned.txt"
    unpinned.write_text("requests>=2\n")
    done = subprocess.run(
        [
            str(BIN / "pip-audit"),
            "-r",
            str(unpinned),
            "--no-deps",
            "--disable-pip",
            "-s",
            "osv",
            "-f",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0 and "requests" in done.stderr  # refused outright: nothing silently passes
