"""The `ghapp` command line: an explicit table of sub-commands, each in its own module under `ghapp.commands`.

A command module exposes `HELP: str`, `add_arguments(parser)` and `run(args) -> int`. Modules are imported
only when their command runs, so `ghapp detect` does not pay for the web stack.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# name -> module. Exit codes: 0 success, 1 the thing checked failed, 2 usage or environment error.
COMMANDS: dict[str, str] = {
    "serve": "ghapp.commands.serve",
    "worker": "ghapp.commands.worker",
    "check": "ghapp.commands.check",
    "detect": "ghapp.commands.detect",
    "owners": "ghapp.commands.owners",
    "policy": "ghapp.commands.policy",
    "db": "ghapp.commands.db",
    "setup": "ghapp.commands.setup",
    "audit": "ghapp.commands.audit",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that sub-command's module is imported."""
    parser = argparse.ArgumentParser(prog="ghapp", description="prompt-to-pr: the prompt-to-PR policy App.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name)
            continue
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    only = args_list[0] if args_list and args_list[0] in COMMANDS else None
    parser = build_parser(only)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if getattr(args, "_run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    code: int = args._run(args)
    return code
