"""End to end on the simulator: what a pull request writes (title, description, trailers, tool messages, an
override's reason) reaches check summaries and comments as text: no link, image, HTML, table break or mention."""

from __future__ import annotations

import re
from pathlib import Path

from ghapp.core.decisions import Finding
from tests.e2e.harness import CHARGE_AI, REPO, build_world, comment_payload, fake_runners, running_app
from tests.ghsim import GitHubSim

LINK = "[click me](https://evil.example/steal)"
HOSTILE = f"{LINK} ![pixel](https://evil.example/p.png) <img src=x onerror=alert(1)> @acme/security | x"
MESSAGE = (
    "Add a refund fee\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
    "Co-Authored-By: Claude <noreply@anthropic.com>\n"
    f"Co-authored-by: {LINK} @acme/security <mallory@evil.example>"
)
# what must never appear in rendered Markdown: a live link or image, an HTML tag, a mention, a bare URL
LIVE = [re.compile(p) for p in (r"\]\(", r"<img", r"@acme/security", r"https://evil", r"(?<!\\)\| x")]


def assert_inert(markdown: str) -> None:
    for pattern in LIVE:
        assert not pattern.search(markdown), (pattern.pattern, markdown)


def test_a_title_body_trailer_and_reason_with_markdown_render_as_text(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, policy="overrides:\n  team: '@acme/security'\n")
    pull = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": CHARGE_AI},
        messages=[MESSAGE],
        user="alice",
        title=f"[WIP] Refund fee {LINK}",
        body=f"Adds a fee.\n\n## Prompt\n{HOSTILE}\n",
    )
    tool_message = Finding("billing/charge.py", 4, "B001", HOSTILE)
    with running_app(ghsim, tmp_path, runners=fake_runners(lint=[tool_message])) as app:
        assert (
            ghsim.send_webhook(
                app.url, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened")
            ).status_code
            == 202
        )
        app.idle()
        assert (
            ghsim.send_webhook(
                app.url,
                "issue_comment",
                comment_payload(ghsim, pull.number, "sec", f"/prompt-to-pr override lint {HOSTILE}", 601),
            ).status_code
            == 202
        )
        app.idle()
    checks = {run.name.removeprefix("prompt-to-pr / "): run for run in ghsim.state.check_runs_for(REPO, pull.head_sha)}
    provenance = checks["provenance"].output["summary"]
    assert "\\[WIP\\]" in provenance  # the title's evidence
    lint = checks["lint"]
    assert lint.conclusion == "success" and "Overridden" in lint.output["title"]
    shown = "\\[click me\\]\\(https:\u2060//evil.example/steal\\)"  # the link, as text
    assert lint.output["summary"].count(shown) == 2  # the override's reason and the tool's message
    assert "@\u2060acme/security" in lint.output["summary"]
    approvals = checks["approvals"].output["summary"]
    assert "co-author \\[click me\\]" in approvals  # a co-author's name from a commit trailer
    for run in checks.values():
        assert_inert(run.output.get("summary") or "")
    (reply,) = [c.body for c in ghsim.state.repo(REPO).issues[pull.number].comments]
    assert reply.startswith("@sec override accepted")  # the App's own mention of the commenter stays
    assert_inert(reply)
