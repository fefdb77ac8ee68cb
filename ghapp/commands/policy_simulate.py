"""`ghapp policy simulate`: the App's decision on a pull request with simulated approvals or another policy
file, read from GitHub with the App's credentials and from its database, publishing nothing."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from ghapp.enforcement.simulate import Simulation, render, simulate
from ghapp.github.client import GitHubApp
from ghapp.github.errors import GitHubError
from ghapp.settings import Settings, SettingsError, from_env, with_stored_credentials
from ghapp.store.database import open_database


async def _run(settings: Settings, owner: str, repo: str, args: argparse.Namespace, text: str | None) -> Simulation:
    db = open_database(settings.database_url)
    try:
        async with GitHubApp(settings) as app:
            return await simulate(
                app, db, owner, repo, args.pr, approvers=args.approve, policy_text=text, policy_file=args.policy
            )
    finally:
        db.engine.dispose()


def run_simulation(args: argparse.Namespace) -> int:
    owner, _, repo = str(args.repo).partition("/")
    if not owner or not repo or "/" in repo:
        print(f"ghapp policy: --repo must be OWNER/NAME, not {args.repo!r}", file=sys.stderr)
        return 2
    text = None
    if args.policy:
        try:
            text = Path(args.policy).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"ghapp policy: cannot read {args.policy}: {exc}", file=sys.stderr)
            return 2
    try:
        settings = from_env()
        settings = with_stored_credentials(settings, api_url_set="GHAPP_GITHUB_API_URL" in os.environ)
        result = asyncio.run(_run(settings, owner, repo, args, text))
    except (SettingsError, GitHubError) as exc:
        print(f"ghapp policy: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(render(result))
    return 0 if result.decision.passed else 1
