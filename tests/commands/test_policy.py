"""`ghapp policy validate|explain|schema`, through ghapp.cli.main and once as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ghapp.cli import main
from tests.paths import ROOT

GHAPP = Path(sys.executable).with_name("ghapp")


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_validate_a_clean_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, "good.yml", "mode: report\napprovals:\n  billing: null\n")
    assert main(["policy", "validate", good]) == 0
    assert capsys.readouterr().out == f"{good}: valid\n"


def test_validate_prints_every_problem_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, "good.yml", "")
    bad = _write(tmp_path, "bad.yml", "mode: x\napprovals:\n  auth:\n    paths: ['a[b]']\n  ops:\n    count: 2\n")
    assert main(["policy", "validate", good, bad]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{good}: valid",
        f"{bad}:1:7: mode must be one of: enforce, report; got the string 'x'",
    ]
    semantic = _write(tmp_path, "semantic.yml", "approvals:\n  auth:\n    paths: ['a[b]']\n")
    assert main(["policy", "validate", semantic]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{semantic}:3:13: approvals.auth.paths[0]: 'a[b]': character ranges")


def test_validate_over_a_base_layer_reports_into_the_right_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = _write(tmp_path, "org.yml", "approvals:\n  ops:\n    paths: [ops/]\n    owners: ['@a']\n")
    repo = _write(tmp_path, "repo.yml", "approvals:\n  ops:\n    count: 3\n")
    assert main(["policy", "validate", "--base", org, repo]) == 1
    assert capsys.readouterr().out.strip() == (
        f"{repo}:3:12: approvals.ops.count is 3 but only 1 user is named and no team or CODEOWNERS can add approvers"
    )


def test_validate_an_unreadable_file_is_an_environment_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path, "good.yml", "")
    assert main(["policy", "validate", str(tmp_path / "missing.yml"), good]) == 2
    captured = capsys.readouterr()
    assert "ghapp policy: cannot read" in captured.err and "missing.yml" in captured.err
    assert captured.out == f"{good}: valid\n"


def test_the_bundled_default_and_every_policy_in_the_docs_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "validate", str(ROOT / "policies" / "default.yml")]) == 0
    docs = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in docs.split("```yaml\n")[1:]]
    assert len(blocks) >= 6
    files = [_write(tmp_path, f"doc{i}.yml", block) for i, block in enumerate(blocks)]
    assert main(["policy", "validate", *files]) == 0, capsys.readouterr().out
    org, repo = files[-2:]  # the complete example: an org file and a repository file over it
    assert main(["policy", "validate", "--base", org, repo]) == 0, capsys.readouterr().out


def test_explain_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = _write(
        tmp_path,
        "p.yml",
        "approvals:\n  billing:\n    owners: ['@acme/billing']\n    count: 2\n"
        "gates:\n  semgrep:\n    mode: report\n  types:\n    enabled: false\n",
    )
    owners = _write(tmp_path, "CODEOWNERS", "/src/auth/ @bob @acme/security\n")
    code = main(
        [
            "policy",
            "explain",
            "--policy",
            policy,
            "--codeowners",
            owners,
            "--files",
            "src/auth/login.py",
            "billing/stripe.py",
            "README.md",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Policy: policies/default.yml + {policy} (mode: enforce)\n")
    for line in (
        "    semgrep           report   findings on changed lines; blocks on error or worse",
        "    types             not run  disabled",
        "    lint              not run  applies to AI-written PRs only",
        "    auth: src/auth/login.py",
        "      needs 1 more approval from @bob, @acme/security",
        "      needs 2 more approvals from @acme/billing",
        "    no approval needed for: README.md",
        "    dependency-audit  enforce  findings on whole changed files; blocks on error or worse",
        "    approvals         enforce  2 sensitive categories to approve on the current head",
    ):
        assert line in out, line


def test_explain_json_and_the_repository_policy_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "prompt-to-pr.yml").write_text(
        "ai:\n  require_prompt: false\ngates:\n  lint:\n    applies_to: all\n    ignore: [E501]\n"
        "approvals:\n  secrets:\n    applies_to: all\n    owners: ['@sec']\n    codeowners: false\n",
        encoding="utf-8",
    )
    assert main(["policy", "explain", "--format", "json", "--files", "config/.env", "app.py"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["policy"] == ["policies/default.yml", ".github/prompt-to-pr.yml"]
    human = report["human"]
    assert human["approvals"] == [
        {
            "category": "secrets",
            "files": ["config/.env"],
            "needs": ["1 more approval from @sec"],
            "request_users": ["sec"],
            "request_teams": [],
        }
    ]
    assert human["no_approval_needed"] == ["app.py"]
    lint = next(g for g in human["gates"] if g["gate"] == "lint")
    assert lint["runs"] and "ignores E501" in lint["detail"]
    assert report["ai"]["gates"][0]["detail"] == "the AI verdict and its evidence are reported"


def test_explain_names_the_disclosure_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "prompt-to-pr.yml").write_text("ai:\n  require_disclosure: true\n", encoding="utf-8")
    assert main(["policy", "explain", "--format", "json", "--files", "app.py"]) == 0
    report = json.loads(capsys.readouterr().out)
    disclose = "the description must say whether and how AI was used (`ai.require_disclosure`)"
    assert report["human"]["gates"][0]["detail"] == disclose
    assert report["ai"]["gates"][0]["detail"] == (
        f"the PR must show its prompt (a `## Prompt` section or an agent session link); {disclose}"
    )


def test_explain_with_the_bundled_default_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["policy", "explain", "--files", "src/auth/jwt.go"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Policy: policies/default.yml (mode: enforce)")
    assert "there is no CODEOWNERS file, so no code owner can approve" in out


@pytest.mark.parametrize(
    ("args", "code", "err"),
    [
        (["--policy", "{missing}"], 2, "ghapp policy: cannot read"),
        (["--policy", "{bad}"], 1, "bad.yml:1:1: unknown key 'x'"),
        (["--codeowners", "{missing}"], 2, "ghapp policy: cannot read"),
    ],
)
def test_explain_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, err: str
) -> None:
    bad = _write(tmp_path, "bad.yml", "x: 1\n")
    paths = {"missing": str(tmp_path / "missing.yml"), "bad": bad}
    filled = [arg.format(**paths) for arg in args]
    assert main(["policy", "explain", *filled, "--files", "a.py"]) == code
    assert err in capsys.readouterr().err


def test_schema_prints_the_published_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((ROOT / "policies" / "schema.json").read_text(encoding="utf-8"))


def test_an_action_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy"]) == 2


def test_validate_as_a_real_process(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.yml", "gates:\n  lint:\n    enable: true\n")
    done = subprocess.run(
        [str(GHAPP), "policy", "validate", bad], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stdout.startswith(f"{bad}:3:5: unknown key 'enable' in gates.lint")


def test_validate_and_explain_under_an_org_floor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org = _write(tmp_path, "org.yml", "floor: [mode, approvals]\n")
    repo = _write(tmp_path, "repo.yml", "mode: report\napprovals:\n  billing: null\n")
    assert main(["policy", "validate", "--org", org, repo]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{repo}:1:7: mode: report is less strict than the org's enforce; the org's floor keeps enforce (refused)",
        f"{repo}:3:3: approvals.billing: the org's floor keeps this category; a repository cannot remove it (refused)",
        f"{repo}: valid; the org's floor refuses 2 relaxation(s)",
    ]
    assert main(["policy", "validate", "--org", org, org]) == 1  # a repository file cannot set a floor
    assert "only the org's policy" in capsys.readouterr().out
    assert (
        main(["policy", "explain", "--org", org, "--policy", repo, "--files", "billing/a.py", "--format", "json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    values = {v["key"]: (v["value"], v["layer"]) for v in report["values"]}
    lines = (ROOT / "policies" / "default.yml").read_text(encoding="utf-8").splitlines()

    def line(text: str, after: str = "") -> str:  # where the bundled default writes `text` (below `after`)
        start = lines.index(after) if after else 0
        return f"policies/default.yml:{next(i for i in range(start, len(lines)) if lines[i].startswith(text)) + 1}"

    assert values["mode"] == ("enforce", line("mode: enforce"))  # the org-level value, put back by the floor
    assert values["floor"] == (["mode", "approvals"], f"{org}:1")
    assert values["gates.semgrep.applies_to"] == ("all", line("    applies_to:", "  semgrep:"))
    assert values["approvals.billing.count"] == (1, line("    count:", "  billing:"))
    assert [r.split(": ", 1)[0] for r in report["refused"]] == [f"{repo}:1:7", f"{repo}:3:3"]
    assert report["human"]["approvals"][0]["category"] == "billing"
    assert main(["policy", "explain", "--org", org, "--policy", repo, "--files", "billing/a.py"]) == 0
    text = capsys.readouterr().out
    assert "Values, each with the layer that set it:" in text and f'mode = "enforce"  ({line("mode:")})' in text
    assert f"Relaxations of the org's floor, refused (the org's value applies):\n  {repo}:1:7: mode" in text
