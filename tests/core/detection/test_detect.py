"""AI detection against the bundled signal table, on real-world commit messages and PR bodies.

The messages and bodies are the formats quoted in the product's research notes (vendor footers, trailers,
session links, PR templates); the human pull request is GitHub's own example webhook payload.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import Any

import pytest

from ghapp.core.decisions import Verdict
from ghapp.core.detection.detect import detect, detect_commit, parse_signal_table, prompt_provenance
from ghapp.core.detection.signals import SignalTable, SignalTableError
from ghapp.core.detection.statements import SENTENCE_MAX
from ghapp.core.facts import Actor, Commit, HandLabel, Person, PullRequest
from ghapp.resources import ai_signals_text
from tests.paths import FIXTURES
from tests.work import growth

WEBHOOKS = FIXTURES / "webhooks" / "pull_request"
SHA = "abc1234def5678"
HUMAN = Person("Jane Dev", "jane@example.com", "janedev")


@cache
def table() -> SignalTable:
    return parse_signal_table(ai_signals_text())


def webhook_pr(name: str = "opened") -> PullRequest:
    """The pull request of a real webhook payload, as the facts layer describes it."""
    payload: dict[str, Any] = json.loads((WEBHOOKS / f"{name}.json").read_text())
    pr = payload["pull_request"]
    return PullRequest(
        number=pr["number"],
        author=Actor(pr["user"]["login"], pr["user"]["type"], pr["user"]["id"]),
        title=pr["title"],
        body=pr["body"] or "",
        head_ref=pr["head"]["ref"],
        head_sha=pr["head"]["sha"],
        base_ref=pr["base"]["ref"],
        labels=tuple(label["name"] for label in pr["labels"]),
    )


def pr(**changes: Any) -> PullRequest:
    return replace(webhook_pr(), **changes)


def commit(message: str, author: Person = HUMAN, committer: Person | None = None, sha: str = SHA) -> Commit:
    return Commit(sha=sha, message=message, author=author, committer=committer or author)


def ids(verdict: Verdict) -> set[str]:
    return {signal.id for signal in verdict.signals}


# ---- real-world messages -------------------------------------------------------------------------------

CLAUDE_CODE = """Fix the retry loop on 5xx responses

The loop never gave up on a 503.

