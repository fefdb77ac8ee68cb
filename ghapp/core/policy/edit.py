"""What a pull request that edits the policy file is told: the edited file's own problems, and about every
other file it is layered with (the files its `_extends` names, the org's policy) only whether they resolve
and are valid. The App reads those with its own access; quoting them in a public check would show a private
repository's keys and values to whoever opened the PR."""

from __future__ import annotations

from collections.abc import Sequence

from ghapp.core.policy.load import parse_layer
from ghapp.core.policy.located_yaml import Mark, PolicyIssue


def edit_issues(text: str | None, source: str, issues: Sequence[PolicyIssue]) -> tuple[PolicyIssue, ...]:
    """The issues to show for the edited file `source` (its `text`; None when the PR deletes it), given every
    issue of the policy built with it: its own, then one that says the other files do not all resolve or are
    not all valid, at its `_extends` line, without a word of what they hold."""
    own = tuple(issue for issue in issues if issue.file == source)
    hidden = len(issues) - len(own)
    if not hidden:
        return own
    mark = parse_layer(text or "", source).extends_mark or Mark(source, 1, 1)
    count = "1 problem" if hidden == 1 else f"{hidden} problems"
    return (
        *own,
        mark.issue(
            f"the policy files this one is layered with (the files `_extends` names, and the org's policy) do not all "
            f"resolve to valid policy files: {count} there, not shown, as the App reads them with its own access"
        ),
    )
