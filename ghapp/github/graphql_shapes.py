"""GraphQL nodes in the JSON shapes of GitHub's REST answers, so `shapes.py` and `labels.py` read both alike.

Where GraphQL differs: a `Bot` login lacks REST's `[bot]` suffix (the Copilot coding agent's lacks it in REST
too); a commit's `GitActor.user` is a `User` only, so a bot's commit names its account by its
`<id>+<slug>[bot]@users.noreply.github.com` address alone, which is how REST ties it too; a deleted account is
null where REST shows `ghost`; a timeline item is an issue event.
"""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]
SUFFIXLESS_BOTS = frozenset({"copilot"})  # the Copilot coding agent: REST too names this Bot without `[bot]`
_BOT_NOREPLY = re.compile(r"(?:(\d+)\+)?([a-z0-9-]+\[bot\])@users\.noreply\.github\.com", re.IGNORECASE)


def actor(value: Any) -> JSON | None:
    """A GraphQL `Actor` as REST's user object (`login`, `type`, `id`); a deleted account is REST's `ghost`."""
    if not isinstance(value, dict):
        return {"login": "ghost", "type": "User"}
    kind = str(value.get("__typename") or "User")
    login = str(value.get("login") or "ghost")
    if kind == "Bot" and not login.endswith("[bot]") and login.lower() not in SUFFIXLESS_BOTS:
        login += "[bot]"  # REST spells an App's bot account `slug[bot]`, GraphQL `slug`
    data: JSON = {"login": login, "type": kind if kind in ("User", "Bot", "Organization") else "User"}
    if isinstance(value.get("databaseId"), int):
        data["id"] = value["databaseId"]
    return data


def _git_user(git: JSON) -> JSON | None:
    """The account GitHub tied a commit's author or committer to. `GitActor.user` is a `User`; a bot's commits
    are tied to its account by its noreply address, as REST ties them."""
    user = git.get("user")
    if isinstance(user, dict):
        return actor({"__typename": "User", **user})
    bot = _BOT_NOREPLY.fullmatch(str(git.get("email") or ""))
    if bot is None:
        return None
    data: JSON = {"login": bot[2], "type": "Bot"}
    if bot[1]:
        data["id"] = int(bot[1])
    return data


def commit(node: JSON) -> JSON:
    author, committer = node.get("author"), node.get("committer")
    author = author if isinstance(author, dict) else {}
    committer = committer if isinstance(committer, dict) else {}
    person = ("name", "email", "date")
    return {
        "sha": str(node.get("oid") or ""),
        "commit": {
            "message": str(node.get("message") or ""),
            "author": {k: author.get(k) for k in person},
            "committer": {k: committer.get(k) for k in person},
        },
        "author": _git_user(author),
        "committer": _git_user(committer),
    }


def review(node: JSON) -> JSON:
    commit = node.get("commit")
    data: JSON = {
        "id": node.get("databaseId"),
        "user": actor(node.get("author")),
        "state": str(node.get("state") or ""),
        "commit_id": commit.get("oid") if isinstance(commit, dict) else None,
        "author_association": node.get("authorAssociation"),
    }
    if node.get("submittedAt"):
        data["submitted_at"] = node["submittedAt"]
    return data


def event(node: JSON) -> JSON | None:
    """A timeline item as REST's issue event: `labeled`/`unlabeled` with `label` and `actor`, `assigned` with
    `assignee` and `assigner`."""
    kind = node.get("__typename")
    if kind in ("LabeledEvent", "UnlabeledEvent"):
        label = node.get("label")
        return {
            "event": "labeled" if kind == "LabeledEvent" else "unlabeled",
            "actor": actor(node.get("actor")),
            "label": {"name": label.get("name")} if isinstance(label, dict) else None,
        }
    if kind == "AssignedEvent":
        assignee = node.get("assignee")
        by = actor(node.get("actor"))
        return {
            "event": "assigned",
            "actor": by,
            "assigner": by,
            "assignee": actor(assignee) if isinstance(assignee, dict) else None,
        }
    return None
