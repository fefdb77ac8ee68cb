"""`ghapp audit`: export the audit trail (CSV or JSON Lines, filtered), and create, list or revoke the tokens a
SIEM reads it with over HTTP (`GET /api/audit`)."""

from __future__ import annotations

import argparse
import sys

from ghapp.audit_export import FORMATS, FilterError, filters_from, lines
from ghapp.clock import utcnow
from ghapp.settings import SettingsError, from_env
from ghapp.store.audit import KINDS, export
from ghapp.store.audit_tokens import create_token, list_tokens, revoke_token
from ghapp.store.database import Database, open_database

HELP = "The audit trail: `export` it as CSV or JSON Lines, `token create|list|revoke` for a SIEM's access."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", metavar="TASK", required=True)
    out = sub.add_parser("export", help="print the events that match, oldest first")
    out.add_argument("--since", help="from this time: 2026-01-31, 2026-01-31T12:00:00Z, or back from now: 90d, 12h")
    out.add_argument("--until", help="before this time (same forms as --since)")
    out.add_argument("--format", choices=FORMATS, default="jsonl")
    out.add_argument("--repo", help="OWNER/NAME")
    out.add_argument("--pr", help="a pull request number")
    out.add_argument("--kind", choices=KINDS)
    out.add_argument("--verdict", help="ai, suspected, human, attested_human, contradictory, unknown")
    out.add_argument("--tool", help="an AI tool, as the verdict names it (Claude Code, Copilot, ...)")
    out.add_argument("--category", help="a sensitive category (secrets, billing, auth, ...)")
    out.add_argument("--person", help="a GitHub login: author, approver, overrider, pusher or reviewer asked")
    out.add_argument("--gate", help="a check: provenance, lint, types, semgrep, dependency-audit, approvals, policy")
    token = sub.add_parser("token", help="tokens for GET /api/audit").add_subparsers(
        dest="token_command", metavar="ACTION", required=True
    )
    create = token.add_parser("create", help="make a token and print it (once: only its hash is kept)")
    create.add_argument("--name", required=True, help="who uses it, e.g. siem")
    token.add_parser("list", help="the tokens, without their secrets")
    revoke = token.add_parser("revoke", help="stop a token working")
    revoke.add_argument("token_id", type=int)


def _export(db: Database, args: argparse.Namespace) -> int:
    values = {
        name: getattr(args, name, None)
        for name in ("since", "until", "repo", "pr", "kind", "verdict", "tool", "category", "person", "gate")
    }
    try:
        filters = filters_from(values, utcnow())
    except FilterError as exc:
        print(f"ghapp audit: {exc}", file=sys.stderr)
        return 2
    for line in lines(export(db, filters), args.format):
        sys.stdout.write(line)
    return 0


def _token(db: Database, args: argparse.Namespace) -> int:
    action = args.token_command
    if action == "create":
        print(create_token(db, args.name))
        print("Keep it now: it is not shown again. Send it as `Authorization: Bearer <token>`.", file=sys.stderr)
        return 0
    if action == "list":
        for info in list_tokens(db):
            state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "in force"
            used = f"last used {info.last_used_at:%Y-%m-%d %H:%M}" if info.last_used_at else "never used"
            print(f"{info.id}\t{info.name}\tcreated {info.created_at:%Y-%m-%d}\t{used}\t{state}")
        return 0
    if not revoke_token(db, args.token_id):
        print(f"ghapp audit: no token {args.token_id} in force", file=sys.stderr)
        return 1
    print(f"token {args.token_id} revoked")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        settings = from_env()
    except SettingsError as exc:
        print(f"ghapp audit: {exc}", file=sys.stderr)
        return 2
    db = open_database(settings.database_url)
    try:
        return _export(db, args) if args.audit_command == "export" else _token(db, args)
    except Exception as exc:  # an unreachable or broken database: say so, exit 2
        print(f"ghapp audit: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        db.engine.dispose()
