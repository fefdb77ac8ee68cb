"""Ready caches of the standard library for mypy: a warm run reports exactly what a cold one does, with and
without the sandbox; no pull request's code ever enters a ready cache, and no run changes the copy another
starts from; a module that shadows the standard library is judged as without the cache; the number of configs
is bounded, and a failed build leaves runs cold."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ghapp.runners import mypy_stdlib
from ghapp.runners.base import RunContext
from ghapp.runners.mypy import Mypy
from ghapp.runners.mypy_config import build_config
from ghapp.runners.mypy_stdlib import EMPTY, StdlibCaches
from ghapp.runners.process import run
from ghapp.runners.sandbox import resolve

BAD = "import json\nimport os\n\n\ndef f(x: int) -> str:\n    return x + len(os.sep) + len(json.dumps({}))\n"


def wait_ready(caches: StdlibCaches, limit_s: float = 120.0) -> None:
    """Until no build is running (the build itself is bounded by mypy's timeout, not by this)."""
    deadline = time.monotonic() + limit_s
    while caches._building:
        assert time.monotonic() < deadline, "the ready cache was never built"
        time.sleep(0.05)


def digest(folder: Path) -> str:
    """Every file's path and bytes under `folder`."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def fresh(tmp_path: Path, name: str, files: dict[str, str], sandbox: str | None = None) -> RunContext:
    root = tmp_path / name / "head"
    root.mkdir(parents=True)
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return RunContext(root=root, scratch=tmp_path / name / "scratch", sandbox=sandbox)


def findings(report: object) -> list[tuple[str, int, str]]:
    return sorted((f.path, f.line, f.rule) for f in report.findings)  # type: ignore[attr-defined]


@pytest.mark.tools
@pytest.mark.parametrize("jail", [False, True], ids=["plain", "sandboxed"])
def test_a_warm_run_reports_what_a_cold_one_does(tmp_path: Path, jail: bool) -> None:
    sandbox = resolve("bwrap") if jail else None  # bubblewrap is installed by .ci/run: required here
    caches = StdlibCaches()
    mypy = Mypy(stdlib=caches)
    cold = asyncio.run(run(mypy, fresh(tmp_path, "cold", {"app.py": BAD}, sandbox), ["app.py"], timeout_s=120))
    wait_ready(caches)
    (ready,) = caches._ready
    home = caches._home()
    assert not list((home / ready).rglob(f"{Path(EMPTY).stem}.*"))  # the build's own empty file is not kept
    assert not list((home / ready).rglob("app.*"))  # nor anything of the pull request's
    before = digest(home / ready)
    ctx = fresh(tmp_path, "warm", {"app.py": BAD}, sandbox)
    warm = asyncio.run(run(mypy, ctx, ["app.py"], timeout_s=120))
    assert (ctx.scratch / "mypy" / "cache").is_dir()
    assert cold.status == warm.status == "ok", (cold.error, warm.error)
    assert findings(warm) == findings(cold) == [("app.py", 6, "return-value")]
    assert digest(home / ready) == before  # the run wrote into its own copy only


@pytest.mark.tools
def test_a_module_shadowing_the_standard_library_is_judged_as_without_the_cache(tmp_path: Path) -> None:
    """A PR's own `json.py` must not be read as typeshed's `json` from the ready cache, nor the other way round,
    and it must not change what the next run of another repository starts from."""
    caches = StdlibCaches()
    mypy = Mypy(stdlib=caches)
    asyncio.run(run(mypy, fresh(tmp_path, "first", {"app.py": "x: int = 1\n"}), ["app.py"], timeout_s=120))
    wait_ready(caches)
    (ready,) = caches._ready
    before = digest(caches._home() / ready)
    shadow = {"json.py": "def dumps(x: int) -> int:\n    return x\n", "app.py": BAD}
    files = ["app.py", "json.py"]
    warm = asyncio.run(run(mypy, fresh(tmp_path, "warm", shadow), files, timeout_s=120))
    cold = asyncio.run(run(Mypy(), fresh(tmp_path, "cold", shadow), files, timeout_s=120))
    assert (warm.status, findings(warm), warm.error) == (cold.status, findings(cold), cold.error)
    assert digest(caches._home() / ready) == before
    after = asyncio.run(run(mypy, fresh(tmp_path, "next", {"app.py": BAD}), ["app.py"], timeout_s=120))
    assert findings(after) == [("app.py", 6, "return-value")]


@pytest.mark.tools
def test_each_config_has_its_own_cache_and_their_number_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mypy_stdlib, "MAX_CONFIGS", 1)
    caches = StdlibCaches()
    mypy = Mypy(stdlib=caches)
    asyncio.run(run(mypy, fresh(tmp_path, "a", {"app.py": "x = 1\n"}), ["app.py"], timeout_s=120))
    wait_ready(caches)
    strict = {"app.py": "x = 1\n", "mypy.ini": "[mypy]\nstrict = true\n"}
    ctx = fresh(tmp_path, "b", strict)
    report = asyncio.run(run(mypy, ctx, ["app.py"], timeout_s=120))
    assert report.status == "ok"
    assert len(caches._ready) == 1 and not caches._building  # no second cache was started
    config = ("mypy.ini", build_config({"mypy.ini": strict["mypy.ini"]}).text)
    assert caches.seed(ctx, config, tmp_path / "again", Mypy().command) is False  # cold, and stays so
    assert not caches._building and not (tmp_path / "again").exists()


def test_a_failed_build_leaves_runs_cold(tmp_path: Path) -> None:
    """A build whose mypy cannot start (here: no such executable) keeps nothing and raises nothing."""
    caches = StdlibCaches()
    ctx = RunContext(root=tmp_path / "head", scratch=tmp_path / "scratch", tool_dir=tmp_path / "no-tools")
    command: Callable[[RunContext, list[str]], list[str]] = Mypy().command  # type: ignore[assignment]
    assert caches.seed(ctx, ("mypy.ini", "[mypy]\n"), tmp_path / "cache", command) is False
    wait_ready(caches)
    assert caches._ready == set()
    assert caches.seed(ctx, ("mypy.ini", "[mypy]\n"), tmp_path / "cache", command) is False
    wait_ready(caches)
    assert not (tmp_path / "cache").exists()
