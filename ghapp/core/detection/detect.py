"""Decides whether a pull request or a commit was written with an AI tool: gathers the signal table's evidence
from each field (`detection/verdict.py` weighs it).

Automation that is not AI (dependabot, renovate, ...) is never AI. Markers are searched after fenced code,
inline code and `>` quotes are removed, so a PR that quotes an agent's footer to discuss it is not flagged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import yaml

from ghapp.core.decisions import Verdict
from ghapp.core.detection.bounds import bounded_commit, bounded_pull_request, clip
from ghapp.core.detection.identity import identity, is_automation, is_automation_author, login_keys
from ghapp.core.detection.pr_text import (
    checked_boxes,
    heading_answers,
    plain_text,
    prompt_section,
    without_comments,
)
from ghapp.core.detection.signals import Rule, SignalTable, SignalTableError
from ghapp.core.detection.statements import sentences
from ghapp.core.detection.trailers import Trailer, parse_person, parse_trailers
from ghapp.core.detection.verdict import Hit, clip_evidence, decide, hit_of
from ghapp.core.facts import Commit, Person, PullRequest

__all__ = ["detect", "detect_commit", "is_automation_author", "parse_signal_table", "prompt_provenance"]

_EMAIL_MAX = 254  # RFC 5321: anything longer is not an address, and patterns need not look at it
# GitHub's merge commit names the PR's head branch: what a push of the merge shows of an agent's branch
_MERGE = re.compile(r"Merge pull request #\d+ from [^/\s]+/(\S+)")
_COAUTHOR_KEYS = ("co-authored-by", "co-developed-by")
_KEY_VALUE = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(\S.*)")
_ORIGINAL_PROMPT = re.compile(r"<summary>\s*Original prompt\s*</summary>", re.IGNORECASE)
_SESSION_URL = re.compile(
    r"https://(?:chatgpt\.com/codex/tasks/task_[a-z]_[0-9a-f]+|app\.devin\.ai/sessions/[0-9a-f]+"
    r"|jules\.google\.com/task/\d+|cursor\.com/agents/bc-[0-9a-f-]+|claude\.ai/code/session_[A-Za-z0-9]+)",
    re.IGNORECASE,
)
_SESSION_TRAILERS = ("agent-logs-url", "claude-session")
# a verdict label a person added by hand (`labels:` in the policy): their judgement, as strong as the label says
_HAND_LABELS: dict[str, Rule] = {
    "ai": Rule("maintainer-label", "label", "strong"),
    "suspected": Rule("maintainer-label", "label", "medium"),
}
# where a clause starts: a negation before it ("This is not an anti-AI move - I used Copilot") is another's
_CLAUSE_ENDS = (",", ";", ":", " - ", " \u2013 ", " \u2014 ")  # en and em dashes too


def parse_signal_table(text: str) -> SignalTable:
    """The table in YAML `text` (policies/ai-signals.yml, or an org's `ai_signals:` section)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SignalTableError((), "not valid YAML: " + " ".join(str(exc).split())) from exc
    return SignalTable.from_mapping({} if data is None else data)


def detect(table: SignalTable, pull_request: PullRequest | None, commits: Sequence[Commit]) -> Verdict:
    """The verdict on a pull request as a whole: its author, branch, labels, title, body and every commit."""
    hits = _pull_request_hits(table, bounded_pull_request(pull_request)) if pull_request is not None else []
    for commit in commits:
        hits += _commit_hits(table, bounded_commit(commit))
    return decide(hits)


def detect_commit(table: SignalTable, commit: Commit) -> Verdict:
    """The verdict on one commit (a direct push): its author, committer, trailers and message."""
    return decide(_commit_hits(table, bounded_commit(commit)))


def prompt_provenance(pull_request: PullRequest | None, commits: Sequence[Commit]) -> str | None:
    """What records the prompt behind the change, or None: a `## Prompt` section, Copilot's original
    prompt block, an agent session link in the body, or a session trailer on a commit."""
    body = clip(pull_request.body) if pull_request is not None else ""
    if prompt_section(body):
        return "## Prompt section in the pull request body"
    if _ORIGINAL_PROMPT.search(body):
        return "Copilot's original prompt in the pull request body"
    url = _SESSION_URL.search(body)
    if url:
        return f"agent session link in the pull request body: {url[0]}"
    for commit in commits:
        for trailer in parse_trailers(clip(commit.message)):
            if trailer.lower_key in _SESSION_TRAILERS and trailer.value.startswith("https://"):
                return f"{_commit_where(commit, 'trailer')}: {clip_evidence(str(trailer))}"
    return None


# ---- gathering evidence ------------------------------------------------------------------------------


def _pull_request_hits(table: SignalTable, pr: PullRequest) -> list[Hit]:
    if is_automation_author(table, pr):
        return []
    bot = pr.author.type == "Bot" or pr.author.login.lower().endswith("[bot]")
    logins = login_keys(pr.author.login, bot)
    hits: list[Hit] = []
    found = identity(table, logins, bot, pr.author.id)
    if found is not None:
        hits.append(hit_of(found[0], "pull request author", f"{pr.author.login} ({pr.author.type})"))
    hits += [
        hit_of(rule, "branch", pr.head_ref)
        for rule in table.branches
        if pr.head_ref and rule.pattern.search(pr.head_ref)
    ]
    hits += [
        hit_of(rule, "labels", label)
        for rule in table.labels
        for label in pr.labels
        if label.strip().lower() in rule.names
    ]
    hits += [
        hit_of(_HAND_LABELS[label.verdict], "labels", f"{label.name} (added by {label.by or 'hand'})", tool=label.tool)
        for label in pr.hand_labels
    ]
    title = plain_text(pr.title)
    hits += _marker_hits(table, "pr_title", title, "pull request title")
    hits += _statement_hits(table, "pr_title", title, "pull request title")
    hits += _marker_hits(table, "pr_body", plain_text(pr.body), "pull request body")
    prose = plain_text(without_comments(pr.body))  # a template's commented-out example is not an answer
    hits += _statement_hits(table, "pr_body", prose, "pull request body")
    for line in prose.split("\n"):  # trailers pasted into the description instead of a commit
        pair = _KEY_VALUE.fullmatch(line)
        if pair:
            hits += _trailer_hits(table, Trailer(pair[1], pair[2].strip()), "pull request body")
    boxes = [
        (label, under_heading, f"[x] {label}") for label, under_heading in checked_boxes(prose, table.checkbox_headings)
    ]
    boxes += [(answer, True, answer) for answer in heading_answers(prose, table.checkbox_headings)]
    for label, under_heading, evidence in boxes:
        # the first rule that reads a box decides it: "No AI tools were used" is no "AI tools were used"
        rule = next(
            (
                rule
                for rule in table.checkboxes
                if (under_heading or not rule.under_heading) and rule.pattern.search(label)
            ),
            None,
        )
        if rule is not None:
            tool = table.name_tool(label)[0] if rule.family == "disclosure" else None
            hits.append(hit_of(rule, "pull request body", evidence, tool=tool))
    return hits


def _commit_hits(table: SignalTable, commit: Commit) -> list[Hit]:
    trailers = _trailing_trailers(commit.message)
    prose = plain_text(commit.message)
    statements = _statement_hits(table, "commit_message", prose, _commit_where(commit, "message"))
    people = [("author", commit.author)] + (
        [("committer", commit.committer)] if commit.committer != commit.author else []
    )
    hits: list[Hit] = []
    for role, person in people:
        login = (person.login or "").lower()
        found = identity(
            table,
            login_keys(login, login.endswith("[bot]")) if login else frozenset(),
            login.endswith("[bot]"),
            None,
            email=person.email,
            name=person.name,
        )
        if found is not None:
            rule, by_login = found
            hits.append(hit_of(rule, _commit_where(commit, role), _person(person), sub=0 if by_login else 1))
    # automation's own marks say nothing, but an agent run by a workflow may say what it is, and one whose
    # commits name it (its login in the address, however the workflow's token is known) is an agent
    if not hits and (
        is_automation(table, commit.author)
        or any((t.lower_key, t.value.lower()) in table.non_ai.trailers for t in trailers)
    ):
        return [hit for hit in statements if hit.signal.family == "disclosure"]
    for trailer in trailers:
        hits += _trailer_hits(table, trailer, _commit_where(commit, "trailer"))
    hits += _marker_hits(table, "commit_message", prose, _commit_where(commit, "message"))
    merged = _MERGE.match(commit.message)
    if merged is not None:
        hits += [
            hit_of(rule, _commit_where(commit, "merge message"), merged[1])
            for rule in table.branches
            if rule.pattern.search(merged[1])
        ]
    return hits + statements


def _trailing_trailers(message: str) -> list[Trailer]:
    """The trailers of the message's last paragraph, and of the paragraphs before it while each of them is
    a trailer block too (`Coding-Agent: x`, a blank line, `Trace-Id: y`): git reads only the last one."""
    blocks: list[tuple[Trailer, ...]] = []
    for paragraph in reversed(message.replace("\r\n", "\n").rstrip().split("\n\n")[1:]):
        block = parse_trailers(f"-\n\n{paragraph}")  # each paragraph read once, behind a stand-in title
        if not block:
            break
        blocks.append(block)
    return [trailer for block in reversed(blocks) for trailer in block]


def _trailer_hits(table: SignalTable, trailer: Trailer, where: str) -> list[Hit]:
    hits = [
        hit_of(rule, where, str(trailer))
        for rule in table.trailers
        if rule.key.fullmatch(trailer.key) and rule.value.search(trailer.value)
    ]
    if trailer.lower_key in _COAUTHOR_KEYS:
        hits += _coauthor_hits(table, trailer, where)
    return hits + _disclosure_hits(table, trailer.key, trailer.value, where)


def _coauthor_hits(table: SignalTable, trailer: Trailer, where: str) -> list[Hit]:
    name, email = parse_person(trailer.value)
    if is_automation(table, Person(name=name, email=email)):
        return []
    found = identity(table, frozenset(), False, None, email=email)
    if found is not None:
        return [hit_of(found[0], where, str(trailer), family="coauthor")]
    if trailer.lower_key != "co-authored-by":  # Co-developed-by names a human unless its address is an AI's
        return []
    machine = not email or (len(email) <= _EMAIL_MAX and table.is_machine_email(email))
    return [
        hit_of(rule, where, str(trailer))
        for rule in table.coauthor_names
        if rule.pattern.search(name) and (rule.any_email or machine)
    ][:1]


def _disclosure_hits(table: SignalTable, key: str, value: str, where: str) -> list[Hit]:
    hits = []
    for rule in table.disclosures:
        if not value.strip() or not rule.key.fullmatch(key):
            continue
        if rule.ignore_values is not None and rule.ignore_values.search(value.strip()):
            continue
        tool, named = table.name_tool(value)
        confidence = rule.confidence if named else rule.unnamed_confidence
        hits.append(hit_of(rule, where, f"{key}: {value}", confidence=confidence, tool=tool))
    return hits


def _statement_hits(table: SignalTable, scope: str, text: str, where: str) -> list[Hit]:
    """Sentences that say how the change was made, except those a marker reads. A disclosure negated in its
    own clause ("No code was generated by …") is none: the attestation rules read those.
    A `tool` group must name a tool or say AI, and not a review bot or an API."""
    rules = [rule for rule in table.statements if scope in rule.scopes]
    markers = [rule.pattern for rule in table.markers if scope in rule.scopes]
    hits: list[Hit] = []
    for sentence in sentences(text) if rules else ():
        if any(marker.search(sentence) for marker in markers):
            continue  # a marker reads this sentence, with the confidence chosen for it
        for rule in rules:
            match = rule.pattern.search(sentence)
            if match is None or (rule.family == "disclosure" and _negated(table, sentence, match)):
                continue
            named = match.groupdict().get("tool")
            tool = None
            if named is not None:
                tool, says_ai = table.name_tool(named)
                if not says_ai or not table.is_authorship(named):
                    continue
            hits.append(hit_of(rule, where, match[0], tool=tool if rule.family == "disclosure" else None))
    return hits


def _negated(table: SignalTable, sentence: str, match: re.Match[str]) -> bool:
    """Whether a negation stands in the matched words or earlier in their clause ("No code was made by …")."""
    found = ((sentence.rfind(end, 0, match.start()), end) for end in _CLAUSE_ENDS)
    start = max((at + len(end) for at, end in found if at >= 0), default=0)
    return any(p.search(sentence, start, match.end()) for p in table.negations)


def _marker_hits(table: SignalTable, scope: str, text: str, where: str) -> list[Hit]:
    matches = ((rule, rule.pattern.search(text)) for rule in table.markers if scope in rule.scopes)
    return [hit_of(rule, where, match[0]) for rule, match in matches if match is not None]


def _commit_where(commit: Commit, part: str) -> str:
    return f"commit {commit.sha[:7] or '(no sha)'} {part}"


def _person(person: Person) -> str:
    return f"{person.name} <{person.email}>".strip() if person.email else person.name or person.login or ""