🤖 Generated with [Claude Code](https://claude.com/claude-code)

Co-Authored-By: Claude <noreply@anthropic.com>
"""
CLAUDE_WEB = """Cache the parsed format

Co-Authored-By: Claude Opus 5 (1M context) <noreply@anthropic.com>
Claude-Session: https://claude.ai/code/session_01MgNYH1A9cGSt3nU71SJKyc
"""
COPILOT_AGENT_BODY = """Thanks for assigning this issue to me. I'm starting to work on it and will keep this PR's \
description up to date as I form a plan and make progress.

<!-- START COPILOT CODING AGENT SUFFIX -->

<details>

<summary>Original prompt</summary>

> <issue_title>isTruthy is bundled twice</issue_title>

</details>

- Fixes githubnext/gh-aw#4410

<!-- START COPILOT CODING AGENT TIPS -->
"""
COPILOT_AGENT = Person("copilot-swe-agent[bot]", "198982749+Copilot@users.noreply.github.com")
COPILOT_LOGS = """Bundle isTruthy once

Co-authored-by: pelikhan <4175913+pelikhan@users.noreply.github.com>
Agent-Logs-Url: https://github.com/githubnext/gh-aw/sessions/0f6a9c2e-7d1b-4c55-9d0e-3c2f1b8a6e41
"""
CURSOR = """Promote the Kairos pages

Made-with: Cursor
Co-authored-by: Cursor <cursoragent@cursor.com>
"""
CURSOR_AGENT_BODY = """<!-- CURSOR_AGENT_PR_BODY_BEGIN -->
Adds the cache acquire CLI.
<!-- CURSOR_AGENT_PR_BODY_END -->
<div><a href="https://cursor.com/agents/bc-5c0de2a1-8f4e-4b6a-9a51-2f7c3d9e1b00?cursor_ref=pr_footer">\
Open in Web</a></div>
"""
CODEX_BODY = """## Summary
- replace the HashSet load with an iterator

## Testing
- `cargo test`

------
https://chatgpt.com/codex/tasks/task_e_6850b5dfa2648321aeb7ba97531d0cf9"""
CODEX_LINK_BODY = (
    "## Summary\n- fix\n\n------\n[Codex Task](https://chatgpt.com/codex/tasks/task_e_69165005d69c8328bb3efb34621a89a4)"
)
DEVIN_BODY = """Aligns the API client with the new endpoints.

Link to Devin run: https://app.devin.ai/sessions/4c7f2b1e9d0a4e6f8b3c5a7d9e1f2a3b
Requested by: Jane Dev (jane@example.com)"""
JULES_BODY = """Adds input validation.

---
*PR created automatically by Jules for task [8812306462](https://jules.google.com/task/8812306462) \
started by @janedev*"""
DEPENDABOT = Person("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", "dependabot[bot]")
DEPENDABOT_MESSAGE = """Bump requests from 2.31.0 to 2.32.0

Bumps [requests](https://github.com/psf/requests) from 2.31.0 to 2.32.0.

---
updated-dependencies:
- dependency-name: requests

Signed-off-by: dependabot[bot] <support@github.com>
"""
QUOTING_HUMAN_BODY = """This adds a CI check that rejects agent footers such as

```
🤖 Generated with [Claude Code](https://claude.com/claude-code)

Co-Authored-By: Claude <noreply@anthropic.com>
```

> 🤖 Generated with [Claude Code](https://claude.com/claude-code)

Also strips `Generated with Claude Code` and the `<!-- START COPILOT CODING AGENT -->` marker."""
AIRFLOW_BODY = """Fixes the scheduler lock.

##### Was generative AI tooling used to co-author this PR?

- [X] Yes — Claude Code

Generated-by: Claude Code following [the guidelines](https://github.com/apache/airflow/blob/main/contributing-docs/05_pull_requests.rst#gen-ai-assisted-contributions)
"""
ATTESTED = "Small fix.\n\n## AI disclosure\n- [ ] Yes\n- [x] No\n"


CASES: list[Any] = [
    # (pull request or None, commits, verdict, tools, signal ids that must be among the signals)
    pytest.param(
        None,
        [commit(CLAUDE_CODE)],
        "ai",
        ("claude",),
        {"claude-code-email", "claude-code-footer"},
        id="claude-code-footer-and-co-author",
    ),
    pytest.param(
        None,
        [commit(CLAUDE_WEB)],
        "ai",
        ("claude",),
        {"claude-code-email", "claude-session-trailer"},
        id="claude-web-session-trailer",
    ),
    pytest.param(
        pr(
            author=Actor("Copilot", "Bot", 198982749),
            head_ref="copilot/fix-istruthy-bundling-issue",
            title="[WIP] Bundle isTruthy once",
            body=COPILOT_AGENT_BODY,
        ),
        [commit("Initial plan", COPILOT_AGENT), commit(COPILOT_LOGS, COPILOT_AGENT, sha="bcd2345")],
        "ai",
        ("copilot",),
        {
            "copilot-agent",
            "copilot-prefix",
            "wip-title",
            "copilot-agent-intro",
            "copilot-agent-html",
            "copilot-original-prompt",
            "copilot-initial-plan",
            "copilot-agent-logs",
        },
        id="copilot-coding-agent",
    ),
    pytest.param(
        pr(head_ref="cursor/v011-cache-acquire-cli-bd04"),
        [commit(CURSOR)],
        "ai",
        ("cursor",),
        {"cursor-agent-branch", "cursor-prefix", "cursor-made-with", "cursor-email"},
        id="cursor-branch-made-with",
    ),
    pytest.param(
        pr(body=CURSOR_AGENT_BODY),
        [],
        "ai",
        ("cursor",),
        {"cursor-agent-html", "cursor-agent-url"},
        id="cursor-cloud-agent-body",
    ),
    pytest.param(
        None,
        [commit("Fix off-by-one", Person("Jane Dev (aider)", "jane@example.com"))],
        "ai",
        ("aider",),
        {"aider-name"},
        id="aider-name-suffix",
    ),
    pytest.param(
        None,
        [commit("aider: Fix off-by-one in the pager")],
        "ai",
        ("aider",),
        {"aider-prefix"},
        id="aider-message-prefix",
    ),
    pytest.param(None, [commit("docs: explain the aider: prefix")], "human", (), set(), id="aider-prefix-in-prose"),
    pytest.param(
        pr(head_ref="codex/fix-issue-#14724", body=CODEX_BODY, labels=("codex",)),
        [],
        "ai",
        ("codex",),
        {"codex-task", "codex-prefix", "codex-label"},
        id="codex-task-link",
    ),
    pytest.param(pr(body=CODEX_LINK_BODY), [], "ai", ("codex",), {"codex-task"}, id="codex-task-markdown-link"),
    pytest.param(
        pr(
            author=Actor("devin-ai-integration[bot]", "Bot"),
            head_ref="devin/1763121919-api-alignment-patch",
            body=DEVIN_BODY,
        ),
        [],
        "ai",
        ("devin",),
        {"devin", "devin-branch", "devin-prefix", "devin-session"},
        id="devin-branch-and-session",
    ),
    pytest.param(
        pr(author=Actor("google-labs-jules[bot]", "Bot"), body=JULES_BODY),
        [],
        "ai",
        ("jules",),
        {"jules", "jules-task"},
        id="jules-body",
    ),
    pytest.param(
        pr(author=Actor("dependabot[bot]", "Bot", 49699333), head_ref="dependabot/pip/requests-2.32.0"),
        [commit(DEPENDABOT_MESSAGE, DEPENDABOT)],
        "human",
        (),
        set(),
        id="dependabot",
    ),
    pytest.param(
        None,
        [commit("Merge main\n\nCo-authored-by: dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>")],
        "human",
        (),
        set(),
        id="dependabot-co-author",
    ),
    pytest.param(
        pr(body=QUOTING_HUMAN_BODY),
        [commit("Reject agent footers\n\nSee `Co-Authored-By: Claude` in CI.")],
        "human",
        (),
        set(),
        id="human-quoting-claude-footer",
    ),
    pytest.param(
        None,
        [commit("Add docs\n\nCo-authored-by: Claude Perrin <claude.perrin@gmail.com>")],
        "human",
        (),
        set(),
        id="claude-perrin-co-author",
    ),
    pytest.param(
        None,
        [commit("Add docs\n\nCo-authored-by: Claude <claude@perrin.fr>")],
        "human",
        (),
        set(),
        id="human-named-claude-personal-email",
    ),
    pytest.param(
        None,
        [commit("Add docs\n\nCo-authored-by: Claude <noreply@example.org>")],
        "suspected",
        ("claude",),
        {"claude-name"},
        id="claude-name-machine-email",
    ),
    pytest.param(
        None,
        [commit("Add docs\n\nCo-authored-by: Claude Code <claude-code@example.org>")],
        "suspected",
        ("claude",),
        {"claude-model-name"},
        id="claude-code-name-any-email",
    ),
    pytest.param(
        None,
        [commit("Add docs\n\nCo-authored-by: Claude")],
        "suspected",
        ("claude",),
        {"claude-name"},
        id="co-author-without-email",
    ),
    pytest.param(
        None,
        [commit("Regenerate stubs\n\nGenerated-by: protoc 3.21.12")],
        "suspected",
        (),
        {"assisted-by"},
        id="generated-by-non-ai-generator",
    ),
    pytest.param(
        None,
        [commit("mm: fix\n\nAssisted-by: Claude:claude-3-opus coccinelle sparse\nSigned-off-by: A <a@kernel.org>")],
        "ai",
        ("claude",),
        {"assisted-by"},
        id="kernel-assisted-by",
    ),
    pytest.param(
        None, [commit("Fix\n\nAssisted-by: generic LLM chatbot")], "ai", (), {"assisted-by"}, id="fedora-generic-llm"
    ),
    pytest.param(None, [commit("Fix\n\nAI-assisted: no")], "human", (), set(), id="ai-assisted-no"),
    pytest.param(
        None, [commit("Fix\n\nAI-assisted: true")], "ai", (), {"ai-disclosure-trailer"}, id="ai-assisted-true"
    ),
    pytest.param(
        None, [commit("Fix\n\nAssisted-by:\nSigned-off-by: A <a@x.org>")], "human", (), set(), id="empty-disclosure"
    ),
    pytest.param(
        pr(body=ATTESTED),
        [commit(CLAUDE_CODE)],
        "contradictory",
        ("claude",),
        {"human-checkbox-no", "claude-code-email"},
        id="attested-but-strong",
    ),
    pytest.param(pr(body=ATTESTED), [], "attested_human", (), {"human-checkbox-no"}, id="attested"),
    pytest.param(
        pr(body=ATTESTED, head_ref="codex/faster-load"),
        [],
        "attested_human",
        (),
        {"human-checkbox-no", "codex-prefix"},
        id="attestation-clears-medium",
    ),
    pytest.param(
        pr(body="- [x] This contribution was NOT assisted or created by Generative AI tools."),
        [],
        "attested_human",
        (),
        {"human-checkbox-attested"},
        id="chaoss-attestation",
    ),
    pytest.param(
        pr(head_ref="claude/practical-cannon-6wegnn"),
        [commit("Fix\n\nCo-authored-by: Claude Sonnet 4.5 <jane@example.com>")],
        "ai",
        ("claude",),
        {"claude-prefix", "claude-model-name"},
        id="two-medium-families",
    ),
    pytest.param(
        pr(head_ref="codex/replace-hashset-load-with-iterator"),
        [],
        "suspected",
        ("codex",),
        {"codex-prefix"},
        id="one-medium",
    ),
    pytest.param(
        pr(body="Generated with Claude Code.\n\nGenerated automatically by Junie"),
        [],
        "suspected",
        ("claude", "junie"),
        {"claude-code-plain", "junie-body"},
        id="two-medium-same-family",
    ),
    pytest.param(
        pr(title="[WIP] Update the README", labels=("codex", "bug")),
        [],
        "human",
        (),
        {"wip-title", "codex-label"},
        id="weak-only",
    ),
    pytest.param(
        pr(body=AIRFLOW_BODY), [], "ai", ("claude",), {"ai-checkbox-yes", "assisted-by"}, id="airflow-template"
    ),
    pytest.param(pr(body="## Checklist\n- [x] Yes, tests pass"), [], "human", (), set(), id="yes-under-other-heading"),
    pytest.param(
        pr(body="## AI use\n<!-- Generated-by: [Tool Name] -->\n- [ ] Yes"),
        [],
        "human",
        (),
        set(),
        id="template-placeholders",
    ),
    pytest.param(
        pr(body="- [x] Parts of this PR were created with the help of an AI tool"),
        [],
        "ai",
        (),
        {"ai-checkbox-used"},
        id="freelaw-checkbox",
    ),
    pytest.param(
        None,
        [
            commit(
                "Apply suggestion\n\nCo-authored-by: Copilot Autofix powered by AI "
                "<175728472+Copilot@users.noreply.github.com>"
            )
        ],
        "suspected",
        ("copilot",),
        {"copilot-suggestion"},
        id="copilot-autofix-suggestion",
    ),
    pytest.param(
        None,
        [
            commit(
                "Apply suggestion\n\nCo-authored-by: gemini-code-assist[bot] "
                "<176961590+gemini-code-assist[bot]@users.noreply.github.com>"
            )
        ],
        "suspected",
        ("gemini",),
        {"gemini-code-assist"},
        id="gemini-review-suggestion",
    ),
    pytest.param(
        None,
        [commit("Fix\n\nCo-authored-by: Copilot <223556219+Copilot@users.noreply.github.com>")],
        "ai",
        ("copilot",),
        {"copilot-cli"},
        id="copilot-cli-co-author",
    ),
    pytest.param(
        None, [commit("Fix\n\nCo-developed-by: Ada <ada@example.com>")], "human", (), set(), id="co-developed-by-human"
    ),
    pytest.param(
        None,
        [commit("Fix\n\nCo-developed-by: Claude <claude@bot.example>")],
        "human",
        (),
        set(),
        id="co-developed-by-name-only",
    ),
    pytest.param(
        None,
        [commit("Fix\n\nCo-developed-by: Claude <noreply@anthropic.com>")],
        "ai",
        ("claude",),
        {"claude-code-email"},
        id="co-developed-by-ai-address",
    ),
    pytest.param(
        None,
        [commit("Add page\n\nReplit-Commit-Author: Agent\nReplit-Commit-Session-Id: 3f1c")],
        "ai",
        ("replit",),
        {"replit-agent"},
        id="replit-agent",
    ),
    pytest.param(
        None,
        [commit("Deploy\n\nReplit-Commit-Author: Deployment\nCo-authored-by: Claude <noreply@anthropic.com>")],
        "human",
        (),
        set(),
        id="replit-deployment-is-automation",
    ),
    pytest.param(
        None,
        [commit("Fix\n\nAmp-Thread-ID: https://ampcode.com/threads/T-7f3a\nCo-authored-by: Amp <amp@ampcode.com>")],
        "ai",
        ("amp",),
        {"amp-thread", "amp-email"},
        id="amp",
    ),
    pytest.param(
        None,
        [commit("Fix\n\nEntire-Session: 2b7e\nEntire-Checkpoint: a1")],
        "suspected",
        ("entire",),
        {"entire-session"},
        id="entire-session-medium",
    ),
    pytest.param(
        pr(author=Actor("app/copilot-swe-agent", "Bot")),
        [],
        "ai",
        ("copilot",),
        {"copilot-agent"},
        id="graphql-app-login",
    ),
    pytest.param(
        pr(author=Actor("devin-ai-integration", "Bot")),
        [],
        "ai",
        ("devin",),
        {"devin"},
        id="graphql-login-without-suffix",
    ),
    pytest.param(pr(author=Actor("Copilot", "User")), [], "human", (), set(), id="copilot-login-not-a-bot"),
    pytest.param(
        pr(author=Actor("renamed-agent[bot]", "Bot", 161369871)),
        [],
        "ai",
        ("jules",),
        {"jules"},
        id="bot-matched-by-account-id",
    ),
    pytest.param(
        None, [commit("Fix", Person(login="claude[bot]"))], "ai", ("claude",), {"claude-app"}, id="commit-login-only"
    ),
    pytest.param(
        None,
        [commit("Fix", committer=Person("GitHub", "noreply@github.com", "web-flow"))],
        "human",
        (),
        set(),
        id="web-flow-committer",
    ),
    pytest.param(
        pr(
            author=Actor("renovate[bot]", "Bot"), body="🤖 Generated with [Claude Code](https://claude.com/claude-code)"
        ),
        [commit(CLAUDE_CODE)],
        "ai",
        ("claude",),
        {"claude-code-email"},
        id="non-ai-bot-pr-with-ai-commit",
    ),
    pytest.param(
        None,
        [commit("Fix", Person("mergify[bot]", "37929162+mergify[bot]@users.noreply.github.com"))],
        "human",
        (),
        set(),
        id="mergify-by-account-id",
    ),
    pytest.param(
        None,
        [commit("Bump\n\nCo-authored-by: Claude <noreply@anthropic.com>", Person("Bot", "support@github.com"))],
        "human",
        (),
        set(),
        id="automation-by-email",
    ),
    pytest.param(None, [commit("Fix\n\nKey: value")], "human", (), set(), id="unrelated-trailer"),
    pytest.param(None, [], "human", (), set(), id="nothing"),
]


@pytest.mark.parametrize(("pull_request", "commits", "verdict", "tools", "expected_ids"), CASES)
def test_detect(
    pull_request: PullRequest | None,
    commits: list[Commit],
    verdict: str,
    tools: tuple[str, ...],
    expected_ids: set[str],
) -> None:
    result = detect(table(), pull_request, commits)
    assert (result.verdict, result.tools) == (verdict, tools), result.signals
    assert expected_ids <= ids(result), result.signals
    if not expected_ids:
        assert result.signals == ()
    assert result.is_ai is (verdict in ("ai", "suspected", "contradictory"))


@pytest.mark.parametrize("name", sorted(p.stem for p in WEBHOOKS.glob("*.json")))
def test_every_real_webhook_pull_request_is_human(name: str) -> None:
    assert detect(table(), webhook_pr(name), []) == Verdict("human")


def test_null_body_payload_still_detects_the_branch() -> None:
    pull_request = replace(webhook_pr("opened.with-null-body"), head_ref="devin/1759955345-initial-flutter-app")
    assert detect(table(), pull_request, []).tools == ("devin",)


def test_signal_carries_where_and_evidence() -> None:
    result = detect_commit(table(), commit(CLAUDE_CODE))
    assert [(s.id, s.family, s.confidence, s.where, s.evidence, s.tool) for s in result.signals] == [
        (
            "claude-code-email",
            "coauthor",
            "strong",
            "commit abc1234 trailer",
            "Co-Authored-By: Claude <noreply@anthropic.com>",
            "claude",
        ),
        (
            "claude-code-footer",
            "marker",
            "strong",
            "commit abc1234 message",
            "🤖 Generated with [Claude Code](https://claude.com/claude-code)",
            "claude",
        ),
    ]


def test_tools_follow_family_strength_not_input_order() -> None:
    commits = [
        commit("Fix\n\nCo-authored-by: Claude <noreply@anthropic.com>", sha="c1"),
        commit("Fix", Person("Cursor Agent", "cursoragent@cursor.com"), sha="c2"),
        commit("Fix", Person(login="openai-codex[bot]"), sha="c3"),
    ]
    pull_request = pr(head_ref="devin/1763121919-x", author=Actor("google-labs-jules[bot]", "Bot"))
    result = detect(table(), pull_request, commits)
    # PR login, commit login, commit email, co-author trailer, branch
    assert result.tools == ("jules", "codex", "cursor", "claude", "devin")
    assert result.signals[0].where == "pull request author"


def test_committer_checked_when_different_from_author() -> None:
    result = detect_commit(table(), commit("Fix", committer=Person("Jane Dev (aider)", "jane@example.com")))
    assert [(s.id, s.where) for s in result.signals] == [("aider-name", "commit abc1234 committer")]


def test_author_and_identical_committer_give_one_signal() -> None:
    aider = Person("Jane Dev (aider)", "jane@example.com")
    assert len(detect_commit(table(), commit("Fix", aider, aider)).signals) == 1


def test_repeated_commit_gives_each_signal_once() -> None:
    once = detect(table(), None, [commit(CLAUDE_CODE)])
    assert detect(table(), None, [commit(CLAUDE_CODE), commit(CLAUDE_CODE)]) == once


def test_one_co_author_trailer_gives_one_name_signal() -> None:
    result = detect_commit(table(), commit("Fix\n\nCo-authored-by: Claude Code <noreply@example.org>"))
    assert [s.id for s in result.signals] == ["claude-model-name"]


def test_evidence_is_truncated() -> None:
    long = "Fix\n\nAssisted-by: Claude " + "x" * 300
    evidence = detect_commit(table(), commit(long)).signals[0].evidence
    assert len(evidence) == 120
    assert evidence.startswith("Assisted-by: Claude xxx")
    assert evidence.endswith("…")


def test_commit_without_sha() -> None:
    result = detect_commit(table(), commit(CLAUDE_CODE, sha=""))
    assert result.signals[0].where == "commit (no sha) trailer"


def test_person_evidence_without_email_uses_name() -> None:
    result = detect_commit(table(), commit("Fix", Person(name="Jane Dev (aider)")))
    assert result.signals[0].evidence == "Jane Dev (aider)"


def test_non_ai_bot_pull_request_author_matched_by_id() -> None:
    pull_request = pr(author=Actor("some-renamed-bot", "Bot", 29139614), head_ref="codex/x")
    assert detect(table(), pull_request, []) == Verdict("human")


def test_verdict_for_push_uses_only_the_commit() -> None:
    assert detect_commit(table(), commit("docs: explain the aider: prefix")) == Verdict("human")
    assert detect_commit(table(), commit("aider: fix")).verdict == "ai"


def test_a_new_agent_is_a_data_change() -> None:
    org = parse_signal_table("""
identities:
  - {id: acme-agent, family: identity, confidence: strong, tool: acme, logins: ['acme-agent[bot]']}
branches:
  - {id: codex-prefix, family: branch, confidence: weak, tool: codex, pattern: '^codex/'}
""")
    extended = table().extended(org)
    assert detect(extended, pr(author=Actor("acme-agent[bot]", "Bot")), []).tools == ("acme",)
    assert detect(extended, pr(head_ref="codex/x"), []).verdict == "human"
    assert detect(table(), pr(head_ref="codex/x"), []).verdict == "suspected"


HOSTILE = 200_000  # characters; a pattern that backtracks quadratically would need minutes on these


def _backticks(n: int) -> str:
    """Runs of 1, 2, 3... backticks, each closed by a letter: about `n` characters in all."""
    return "".join("`" * i + "a" for i in range(1, math.isqrt(2 * n)))


@pytest.mark.parametrize(
    "run",
    [
        pytest.param(
            lambda n: detect_commit(table(), commit("T\n\nCo-authored-by: a" + " " * n + "x")), id="co-author-spaces"
        ),
        pytest.param(
            lambda n: detect_commit(table(), commit("T\n\nCo-authored-by: Claude <" + "a." * (n // 2) + ">")),
            id="huge-co-author-address",
        ),
        pytest.param(lambda n: detect(table(), pr(body="# a" + " " * n + "b"), []), id="heading-spaces"),
        pytest.param(lambda n: detect(table(), pr(body="**AI**" + " " * n + "b"), []), id="bold-spaces"),
        pytest.param(lambda n: detect(table(), pr(body="<!--" * (n // 4)), []), id="unclosed-comments"),
        pytest.param(lambda n: detect(table(), pr(body=_backticks(n)), []), id="backtick-runs"),
        pytest.param(lambda n: prompt_provenance(pr(body="## Prompt" + " " * n + "x"), []), id="prompt-spaces"),
        pytest.param(
            lambda n: detect(table(), pr(body="This was generated by " * (n // 22)), []), id="disclosure-sentences"
        ),
        pytest.param(
            lambda n: detect(table(), pr(body="I used " + "x " * (n // 2) + "to write"), []), id="one-long-sentence"
        ),
        pytest.param(lambda n: detect(table(), pr(body="Co-authored-by: " + "a" * n), []), id="body-trailer-line"),
        pytest.param(
            lambda n: detect(table(), pr(body="### Was AI used?\n" + " " * n + "No"), []), id="answer-after-spaces"
        ),
        pytest.param(lambda n: detect_commit(table(), commit("T" + "\n\nKey: v" * (n // 8))), id="trailer-paragraphs"),
        pytest.param(
            lambda n: detect_commit(table(), commit("Merge pull request #1 from a/" + "b-" * (n // 2))),
            id="merged-branch-name",
        ),
    ],
)
def test_hostile_text_is_read_in_linear_time(run: Callable[[int], object]) -> None:
    """At HOSTILE characters, 8 times the text of an eighth costs about 8 times the CPU, not 64 (quadratic) or
    more: compared in the same run, so a loaded machine does not change the answer."""
    ratio = growth(run, HOSTILE // 8, factor=8)
    assert ratio < 24, f"8 times the text cost {ratio:.1f} times the CPU"


# ---- statements, unknown bots, automation ----------------------------------------------------------------

GOOSE = """impl: Issue #651 - Goose implementation

Automated implementation based on spec from PR #702.
Generated by Goose via recipe (wgmesh-implementation.yaml).
Validated: go build, go test, go vet passed (recipe retry checks)."""
GITHUB_ACTIONS = Person("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")
CLAUDE_IN_A_WORKFLOW = Person("claude[bot]", "41898282+claude[bot]@users.noreply.github.com")


@pytest.mark.parametrize(
    ("pull_request", "commits", "verdict", "tools", "signals"),
    [
        pytest.param(
            pr(body="I certify that I am human."), [], "attested_human", (), {"certified-human"}, id="certified-human"
        ),
        pytest.param(
            pr(body="This PR was not written with AI."),
            [],
            "attested_human",
            (),
            {"not-made-with-ai"},
            id="negated-disclosure-is-an-attestation",
        ),
        pytest.param(
            pr(body="No code in this change was generated by Copilot, it is a docs fix."),
            [],
            "human",
            (),
            set(),
            id="negation-earlier-in-the-clause",
        ),
        pytest.param(
            pr(body="This is not a rewrite; most of it was generated by Copilot."),
            [],
            "ai",
            ("copilot",),
            {"made-with-tool"},
            id="negation-in-another-clause",
        ),
        pytest.param(
            pr(body="I did not use AI for this."),
            [commit(CLAUDE_CODE)],
            "contradictory",
            ("claude",),
            {"i-did-not-use-ai", "claude-code-email", "claude-code-footer"},
            id="attested-in-prose-but-strong",
        ),
        pytest.param(
            pr(body="The retry loop was rewritten by the Claude API client."),
            [],
            "human",
            (),
            set(),
            id="tool-as-subject",
        ),
        pytest.param(
            pr(body="It was reviewed by a maintainer and generated by our own script."),
            [],
            "human",
            (),
            set(),
            id="names-no-tool",
        ),
        pytest.param(
            pr(author=Actor("acme-coding-agent[bot]", "Bot")),
            [],
            "suspected",
            (),
            {"agent-named-bot"},
            id="agent-named-bot-author",
        ),
        pytest.param(
            pr(author=Actor("app/acme-ai", "Bot")),
            [],
            "suspected",
            (),
            {"agent-named-bot"},
            id="agent-named-bot-graphql-login",
        ),
        pytest.param(
            pr(author=Actor("shepherd-release-please[bot]", "Bot")), [], "human", (), set(), id="other-bot-author"
        ),
        pytest.param(
            None,
            [commit("Fix", Person("x", "262206164+acme-agent[bot]@users.noreply.github.com"))],
            "suspected",
            (),
            {"agent-named-bot"},
            id="agent-named-bot-commit-address",
        ),
        pytest.param(
            None,
            [commit("Fix", HUMAN, Person("github-actions[bot]", "", "github-actions[bot]"))],
            "human",
            (),
            set(),
            id="automation-committer",
        ),
        pytest.param(
            None,
            [commit(GOOSE, GITHUB_ACTIONS)],
            "ai",
            ("goose",),
            {"starts-made-with-tool"},
            id="workflow-agent-committing-as-automation",
        ),
        pytest.param(
            None,
            [commit(f"Bump x\n\n{CLAUDE_CODE}", GITHUB_ACTIONS)],
            "human",
            (),
            set(),
            id="automation-marks-say-nothing",
        ),
        # Claude's GitHub Action commits under the workflow token's id and its own name: an agent, not automation
        pytest.param(
            None,
            [commit("Fix the retry loop", CLAUDE_IN_A_WORKFLOW)],
            "ai",
            ("claude",),
            {"claude-app"},
            id="agent-in-a-workflow-named-by-its-address",
        ),
        pytest.param(
            None,
            [commit(f"Fix the retry loop\n\n{CLAUDE_CODE}", CLAUDE_IN_A_WORKFLOW, GITHUB_ACTIONS)],
            "ai",
            ("claude",),
            {"claude-app", "claude-code-footer", "claude-code-email"},
            id="agent-in-a-workflow-keeps-its-marks",
        ),
        pytest.param(
            None,
            [commit("Fix\n\nCoding-Agent: claude-opus-4-8\n\nTrace-Id: 019f344d")],
            "ai",
            ("claude",),
            {"assisted-by"},
            id="trailer-paragraph-before-the-last",
        ),
        pytest.param(
            None,
            [commit("Fix\n\nCoding-Agent: claude-opus-4-8\n\nnot a trailer")],
            "human",
            (),
            set(),
            id="trailers-only-at-the-end",
        ),
        pytest.param(
            pr(body="Fixes #1\n\nCo-authored-by: Jane <jane@example.com>\nMade-with: Cursor"),
            [],
            "ai",
            ("cursor",),
            {"cursor-made-with"},
            id="trailers-in-the-body",
        ),
        pytest.param(
            None,
            [commit("Merge pull request #3 from jane/feature/codex-support\n\nAdd Codex")],
            "human",
            (),
            set(),
            id="merge-of-a-human-branch",
        ),
    ],
)
def test_statements_bots_and_automation(
    pull_request: PullRequest | None, commits: list[Commit], verdict: str, tools: tuple[str, ...], signals: set[str]
) -> None:
    found = detect(table(), pull_request, commits)
    assert (found.verdict, found.tools) == (verdict, tools), found.signals
    assert ids(found) == signals


@pytest.mark.parametrize(
    ("hand", "body", "verdict", "tools", "confidence"),
    [
        (HandLabel("ai-generated", "ai", None, "@maria"), "", "ai", (), "strong"),
        (HandLabel("ai:claude", "ai", "claude", "@maria"), "", "ai", ("claude",), "strong"),
        (HandLabel("ai-suspected", "suspected", None, ""), "", "suspected", (), "medium"),
        (HandLabel("ai-generated", "ai", None, "@maria"), "I did not use AI for this.", "contradictory", (), "strong"),
    ],
)
def test_a_verdict_label_a_person_added_is_their_judgement(
    hand: HandLabel, body: str, verdict: str, tools: tuple[str, ...], confidence: str
) -> None:
    found = detect(table(), pr(hand_labels=(hand,), body=body), [])
    assert (found.verdict, found.tools) == (verdict, tools)
    label = next(s for s in found.signals if s.id == "maintainer-label")
    assert (label.family, label.confidence, label.where) == ("label", confidence, "labels")
    assert label.evidence == f"{hand.name} (added by {hand.by or 'hand'})"


class _Counting:
    """A compiled pattern that records the length of every text it is asked to search."""

    def __init__(self, pattern: re.Pattern[str], seen: list[int]) -> None:
        self.pattern = pattern
        self.seen = seen

    def search(self, text: str, *bounds: int) -> re.Match[str] | None:
        self.seen.append(len(text))
        return self.pattern.search(text, *bounds)


@pytest.mark.parametrize(
    "body",
    [
        "was generated by " * 20_000,
        "I used " + "x " * 100_000 + " to write",
        "This PR was " + "made " * 40_000 + "with Claude",
        ("No " * 30_000 + ". ") * 3,
        "- [x] " + "AI " * 50_000,
    ],
)
def test_statement_patterns_see_bounded_text(body: str) -> None:
    """Counting work, not time: every statement pattern reads sentences of at most SENTENCE_MAX characters,
    and no character of the description more than once per pattern."""
    seen: list[int] = []
    counted = replace(
        table(),
        statements=tuple(
            replace(rule, pattern=_Counting(rule.pattern, seen))  # type: ignore[arg-type]
            for rule in table().statements
        ),
    )
    detect(counted, pr(body=body, title=body[:1000]), [commit(body)])
    assert max(seen, default=0) <= SENTENCE_MAX
    assert sum(seen) <= 3 * len(body) * len(counted.statements)  # body, title and commit message


# ---- prompt provenance ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "commits", "expected"),
    [
        pytest.param(
            "## Prompt\nAdd retries to the HTTP client.",
            [],
            "## Prompt section in the pull request body",
            id="prompt-section",
        ),
        pytest.param(COPILOT_AGENT_BODY, [], "Copilot's original prompt in the pull request body", id="copilot-block"),
        pytest.param(
            CODEX_BODY,
            [],
            "agent session link in the pull request body: "
            "https://chatgpt.com/codex/tasks/task_e_6850b5dfa2648321aeb7ba97531d0cf9",
            id="codex",
        ),
        pytest.param(
            DEVIN_BODY,
            [],
            "agent session link in the pull request body: "
            "https://app.devin.ai/sessions/4c7f2b1e9d0a4e6f8b3c5a7d9e1f2a3b",
            id="devin",
        ),
        pytest.param(
            JULES_BODY,
            [],
            "agent session link in the pull request body: https://jules.google.com/task/8812306462",
            id="jules",
        ),
        pytest.param(
            CURSOR_AGENT_BODY,
            [],
            "agent session link in the pull request body: "
            "https://cursor.com/agents/bc-5c0de2a1-8f4e-4b6a-9a51-2f7c3d9e1b00",
            id="cursor",
        ),
        pytest.param(
            "_Generated by [Claude Code](https://claude.ai/code/session_01RU8JrXGhhWnXkW9fWLtfqb)_",
            [],
            "agent session link in the pull request body: https://claude.ai/code/session_01RU8JrXGhhWnXkW9fWLtfqb",
            id="claude-web",
        ),
        pytest.param(
            "",
            [commit(CLAUDE_CODE), commit(COPILOT_LOGS, sha="bcd2345ff")],
            "commit bcd2345 trailer: Agent-Logs-Url: "
            "https://github.com/githubnext/gh-aw/sessions/0f6a9c2e-7d1b-4c55-9d0e-3c2f1b8a6e41",
            id="agent-logs-trailer",
        ),
        pytest.param(
            "",
            [commit(CLAUDE_WEB)],
            "commit abc1234 trailer: Claude-Session: https://claude.ai/code/session_01MgNYH1A9cGSt3nU71SJKyc",
            id="claude-session-trailer",
        ),
        pytest.param("", [commit("Fix\n\nClaude-Session: none")], None, id="trailer-without-link"),
        pytest.param("## Prompt\n<!-- describe the prompt -->", [commit(CLAUDE_CODE)], None, id="empty-template"),
        pytest.param("This is a pretty simple change that we need to pull into master.", [], None, id="human"),
    ],
)
def test_prompt_provenance(body: str, commits: list[Commit], expected: str | None) -> None:
    assert prompt_provenance(pr(body=body), commits) == expected


def test_prompt_provenance_of_a_push() -> None:
    assert prompt_provenance(None, []) is None
    assert prompt_provenance(None, [commit(CLAUDE_WEB)]) is not None


# ---- reading the table -----------------------------------------------------------------------------------


def test_parse_signal_table_empty_text_is_an_empty_table() -> None:
    assert parse_signal_table("") == SignalTable()


@pytest.mark.parametrize(
    ("text", "path"),
    [
        pytest.param("identities: [", (), id="bad-yaml"),
        pytest.param("- a list", (), id="not-a-mapping"),
        pytest.param(
            "branches:\n  - {id: x, family: branch, confidence: strong, pattern: '(unclosed'}",
            ("branches", 0, "pattern"),
            id="bad-regex",
        ),
    ],
)
def test_parse_signal_table_errors(text: str, path: tuple[str | int, ...]) -> None:
    with pytest.raises(SignalTableError) as caught:
        parse_signal_table(text)
    assert caught.value.path == path
    assert caught.value.message
