"""`ghapp detect`: JSON facts in, a JSON verdict out; malformed input is a one-line error and exit 2."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ghapp.cli import main
from tests.paths import FIXTURES

WEBHOOKS = FIXTURES / "webhooks" / "pull_request"
Capture = pytest.CaptureFixture[str]
Run = Callable[..., tuple[int, str, str]]

COPILOT_FACTS = {
    "pull_request": {
        "number": 66,
        "author": {"login": "Copilot", "type": "Bot", "id": 198982749},
        "head_ref": "copilot/add-local-override-pattern",
        "title": "[WIP] Add .local override pattern",
        "body": "<!-- START COPILOT CODING AGENT SUFFIX -->\n<details>\n\n<summary>Original prompt</summary>\n",
        "labels": [],
    },
    "commits": [
        {
            "sha": "4ed1bedb0c2a",
            "message": "Initial plan",
            "author": {"name": "copilot-swe-agent[bot]", "email": "198982749+Copilot@users.noreply.github.com"},
            "committer": {"name": "GitHub", "email": "noreply@github.com", "login": "web-flow"},
        }
    ],
}


@pytest.fixture
def run_detect(capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Runs `ghapp detect` on a file (a Path) or on stdin (JSON-able facts, or raw text)."""

    def run(facts: Any, *extra: str) -> tuple[int, str, str]:
        if not isinstance(facts, Path):
            monkeypatch.setattr(sys, "stdin", io.StringIO(facts if isinstance(facts, str) else json.dumps(facts)))
        code = main(["detect", str(facts) if isinstance(facts, Path) else "-", *extra])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_copilot_agent_pull_request(run_detect: Run) -> None:
    code, out, err = run_detect(COPILOT_FACTS)
    report = json.loads(out)
    assert (code, err) == (0, "")
    assert (report["verdict"], report["tools"]) == ("ai", ["copilot"])
    assert report["signals"][0] == {
        "id": "copilot-agent",
        "family": "identity",
        "confidence": "strong",
        "where": "pull request author",
        "evidence": "Copilot (Bot)",
        "tool": "copilot",
    }
    assert {
        "copilot-prefix",
        "wip-title",
        "copilot-agent-html",
        "copilot-original-prompt",
        "copilot-initial-plan",
        "copilot-agent",
    } <= {s["id"] for s in report["signals"]}
    assert report["prompt_provenance"] == "Copilot's original prompt in the pull request body"


def test_explain_prints_each_rule_and_the_text_that_fired_it(run_detect: Run) -> None:
    code, out, err = run_detect(COPILOT_FACTS, "--explain")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "verdict: ai (copilot)"
    assert lines[1:3] == [
        "- rule copilot-agent (identity, strong, tool copilot) in pull request author",
        "  fired on: Copilot (Bot)",
    ]
    assert "- rule copilot-prefix (branch, medium, tool copilot) in branch" in lines
    assert "  fired on: <!-- START COPILOT CODING AGENT" in lines
    assert lines[-1] == "prompt provenance: Copilot's original prompt in the pull request body"


def test_explain_a_human_pull_request(run_detect: Run) -> None:
    code, out, _ = run_detect(
        {"pull_request": {"title": "Fix typo", "body": "I did not use AI for this."}}, "--explain"
    )
    assert code == 0
    assert out.splitlines() == [
        "verdict: attested_human",
        "- rule i-did-not-use-ai (attestation, strong) in pull request body",
        "  fired on: I did not use AI for this",
        "prompt provenance: none",
    ]
    code, out, _ = run_detect({"pull_request": {"title": "Fix typo"}}, "--explain")
    assert out.splitlines() == ["verdict: human", "no signal fired", "prompt provenance: none"]


def test_corpus_records_are_detect_input(run_detect: Run) -> None:
    """A corpus record's `pull_request` and `commits` are the facts `ghapp detect` reads."""
    line = (FIXTURES / "ai-prs" / "threads.jsonl").read_text(encoding="utf-8").splitlines()[0]
    record = json.loads(line)
    code, out, err = run_detect({"pull_request": record["pull_request"], "commits": record.get("commits", [])})
    assert (code, err) == (0, "")
    assert json.loads(out)["verdict"] == "ai"


