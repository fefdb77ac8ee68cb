"""The App's verdict labels on a pull request (`labels:` in the policy: `ai-generated`, `ai-suspected` and
`ai:<tool>` unless the org names them otherwise), kept in step with the AI verdict: missing ones added, stale
ones removed. A verdict label a person added by hand is never removed: it is their judgement, and detection
reads it as evidence (`hand_labels`). Labels anyone else owns are never touched.

Labels are added by name: GitHub creates a label the repository lacks, grey (`ededed`) and without a
description. The App then gives it its colour and description (`dress`) once, on the `labeled` delivery
GitHub sends for the App's own addition (which carries the label's look), so no evaluation pays for creating
labels; a name the org chose, which that delivery cannot tell from anyone else's, is dressed at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from ghapp.core.decisions import Verdict
from ghapp.core.facts import HandLabel
from ghapp.core.policy.model import LabelSettings
from ghapp.github.api import InstallationAPI
from ghapp.github.installation import JSON
from ghapp.github.shapes import is_owned_label

# "Add labels to an issue" creates a label the repository lacks, colour `ededed`, description null: GitHub's
# behaviour, not yet in its REST reference (github/docs#35718, reviewed by GitHub's docs team)
GITHUB_COLOUR = "ededed"
AI_COLOUR = "d93f0b"
SUSPECTED_COLOUR = "fbca04"
TOOL_COLOUR = "5319e7"


def wanted_labels(verdict: Verdict, settings: LabelSettings | None = None) -> frozenset[str]:
    """The verdict labels a PR with this verdict carries."""
    return (settings or LabelSettings()).wanted(verdict)


async def hand_labels(
    api: InstallationAPI,
    owner: str,
    repo: str,
    number: int,
    present: Iterable[str],
    *,
    settings: LabelSettings,
    events: Callable[[], Awaitable[list[JSON]]] | None = None,
) -> tuple[HandLabel, ...]:
    """The verdict labels among `present` that a person added: the last event of each is its `labeled` by a
    User, not a bot. A present label whose last event is no `labeled` (none listed, or an `unlabeled`) counts
    as added by hand: the App cannot tell, so it neither removes the label nor ignores it. Asks GitHub only if
    one is present. `events`: the PR's events read once for the whole evaluation (see FactsGatherer.gather)."""
    names = [name for name in dict.fromkeys(present) if settings.owns(name)]
    if not names:
        return ()
    last: dict[str, dict[str, object] | None] = {}  # the actor of the label's last `labeled`; None: `unlabeled`
    listed = await (events() if events is not None else api.list_issue_events(owner, repo, number))
    for event in listed:
        label, actor = event.get("label"), event.get("actor")
        if event.get("event") in ("labeled", "unlabeled") and isinstance(label, dict) and label.get("name") in names:
            added = event["event"] == "labeled"
            last[str(label["name"])] = (actor if isinstance(actor, dict) else {}) if added else None
    found = []
    for name in names:
        actor = last.get(name)
        if actor is None or (actor.get("type") != "Bot" and not str(actor.get("login", "")).endswith("[bot]")):
            verdict, tool = settings.meaning(name)
            login = str(actor.get("login") or "") if actor is not None else ""
            found.append(HandLabel(name, verdict, tool, by=f"@{login}" if login else ""))
    return tuple(found)


@dataclass(frozen=True)
class LabelChange:
    added: tuple[str, ...]
    removed: tuple[str, ...]


class LabelSync:
    """Keeps a PR's verdict labels in step with its verdict."""

    async def sync(
        self,
        api: InstallationAPI,
        owner: str,
        repo: str,
        number: int,
        *,
        current: Iterable[str],
        verdict: Verdict,
        settings: LabelSettings | None = None,
        keep: Iterable[str] = (),
    ) -> LabelChange:
        """Make the PR's verdict labels match `verdict`. `current` is every label name it carries now; `keep`
        are labels a person added by hand, never removed."""
        if verdict.verdict == "unknown":  # not judged (the policy is unreadable): leave the labels as they are
            return LabelChange((), ())
        names = settings or LabelSettings()
        have = {name for name in current if names.owns(name)}
        wanted = names.wanted(verdict)
        add = sorted(wanted - have)
        remove = sorted(have - wanted - set(keep))
        if add:
            for label in await api.add_labels(owner, repo, number, add):
                name = str(label.get("name") or "")
                if name in add and auto_created(label) and not is_owned_label(name):
                    await dress(api, owner, repo, name, names)  # no `labeled` delivery will recognise it
        for name in remove:
            await api.remove_label(owner, repo, number, name)
        return LabelChange(tuple(add), tuple(remove))


def auto_created(label: JSON) -> bool:
    """Whether a label has the look GitHub gives one it created when it was added by name."""
    return str(label.get("color") or "").lower() == GITHUB_COLOUR and not label.get("description")


async def dress(api: InstallationAPI, owner: str, repo: str, name: str, settings: LabelSettings) -> bool:
    """Give one of the App's labels its colour and description."""
    colour, description = _look(settings, name)
    return await api.update_label(owner, repo, name, colour, description)


async def dress_added(api: InstallationAPI, owner: str, repo: str, label: JSON) -> bool:
    """The App added `label` (a `labeled` delivery of its own): dress it if GitHub just created it."""
    name = str(label.get("name") or "")
    if not is_owned_label(name) or not auto_created(label):
        return False
    return await dress(api, owner, repo, name, LabelSettings())


def _look(settings: LabelSettings, name: str) -> tuple[str, str]:
    """A new label's colour and description."""
    if name == settings.ai:
        return AI_COLOUR, "Written with an AI tool (prompt-to-pr)"
    if name == settings.suspected:
        return SUSPECTED_COLOUR, "Possibly written with an AI tool (prompt-to-pr)"
    return TOOL_COLOUR, f"Written with {name[len(settings.tool_prefix) :]} (prompt-to-pr)"
