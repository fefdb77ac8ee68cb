"""The labels the App owns on a pull request, `ai-generated`, `ai-suspected` and `ai:<tool>`, kept in step with
the AI verdict: missing ones added (created in the repository with their colour first), stale ones removed.
Labels anyone else owns are never touched."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ghapp.core.decisions import Verdict
from ghapp.github.api import InstallationAPI
from ghapp.github.shapes import TOOL_LABEL_PREFIX, is_owned_label

COLOURS = {"ai-generated": ("d93f0b", "Written with an AI tool (prompt-to-pr)"),
           "ai-suspected": ("fbca04", "Possibly written with an AI tool (prompt-to-pr)")}
TOOL_COLOUR = "5319e7"


def wanted_labels(verdict: Verdict) -> frozenset[str]:
    """The owned labels a PR with this verdict carries."""
    if verdict.verdict in ("ai", "contradictory"):
        base = {"ai-generated"}
    elif verdict.verdict == "suspected":
        base = {"ai-suspected"}
    else:
        return frozenset()
    return frozenset(base | {f"{TOOL_LABEL_PREFIX}{tool}"[:50] for tool in verdict.tools})


@dataclass(frozen=True)
class LabelChange:
    added: tuple[str, ...]
    removed: tuple[str, ...]


class LabelSync:
    """One per process: remembers which labels it already made sure exist in which repository."""

    def __init__(self) -> None:
        self._ensured: set[tuple[str, str]] = set()

    async def sync(self, api: InstallationAPI, owner: str, repo: str, number: int, *, current: Iterable[str],
                   verdict: Verdict) -> LabelChange:
        """Make the PR's owned labels match `verdict`. `current` is every label name it carries now."""
        if verdict.verdict == "unknown":  # not judged (the policy is unreadable): leave the labels as they are
            return LabelChange((), ())
        have = {name for name in current if is_owned_label(name)}
        wanted = wanted_labels(verdict)
        add = sorted(wanted - have)
        remove = sorted(have - wanted)
        for name in add:
            key = (f"{owner}/{repo}".lower(), name)
            if key not in self._ensured:
                colour, description = COLOURS.get(name, (TOOL_COLOUR, f"Written with {name[3:]} (prompt-to-pr)"))
                await api.create_label(owner, repo, name, colour, description)
                self._ensured.add(key)
        if add:
            await api.add_labels(owner, repo, number, add)
        for name in remove:
            await api.remove_label(owner, repo, number, name)
        return LabelChange(tuple(add), tuple(remove))
