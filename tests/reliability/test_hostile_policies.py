"""Hostile policy files through the core parser, `ghapp policy validate` (in-process and as a real
subprocess) and the App's policy loader against the GitHub simulator: YAML bombs, huge files, deep
nesting, `_extends` loops and cross-org references, non-UTF-8 bytes, tabs, duplicate keys. Each becomes a
clear error naming the file and a line; nothing hangs or crashes. "Quickly" is measured against the work of
a benign policy file of the largest size allowed, loaded in the same run: CPU time, with a wide margin, so
a loaded machine does not fail the test and a parser that explodes on its input still does."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from ghapp.cli import main
from ghapp.core.policy.load import POLICY_PATH, load_policy
from ghapp.github.policy_source import LoadedPolicy, PolicySource
from ghapp.resources import default_policy_text
from tests.ghsim import GitHubSim
from tests.paths import ROOT
from tests.work import best_cpu_seconds, child_cpu_seconds, cpu_seconds

MARGIN = 10  # a hostile file may cost this many times the benign baseline (the worst costs 0.7); a bomb, thousands


def _laughs(levels: int = 9) -> str:
    lines = ['lol0: &lol0 "lol"']
    lines += [f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


# name -> (file bytes, words one of the issues must contain, the line that issue must name)
HOSTILE: dict[str, tuple[bytes, str, int]] = {
    "billion-laughs": (_laughs().encode(), "anchors and aliases", 2),
    "merge-key-bomb": (b"base: &b {mode: report}\nover:\n  <<: *b\n", "anchors and aliases", 3),
    "huge-file": (b"# padding\n" * 30_000, "a policy file may be at most 256 KiB", 1),
    "huge-value": (b"mode: '" + b"x" * 250_000 + b"'\n", "mode", 1),
    "many-unknown-keys": (b"".join(b"key%d: 1\n" % i for i in range(20_000)), "more than 10000 values", 5000),
    "some-unknown-keys": (b"".join(b"key%d: 1\n" % i for i in range(4_000)), "unknown key 'key0'", 1),
    "long-list": (b"gates:\n  lint:\n    rules: [" + b", ".join([b"E"] * 60_000) + b"]\n", "more than 10000 values", 3),
    "deep-block": (("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 60))).encode(), "nests deeper", 32),
    "deep-flow": (b"mode: " + b"[" * 50_000 + b"]" * 50_000 + b"\n", "nests deeper", 1),
    "unclosed-flow": (b"mode: " + b"{a: [" * 40_000 + b"\n", "nests deeper", 1),
    "unclosed-quote": (b"mode: 'report\n" + b"x" * 200_000, "invalid YAML", 2),
    "tabs": (b"gates:\n\tlint:\n\t\tenabled: false\n", "tabs", 2),
    "duplicate-keys": (b"mode: enforce\ngates: {}\nmode: report\n", "duplicate key 'mode'", 3),
    "duplicate-nested": (b"gates:\n  lint:\n    enabled: true\n    enabled: false\n", "duplicate key 'enabled'", 4),
    # a tag on a list is dropped (never constructed): the value is judged as the list it is
    "python-tag": (b"mode: !!python/object/apply:os.system ['touch /tmp/ghapp-pwned']\n", "mode must be one of", 1),
    "python-tag-scalar": (b"mode: !!python/name:os.system ''\n", "unsupported", 1),
    "custom-tag": (b"mode: !include /etc/passwd\n", "unsupported", 1),
    "nul-byte": (b"mode: enf\x00orce\n", "invalid character", 1),
    "control-char": (b"mode: enforce\ngates:\n  lint: \x1b[31m\n", "invalid character", 3),
    "huge-integer": (b"gates:\n  lint:\n    block_on: " + b"9" * 10_000 + b"\n", "too large", 3),
    "many-documents": (b"mode: report\n---\nmode: enforce\n", "single document", 2),
    "not-a-mapping": (b"- mode\n- report\n", "must be a mapping", 1),
    "extends-traversal": (b"_extends: ../../../etc/passwd\n", "_extends", 1),
    "extends-url": (b"_extends: https://evil.example/policy.yml\n", "_extends", 1),
    "extends-dot-dot-path": (b"_extends: policies:../../installation.yml\n", "_extends", 1),
    "extends-not-yaml": (b"_extends: org/repo:.github/x.sh\n", "_extends", 1),
    "yes-no-keys": (b"gates:\n  lint:\n    yes: true\n", "not a plain string", 3),
}
NOT_UTF8: dict[str, bytes] = {
    "latin-1": "mode: r\u00e9port\n".encode("latin-1"),
    "utf-16": "mode: report\n".encode("utf-16"),
    "invalid-continuation": b"mode: report\ngates:\n  lint: \xc3\x28\n",
}
POLICY_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")


def _benign_policy() -> str:
    """A valid policy file just under the 256 KiB cap: thousands of paths to approve."""
    text = "approvals:\n  billing:\n    paths:\n" + "".join(
        f"      - src/billing/module_{i}/**/*.py\n" for i in range(6_500)
    )
    assert 200_000 < len(text) < 256 * 1024
    return text


@pytest.fixture(scope="module")
def baseline_s() -> float:
    """CPU seconds to load the bundled default and the largest benign policy file (best of three)."""
    layers = [("policies/default.yml", default_policy_text()), ("benign.yml", _benign_policy())]
    assert load_policy(layers).ok
    return best_cpu_seconds(lambda: load_policy(layers))


def _measured_load(name: str, data: bytes) -> tuple[float, list[str]]:
    result, cpu = cpu_seconds(
        lambda: load_policy([("policies/default.yml", default_policy_text()), (name, data.decode("utf-8"))])
    )
    assert not result.ok
    return cpu, [str(issue) for issue in result.issues]


@pytest.mark.parametrize("name", HOSTILE)
def test_the_core_parser_reports_each_hostile_file_at_a_line_quickly(name: str, baseline_s: float) -> None:
    data, words, line = HOSTILE[name]
    cpu, issues = _measured_load(name, data)
    assert cpu < MARGIN * baseline_s, f"{name}: {cpu:.2f} s of CPU, the benign baseline {baseline_s:.3f} s"
    assert issues and all(issue.startswith(f"{name}:") for issue in issues), issues[:3]
    assert any(words in issue and issue.startswith(f"{name}:{line}:") for issue in issues), issues[:3]
    assert not Path("/tmp/ghapp-pwned").exists()


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name, (data, _, _) in HOSTILE.items():
        (folder / f"{name}.yml").write_bytes(data)
    for name, data in NOT_UTF8.items():
        (folder / f"{name}.yml").write_bytes(data)
    return folder


def _validate(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["policy", "validate", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", HOSTILE)
def test_policy_validate_prints_located_errors_and_exits_1(hostile_dir: Path, name: str, baseline_s: float) -> None:
    path = str(hostile_dir / f"{name}.yml")
    _, words, line = HOSTILE[name]
    (code, out, err), cpu = cpu_seconds(lambda: _validate(path))
    assert cpu < MARGIN * baseline_s, f"{name}: {cpu:.2f} s of CPU, the benign baseline {baseline_s:.3f} s"
    assert (code, err) == (1, "")
    printed = [POLICY_LINE.match(text) for text in out.splitlines()]
    assert printed and all(m is not None and m["file"] == path for m in printed), out[:500]
    assert any(m is not None and int(m["line"]) == line and words in m["message"] for m in printed), out[:500]


@pytest.mark.parametrize("name", NOT_UTF8)
def test_policy_validate_names_the_undecodable_byte(hostile_dir: Path, name: str) -> None:
    path = str(hostile_dir / f"{name}.yml")
    code, out, err = _validate(path)
    assert (code, out) == (2, "")
    assert path in err and "can't decode byte" in err and "position" in err


def test_policy_validate_as_a_real_process_over_every_hostile_file(hostile_dir: Path, tmp_path: Path) -> None:
    paths = [str(hostile_dir / f"{name}.yml") for name in HOSTILE]
    ghapp = str(Path(sys.executable).parent / "ghapp")
    benign = tmp_path / "benign.yml"
    benign.write_text(_benign_policy())

    def validate(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ghapp, "policy", "validate", *files], check=False, capture_output=True, text=True, timeout=600, cwd=ROOT
        )

    # the baseline: one process start and the largest benign file, best of three
    baseline = min(child_cpu_seconds(lambda: validate(str(benign)))[1] for _ in range(3))
    done, cpu = child_cpu_seconds(lambda: validate(*paths))
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    named = {m["file"] for text in done.stdout.splitlines() if (m := POLICY_LINE.match(text))}
    assert named == set(paths)
    assert cpu < MARGIN * baseline + len(paths) * baseline, f"{cpu:.2f} s of CPU, the benign baseline {baseline:.2f} s"
    assert "Traceback" not in done.stdout


# --- the App's loader: files on GitHub, `_extends` across repositories and organisations ---------------


@pytest.fixture
def sim() -> Iterator[GitHubSim]:
    simulator = GitHubSim()
    state = simulator.state
    state.create_installation(
        "acme",
        repositories=[
            "acme/app",
            "acme/.github",
            "acme/policies",
            "acme/p1",
            "acme/p2",
            "acme/p3",
            "acme/p4",
            "acme/p5",
            "acme/p6",
        ],
    )
    state.create_installation("other-org")  # another org's installation: its token cannot read acme's
    state.create_repo("other-org/policies", files={POLICY_PATH: "mode: report\n"})
    yield simulator


def _load(sim: GitHubSim, files: dict[str, dict[str, str | bytes]]) -> tuple[float, LoadedPolicy]:
    """CPU seconds of this process (the simulator's thread included) to load acme/app's policy, and the result."""
    for full_name, tree in files.items():
        sim.state.create_repo(full_name, files=dict(tree))
    acme = next(i for i in sim.state.installations.values() if i.account == "acme")

    async def body() -> LoadedPolicy:
        async with sim.github_app() as app:
            return await PolicySource().load(app.installation(acme.id), "acme", "app", "main")

    loaded, cpu = cpu_seconds(lambda: asyncio.run(body()))
    return cpu, loaded


def _chain(n: int) -> dict[str, dict[str, str | bytes]]:
    files: dict[str, dict[str, str | bytes]] = {"acme/app": {POLICY_PATH: "_extends: p1\n"}}
    for i in range(1, n + 1):
        files[f"acme/p{i}"] = {POLICY_PATH: f"_extends: p{i + 1}\n" if i < n else "mode: report\n"}
    return files


APP_CASES: dict[str, tuple[dict[str, dict[str, str | bytes]], str, str]] = {
    "loop through two repositories": (
        {
            "acme/app": {POLICY_PATH: "mode: report\n_extends: policies\n"},
            "acme/policies": {POLICY_PATH: "_extends: app\n"},
        },
        "acme/policies:.github/prompt-to-pr.yml:1:",
        "Recursion detected",
    ),
    "a file extending itself": (
        {"acme/app": {POLICY_PATH: "_extends: app\n"}},
        ".github/prompt-to-pr.yml:1:",
        "Recursion detected",
    ),
    "loop through the org file": (
        {
            "acme/.github": {POLICY_PATH: "_extends: policies\n"},
            "acme/app": {POLICY_PATH: "mode: report\n"},
            "acme/policies": {POLICY_PATH: "_extends: .github\n"},
        },
        "acme/policies:.github/prompt-to-pr.yml:1:",
        "Recursion detected",
    ),
    "another org's repository": (
        {"acme/app": {POLICY_PATH: "_extends: other-org/policies\n"}},
        ".github/prompt-to-pr.yml:1:",
        "does not exist or the App cannot read it",
    ),
    "a repository that does not exist": (
        {"acme/app": {POLICY_PATH: "_extends: nowhere\n"}},
        ".github/prompt-to-pr.yml:1:",
        "does not exist or the App cannot read it",
    ),
    "a chain too long": (_chain(6), "acme/p5:.github/prompt-to-pr.yml:1:", "more than 5 files"),
    "billion laughs": ({"acme/app": {POLICY_PATH: _laughs()}}, ".github/prompt-to-pr.yml:2:", "anchors and aliases"),
    "not UTF-8": ({"acme/app": {POLICY_PATH: b"mode: r\xe9port\n"}}, ".github/prompt-to-pr.yml:1:", "not UTF-8"),
    "over a megabyte (sent without content)": (
        {"acme/app": {POLICY_PATH: "# pad\n" * 250_000}},
        ".github/prompt-to-pr.yml:1:",
        "at most 256 KiB",
    ),
    "a path walking out of the contents route": (
        {
            "acme/app": {POLICY_PATH: "_extends: policies:../../../../installation.yml\n"},
            "acme/policies": {POLICY_PATH: "mode: report\n"},
        },
        ".github/prompt-to-pr.yml:1:",
        "_extends",
    ),
    "extended file hostile": (
        {"acme/app": {POLICY_PATH: "_extends: policies\n"}, "acme/policies": {POLICY_PATH: "gates:\n\tlint: {}\n"}},
        "acme/policies:.github/prompt-to-pr.yml:2:",
        "tabs",
    ),
}


@pytest.fixture(scope="module")
def app_baseline_s() -> float:
    """CPU seconds for the App to load a benign policy of the largest size from the simulator (best of three)."""

    def once() -> float:
        simulator = GitHubSim()
        simulator.state.create_installation("acme", repositories=["acme/app"])
        cpu, loaded = _load(simulator, {"acme/app": {POLICY_PATH: _benign_policy()}})
        assert loaded.ok
        return cpu

    return min(once() for _ in range(3))


@pytest.mark.parametrize("case", APP_CASES)
def test_the_app_reports_hostile_policies_on_github_at_their_line(
    sim: GitHubSim, case: str, app_baseline_s: float
) -> None:
    files, where, words = APP_CASES[case]
    cpu, loaded = _load(sim, files)
    assert cpu < MARGIN * app_baseline_s, f"{cpu:.2f} s of CPU, the benign baseline {app_baseline_s:.3f} s"
    assert not loaded.ok and loaded.policy is None
    issues = [str(issue) for issue in loaded.issues]
    assert any(issue.startswith(where) and words in issue for issue in issues), issues
    # never fetched outside the contents of the repositories the chain names, in a handful of calls
    requests = sim.state.requests()
    assert len(requests) <= 2 + 8 * 2
    assert all(
        r.path.startswith("/app/installations/")
        or re.fullmatch(r"/repos/[\w.-]+/[\w.-]+/contents/\.github/prompt-to-pr\.yml", r.path)
        for r in requests
    ), [r.path for r in requests]
