"""`ghapp owners`: who owns these paths according to a CODEOWNERS file, with GitHub's matching rules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ghapp.core.codeowners.patterns import CODEOWNERS_LOCATIONS, parse_codeowners

HELP = "Print the CODEOWNERS owners of each PATH as JSON; invalid lines of the file go to stderr."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--codeowners",
        metavar="FILE",
        help=f"the CODEOWNERS file (default: the first of {', '.join(CODEOWNERS_LOCATIONS)} in the current directory)",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a file path relative to the repository root")


def run(args: argparse.Namespace) -> int:
    name: str | None = args.codeowners or next((loc for loc in CODEOWNERS_LOCATIONS if Path(loc).is_file()), None)
    if name is None:
        print(
            f"ghapp owners: no CODEOWNERS file in {', '.join(CODEOWNERS_LOCATIONS)}; pass --codeowners FILE",
            file=sys.stderr,
        )
        return 2
    try:
        text = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"ghapp owners: cannot read {name}: {exc}", file=sys.stderr)
        return 2
    codeowners = parse_codeowners(text)
    for error in codeowners.errors:
        print(f"{name}:{error.line}: {error.message}", file=sys.stderr)
    owners = codeowners.owners_for(args.paths)
    print(json.dumps({path: list(found) for path, found in owners.items()}, indent=2))
    return 0
