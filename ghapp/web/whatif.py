"""What-if on the details page: a repository admin asks what the App would decide on the pull request's current
head with more approvals or another policy text, and sees it beside the decision recorded. It runs the same
code as `ghapp policy simulate` (`ghapp.enforcement.simulate`), so it publishes nothing (no check run,
review request, label or comment) and records no decision: only an audit event says who ran it.

Who may: a signed-in user whose GitHub permissions on the repository include `admin`, read from the same
answer that says which repositories they may see (`web.access`: cached 60 s for the page's form; asked again,
fresh, for every run). Everyone else sees no form, and a POST of theirs gets 403; a user who cannot see the
repository gets the page's own 404. The form is a plain POST with the session's CSRF token, its body read
within a bound (a policy text over the policy file's own 256 KiB cap is refused before GitHub is asked).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from ghapp.core.policy.located_yaml import MAX_BYTES
from ghapp.enforcement.enforcer import Enforcer
from ghapp.enforcement.simulate import Simulation, simulate
from ghapp.github.client import GitHubApp
from ghapp.github.errors import GitHubError
from ghapp.store import audit
from ghapp.store.database import Database
from ghapp.web.access import RepositoryAccess
from ghapp.web.auth import Auth, UserSession
from ghapp.web.render import message

MAX_APPROVERS = 20
# a percent-encoded form triples a text at worst; a little more for the other fields
FORM_MAX_BYTES = 3 * MAX_BYTES + 8192
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?")


@dataclass(frozen=True)
class Row:
    """One check: the conclusion recorded for the head, and the hypothetical one."""

    gate: str
    recorded: str
    hypothetical: str
    title: str


@dataclass(frozen=True)
class Outcome:
    """What the details page shows after a what-if: its template context and status."""

    context: dict[str, Any]
    status: int = 200


def parse_approvers(text: str) -> tuple[tuple[str, ...], str]:
    """(logins, problem): logins split on commas and spaces, `@` dropped, each once."""
    names = [n.lstrip("@") for n in re.split(r"[\s,]+", text.strip()) if n.strip()]
    bad = [n for n in names if not _LOGIN.fullmatch(n)]
    if bad:
        return (), f"Not a GitHub login: {bad[0][:60]!r}."
    unique = tuple(dict.fromkeys(names))
    if len(unique) > MAX_APPROVERS:
        return (), f"At most {MAX_APPROVERS} approvers at once."
    return unique, ""


def rows(sim: Simulation) -> list[Row]:
    return [
        Row(g.gate.value, sim.current.get(g.gate.value, ""), g.conclusion.value, g.title) for g in sim.decision.gates
    ]


async def bounded_form(request: Request, max_bytes: int) -> dict[str, str] | None:
    """The url-encoded form, or None when the body is over `max_bytes` (declared or as read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            return None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {key: values[0] for key, values in fields.items()}


class WhatIf:
    def __init__(
        self,
        db: Database,
        auth: Auth,
        access: RepositoryAccess,
        github: Callable[[], GitHubApp | None],
        enforcer: Enforcer | None = None,
    ) -> None:
        """`github`: the App's client of this process (None until the App is configured)."""
        self.db, self.auth, self.access = db, auth, access
        self._github = github
        self._enforcer = enforcer or Enforcer()

    async def context(self, user: UserSession, installation_id: int, repository: str) -> dict[str, Any]:
        """The template context of a view: whether to show the form (from the cached access answer)."""
        admin = await self.access.administers(user, installation_id, repository)
        return {"whatif_admin": admin, "whatif": None, "whatif_error": "", "whatif_approvers": "", "whatif_policy": ""}

    async def run(
        self, request: Request, user: UserSession, repository: str, number: int, installation_id: int
    ) -> Outcome | Response:
        """Run a what-if for an admin; a Response when it is refused."""
        if not await self.access.administers(user, installation_id, repository, fresh=True):
            return message(request, "Admins only", "Only an admin of this repository can run a what-if.", 403)
        form = await bounded_form(request, FORM_MAX_BYTES)
        if form is None:
            return message(request, "Too large", f"The form is over {FORM_MAX_BYTES:,} bytes.", 413)
        if not self.auth.csrf_ok(user, form):
            return message(request, "Request refused", "The form was missing its security token. Reload the page.", 403)
        approvers_text, policy = form.get("approvers", ""), form.get("policy", "")
        context = {"whatif_admin": True, "whatif": None, "whatif_approvers": approvers_text, "whatif_policy": policy}
        approvers, problem = parse_approvers(approvers_text)
        policy_text = policy.replace("\r\n", "\n") if policy.strip() else None
        if policy_text is not None and len(policy_text.encode()) > MAX_BYTES:
            problem = f"The policy text is over {MAX_BYTES // 1024} KiB, the limit of a policy file."
        if problem:
            return Outcome({**context, "whatif_error": problem}, 400)
        app = self._github()
        if app is None:
            return Outcome({**context, "whatif_error": "The App is not configured yet (see /setup)."}, 503)
        owner, _, name = repository.partition("/")
        try:
            sim = await simulate(
                app,
                self.db,
                owner,
                name,
                number,
                approvers=approvers,
                policy_text=policy_text,
                policy_file="the policy text" if policy_text is not None else None,
                enforcer=self._enforcer,
                installation_id=installation_id,
            )
        except GitHubError as exc:
            return Outcome({**context, "whatif_error": f"GitHub did not answer: {exc}"}, 502)
        record(self.db, user, sim, policy_text)
        return Outcome({**context, "whatif_error": "", "whatif": sim, "whatif_rows": rows(sim)})


def record(db: Database, user: UserSession, sim: Simulation, policy_text: str | None) -> None:
    """An audit event: who asked what, and what the App would have decided (not a decision: nothing changed)."""
    with_what: list[str] = []
    if sim.approvers:
        with_what.append("approvals from " + ", ".join(f"@{a}" for a in sim.approvers))
    if policy_text is not None:
        with_what.append("a policy text")
    detail: dict[str, Sequence[str] | str | bool | int | None] = {
        "by": user.login,
        "approvers": list(sim.approvers),
        "policy_sha256": hashlib.sha256(policy_text.encode()).hexdigest() if policy_text is not None else None,
        "passed": sim.decision.passed,
        "published": False,
    }
    audit.record(
        db,
        [
            audit.Entry(
                "what_if",
                sim.repository,
                sim.number,
                sim.head_sha,
                outcome="would pass" if sim.decision.passed else "would block",
                verdict=sim.decision.verdict.verdict,
                people=(user.login,),
                summary=f"what-if run by @{user.login}"
                + (f" with {' and '.join(with_what)}" if with_what else "")
                + f": would {'pass' if sim.decision.passed else 'block'} (nothing published)",
                detail=dict(detail),
            )
        ],
    )
