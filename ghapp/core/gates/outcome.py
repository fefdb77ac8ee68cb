"""The last word on a gate: an accepted override makes it pass, report mode makes it neutral.

An override counts only when it was given on the current head, with a reason, by a member of the policy's
override team who is not the PR's author, for a gate the policy lets be overridden. Every rejected one is
listed with why, so nobody wonders why their override did nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ghapp.core.decisions import Conclusion, Gate, GateResult, OverrideOutcome
from ghapp.core.facts import Override
from ghapp.core.gates.participants import ROLE_WORDS, Participation
from ghapp.core.gates.summary import bullets, cell, finish, flat, line
from ghapp.core.policy.model import Mode, OverrideSettings

PASSING = (Conclusion.SUCCESS, Conclusion.NEUTRAL, Conclusion.SKIPPED)


def apply_overrides(
    result: GateResult,
    overrides: Sequence[Override],
    settings: OverrideSettings,
    *,
    head_sha: str,
    author: str,
    members: Mapping[str, frozenset[str]],
    took_part: Participation | None = None,
) -> GateResult:
    """`result`, passed by the latest valid override for its gate, or annotated with the rejected ones. Nobody
    who took part in the change (`took_part`: its author, commit authors, co-authors, pushers, an agent's
    launcher) overrides its checks, as nobody who took part approves it."""
    # `dependency_audit` (the policy key) and `dependency-audit` (the check name) both name the gate
    mine = [o for o in overrides if o.gate.strip().lower().replace("_", "-") == result.gate.value]
    if not mine:
        return result
    valid: list[Override] = []
    rejected: list[str] = []
    outcomes: list[OverrideOutcome] = []
    for override in mine:
        why = _rejection(
            override, result.gate, settings, head_sha=head_sha, author=author, members=members, took_part=took_part
        )
        if why:
            rejected.append(f"@{override.by.login}: {why}")
            outcomes.append(OverrideOutcome(override.by.login, False, why))
        else:
            valid.append(override)
    notes = "### Overrides not accepted\n" + bullets(rejected) if rejected else ""
    if not valid:
        return replace(result, summary=finish([result.summary, notes]), overrides=tuple(outcomes))
    accepted = valid[-1]  # the latest valid override is the one in force
    outcomes.extend(OverrideOutcome(o.by.login, False, "a later override is in force") for o in valid[:-1])
    if result.conclusion in PASSING:
        notes = finish([f"The override by @{accepted.by.login} was not needed: the gate passes.", notes])
        outcomes.append(OverrideOutcome(accepted.by.login, False, "not needed: the check passes without it"))
        return replace(result, summary=finish([result.summary, notes]), overrides=tuple(outcomes))
    outcomes.append(OverrideOutcome(accepted.by.login, True, "accepted"))
    reason = cell(accepted.reason, 150)
    header = (
        f"**Overridden** by @{accepted.by.login} on `{accepted.head_sha[:12]}`: {reason}\n\n"
        f"Without the override this check concludes `{result.conclusion.value}`: {line(result.title)}"
    )
    title = f"Overridden by @{accepted.by.login}: {flat(accepted.reason, 150)}"  # a title is plain text
    return replace(
        result,
        conclusion=Conclusion.SUCCESS,
        title=title[:200],
        summary=finish([header, result.summary, notes]),
        overrides=tuple(outcomes),
    )


def _rejection(
    override: Override,
    gate: Gate,
    settings: OverrideSettings,
    *,
    head_sha: str,
    author: str,
    members: Mapping[str, frozenset[str]],
    took_part: Participation | None,
) -> str | None:
    login = override.by.login.lower()
    if gate not in settings.gates:
        return f"the policy does not allow overriding `{gate.value}` (`overrides.gates`)"
    if settings.team is None:
        return "the policy names no override team (`overrides.team`)"
    if override.head_sha != head_sha:
        return f"given on `{override.head_sha[:12]}`, but the head is now `{head_sha[:12]}`: override again"
    if not override.reason.strip():
        return "no reason given"
    if login == author.lower():
        return "the PR's author cannot override its checks"
    roles = took_part.roles(login) if took_part is not None else ()
    if roles:
        return f"took part in the change ({ROLE_WORDS[roles[0]]}): cannot override its checks"
    team_members = {name.lower() for team, names in members.items() if team.lower() == settings.team for name in names}
    if login not in team_members:
        return f"not a member of @{settings.team}"
    return None


def apply_mode(result: GateResult, mode: Mode) -> GateResult:
    """In report mode the gate is neutral and says what enforce mode would have concluded."""
    if mode == "enforce":
        return result
    note = (
        f"> **Report mode**: nothing blocks. In enforce mode this check would conclude **{result.conclusion.value}**."
    )
    return replace(
        result,
        conclusion=Conclusion.NEUTRAL,
        would_conclude=result.conclusion,
        title=f"Report: {result.title}"[:200],
        summary=finish([note, result.summary]),
    )


def not_judged(gate: Gate, reason: str) -> GateResult:
    """A gate the engine could not judge (e.g. the policy is invalid): it does not pass, and says why."""
    return GateResult(
        gate,
        Conclusion.FAILURE,
        f"Not judged: {reason}"[:200],
        f"This check was not judged: {reason}. It concludes `failure` so that nothing merges "
        "unchecked; it runs again once the cause is fixed.",
    )
