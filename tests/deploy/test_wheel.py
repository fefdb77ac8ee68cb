"""The App as an operator installs it: a wheel built from this repository, installed (not editable) into a
fresh virtualenv, run from a directory that has nothing of the repository in it. `ghapp serve` answers
/setup and its stylesheet, `ghapp setup --manifest` reads app.yml, `ghapp policy validate` merges over the
bundled default policy, and `ghapp check` detects AI use with the bundled signals and scans with the bundled
Semgrep rules. The source the wheel was built from is deleted before anything runs, so nothing can be read
from beside a checkout."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.paths import FIXTURES, ROOT
from tests.polling import free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

# What a wheel is built from: the project's metadata, the package, and the data it links to.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "app.yml", "policies", "ghapp")
AI_TRAILER = "\n\nCo-authored-by: Claude <noreply@anthropic.com>"


def _pip_env() -> dict[str, str]:
    """The machine's pip settings (index, cache) without anything that would let the checkout leak in."""
    return {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("GHAPP_")
    }


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv[:3]}: {done.stderr[-3000:]}"
    return done  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wheel per session, built from a copy of the repository's sources that is then deleted."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    out = work / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(source)], env=_pip_env())
    shutil.rmtree(source)
    (built,) = out.glob("prompt_to_pr-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin` folder of a fresh virtualenv holding the wheel and its dependencies (from the index)."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], env=_pip_env())
    return venv / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty working directory far from the repository."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def _env(home: Path, **settings: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), **settings}


def _package_files() -> set[str]:
    """Every file of the package as the checkout has it, through the links to policies/ and app.yml."""
    found = set()
    for folder, dirs, files in os.walk(ROOT / "ghapp", followlinks=True):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found |= {(Path(folder) / name).relative_to(ROOT).as_posix() for name in files if not name.endswith(".pyc")}
    return found


def test_the_wheel_carries_every_file_of_the_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = _package_files()
    assert {
        "ghapp/app.yml",
        "ghapp/policies/default.yml",
        "ghapp/policies/ai-signals.yml",
        "ghapp/policies/semgrep/secrets.yml",
        "ghapp/web/static/style.css",
        "ghapp/web/templates/setup.html",
        "ghapp/store/migrations/script.py.mako",
    } <= expected
    assert expected <= names, sorted(expected - names)
    assert {
        f"ghapp/policies/{p.relative_to(ROOT / 'policies').as_posix()}"
        for p in (ROOT / "policies").rglob("*")
        if p.is_file()
    } <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "the licence travels with the wheel"


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Path, elsewhere: Path) -> None:
    done = _run(
        [
            str(installed / "python"),
            "-c",
            "import ghapp, ghapp.resources as r; print(ghapp.__file__); print(r.policies_dir())",
        ],
        cwd=elsewhere,
        env=_env(elsewhere),
    )
    package, policies = done.stdout.split()
    venv = installed.parent.resolve()
    assert Path(package).resolve().is_relative_to(venv) and Path(policies).resolve().is_relative_to(venv)
    assert not Path(policies).is_symlink()


def test_serve_from_any_directory_answers_setup(installed: Path, elsewhere: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(
        elsewhere,
        GHAPP_HOST="127.0.0.1",
        GHAPP_PORT=str(port),
        GHAPP_DATA_DIR=str(elsewhere / "var"),
        GHAPP_GITHUB_API_URL="http://127.0.0.1:9",
    )
    with (elsewhere / "serve.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(installed / "ghapp"), "serve"], cwd=elsewhere, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return proc.poll() is not None  # stop waiting for a process that died

        assert wait_for(up, timeout=120) and proc.poll() is None, (elsewhere / "serve.log").read_text()[-3000:]
        setup = httpx.get(f"{base}/setup")
        assert setup.status_code == 200 and "app.yml" in setup.text and "<form" in setup.text
        style = httpx.get(f"{base}/static/style.css")
        assert style.status_code == 200
        assert style.text == (ROOT / "ghapp" / "web" / "static" / "style.css").read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert proc.returncode == 0, (elsewhere / "serve.log").read_text()[-3000:]


def test_setup_manifest_is_read_from_the_package(installed: Path, elsewhere: Path) -> None:
    done = _run(
        [str(installed / "ghapp"), "setup", "--manifest"],
        cwd=elsewhere,
        env=_env(elsewhere, GHAPP_DATA_DIR=str(elsewhere / "var"), GHAPP_PUBLIC_URL="https://ptp.example"),
    )
    manifest = json.loads(done.stdout)
    assert manifest["hook_attributes"]["url"].startswith("https://ptp.example/")
    assert "pull_request" in manifest["default_events"]


def test_policy_validate_merges_over_the_bundled_default(installed: Path, elsewhere: Path) -> None:
    good, bad = elsewhere / "good.yml", elsewhere / "bad.yml"
    good.write_text("mode: report\n")
    bad.write_text("mode: report\ngates:\n  lint:\n    enabled: maybe\n")
    ghapp = str(installed / "ghapp")
    ok = _run([ghapp, "policy", "validate", str(good)], cwd=elsewhere, env=_env(elsewhere))
    assert ok.stdout == f"{good}: valid\n"
    failed = subprocess.run(
        [ghapp, "policy", "validate", str(bad)],
        cwd=elsewhere,
        env=_env(elsewhere),
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1 and failed.stdout.startswith(f"{bad}:4:"), failed.stdout + failed.stderr
    explained = _run([ghapp, "policy", "explain", "--files", "billing/charge.py"], cwd=elsewhere, env=_env(elsewhere))
    assert "policies/default.yml" in explained.stdout and "billing" in explained.stdout


def _git(repo: Path, *args: str) -> None:
    _run(["git", "-C", str(repo), *args])


def test_check_uses_the_bundled_signals_and_semgrep_rules(installed: Path, elsewhere: Path) -> None:
    repo = elsewhere / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.name", "Dev")
    _git(repo, "config", "user.email", "dev@example.com")
    (repo / "README.md").write_text("x\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "Initial")
    _git(repo, "checkout", "-qb", "feature")
    (repo / "tools.py").write_text((FIXTURES / "repos" / "bad" / "app.py").read_text())
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "Add tools" + AI_TRAILER)
    done = subprocess.run(
        [str(installed / "ghapp"), "check", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env=_env(elsewhere, GHAPP_OSV_URL="http://127.0.0.1:9/v1/query"),
    )
    assert done.returncode == 1, done.stderr[-3000:]
    decision = json.loads(done.stdout)
    assert decision["verdict"]["verdict"] == "ai" and decision["verdict"]["tools"] == ["claude"]
    gates = {g["gate"]: g for g in decision["gates"]}
    assert ("tools.py", "injection-shell-true-non-literal") in {
        (a["path"], a["rule"]) for a in gates["semgrep"]["annotations"]
    }
    assert ("tools.py", "F401") in {(a["path"], a["rule"]) for a in gates["lint"]["annotations"]}
