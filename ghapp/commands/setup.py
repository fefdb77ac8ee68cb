"""`ghapp setup`: where to register the App, or (headless installs) trade a manifest code for its credentials."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from ghapp.credentials import AppCredentials, CredentialsError, load_credentials, save_credentials
from ghapp.github.errors import GitHubError
from ghapp.settings import SettingsError, from_env
from ghapp.web.setup import build_manifest, github_urls

HELP = "Register the App on GitHub from app.yml and store its credentials (or say where to do it)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--code", help="the `code` GitHub put in the redirect after registering (valid one hour)")
    parser.add_argument("--host", default="", help="GitHub host the App was registered on (default: configured one)")
    parser.add_argument("--manifest", action="store_true", help="print the manifest JSON built from app.yml and exit")
    parser.add_argument("--name", default=None, help="App name to put in the printed manifest")


def run(args: argparse.Namespace) -> int:
    try:
        settings = from_env()
    except SettingsError as exc:
        print(f"ghapp setup: {exc}", file=sys.stderr)
        return 2
    if args.manifest:
        print(json.dumps(build_manifest(settings.public_url, args.name), indent=2))
        return 0
    try:
        stored = load_credentials(settings.credentials_file)
    except CredentialsError as exc:
        print(f"ghapp setup: {exc}", file=sys.stderr)
        return 2
    if stored is not None or settings.has_app_credentials:
        app = f"App {stored.app_id} ({stored.slug})" if stored else f"App {settings.app_id} (from the environment)"
        print(f"Set up already: {app}.")
        return 2 if args.code else 0
    if not args.code:
        print(
            f"Open {settings.public_url.rstrip('/')}/setup in a browser to register the App on GitHub, with the "
            f"setup token the server printed at start (also in {settings.data_dir / 'setup-token'})."
        )
        print("Headless: register with the JSON from `ghapp setup --manifest`, then run `ghapp setup --code CODE`.")
        return 0
    try:
        web, api = github_urls(args.host, settings)
    except ValueError as exc:
        print(f"ghapp setup: {exc}", file=sys.stderr)
        return 2
    try:
        from ghapp.github.manifest import convert_manifest_code  # noqa: PLC0415 - only this path needs httpx

        body = asyncio.run(convert_manifest_code(api, args.code))
        creds = AppCredentials.from_conversion(body, web, api)
        save_credentials(settings.credentials_file, creds)
    except (GitHubError, CredentialsError) as exc:
        print(f"ghapp setup: {exc}", file=sys.stderr)
        return 1
    print(f"Stored the credentials of App {creds.app_id} ({creds.slug}) in {settings.credentials_file} (mode 0600).")
    print(f"Install it: {creds.install_url()}")
    return 0