def test_real_webhook_pull_request_from_a_file(tmp_path: Path, run_detect: Run) -> None:
    payload = json.loads((WEBHOOKS / "opened.with-null-body.json").read_text())["pull_request"]
    facts = {
        "pull_request": {
            "number": payload["number"],
            "author": {k: payload["user"][k] for k in ("login", "type")},
            "head_ref": payload["head"]["ref"],
            "title": payload["title"],
            "body": payload["body"],
            "labels": [label["name"] for label in payload["labels"]],
        }
    }
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts))
    code, out, _ = run_detect(path)
    assert code == 0
    assert json.loads(out) == {"verdict": "human", "tools": [], "signals": [], "prompt_provenance": None}


def test_every_field_is_optional(run_detect: Run) -> None:
    code, out, _ = run_detect({"commits": [{}], "pull_request": {}})
    assert (code, json.loads(out)["verdict"]) == (0, "human")


def test_push_commits_without_a_pull_request(run_detect: Run) -> None:
    facts = {"commits": [{"sha": "0123456789", "message": "aider: fix the pager"}]}
    code, out, _ = run_detect(facts)
    report = json.loads(out)
    assert (code, report["verdict"], report["signals"][0]["where"]) == (0, "ai", "commit 0123456 message")


def test_extra_signals_file_extends_the_table(tmp_path: Path, run_detect: Run) -> None:
    extra = tmp_path / "org.yml"
    extra.write_text(
        "identities:\n  - {id: acme-agent, family: identity, confidence: strong, tool: acme,"
        " logins: ['acme-agent[bot]']}\n"
    )
    facts = {"pull_request": {"author": {"login": "acme-agent[bot]", "type": "Bot"}}}
    code, out, _ = run_detect(facts, "--signals", str(extra))
    assert (code, json.loads(out)["tools"]) == (0, ["acme"])


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        pytest.param("{", "input is not valid JSON", id="bad-json"),
        pytest.param("[]", "input must be an object", id="not-an-object"),
        pytest.param({"pr": {}}, "input has unknown field 'pr'", id="unknown-field"),
        pytest.param({"commits": {}}, "commits must be a list", id="commits-not-list"),
        pytest.param({"commits": [{"sha": 5}]}, "commits[0].sha must be a string", id="sha-not-string"),
        pytest.param({"commits": [{"author": "jane"}]}, "commits[0].author must be an object", id="author-not-object"),
        pytest.param({"pull_request": {"labels": [1]}}, "pull_request.labels[0] must be a string", id="label-int"),
        pytest.param({"pull_request": {"number": "7"}}, "pull_request.number must be an integer", id="number-string"),
        pytest.param(
            {"pull_request": {"author": {"id": True}}}, "pull_request.author.id must be an integer", id="id-bool"
        ),
        pytest.param(
            {"pull_request": {"author": {"type": "Robot"}}},
            "pull_request.author.type must be one of",
            id="bad-actor-type",
        ),
    ],
)
def test_malformed_input_is_a_one_line_error(facts: Any, message: str, run_detect: Run) -> None:
    code, out, err = run_detect(facts)
    assert (code, out) == (2, "")
    assert err.startswith(f"ghapp detect: {message}")
    assert err.count("\n") == 1


def test_missing_file(tmp_path: Path, run_detect: Run) -> None:
    code, _, err = run_detect(tmp_path / "nope.json")
    assert code == 2
    assert err.startswith("ghapp detect: cannot read input:")


def test_bad_extra_signals_names_the_file_and_key(tmp_path: Path, run_detect: Run) -> None:
    extra = tmp_path / "org.yml"
    extra.write_text("branches:\n  - {id: x, family: branch, confidence: strong, pattern: '(open'}\n")
    code, _, err = run_detect({}, "--signals", str(extra))
    assert code == 2
    assert f"{extra}: branches[0].pattern: invalid regular expression" in err
    assert err.count("\n") == 1


def test_as_a_real_subprocess() -> None:
    ghapp = Path(sys.executable).with_name("ghapp")
    done = subprocess.run(
        [str(ghapp), "detect", "-"],
        input=json.dumps(COPILOT_FACTS),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "ai"
    bad = subprocess.run(
        [str(ghapp), "detect", "-"], input="{nope", capture_output=True, text=True, check=False, timeout=60
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.startswith("ghapp detect: input is not valid JSON")
