"""Go modules: go.mod `require` lines (with `replace` applied) and go.sum entries; versions without the `v`."""

from __future__ import annotations

import re

from ghapp.runners.dependency_files import Pin
from ghapp.runners.lockfiles.common import pinned, unaudited

GO = "Go"
_LOCAL = "replaced by a local directory, not a published module"
_COMMENT = re.compile(r"//.*$")


def _directives(text: str) -> list[tuple[int, str, list[str]]]:
    """(line, verb, arguments) for every directive, block forms (`require ( ... )`) unfolded."""
    out: list[tuple[int, str, list[str]]] = []
    block = ""
    for number, raw in enumerate(text.splitlines(), 1):
        words = _COMMENT.sub("", raw).split()
        if not words:
            continue
        if block:
            if words == [")"]:
                block = ""
            else:
                out.append((number, block, words))
        elif len(words) == 2 and words[1] == "(":
            block = words[0]
        else:
            out.append((number, words[0], words[1:]))
    return out


def go_mod(path: str, text: str) -> list[Pin]:
    directives = _directives(text)
    if not any(verb == "module" for _, verb, _ in directives):
        raise ValueError("not a go.mod file (no module directive)")
    replaced: dict[str, list[str]] = {}
    for _, verb, args in directives:
        if verb == "replace" and "=>" in args:
            arrow = args.index("=>")
            replaced[args[0]] = args[arrow + 1 :]
    pins = []
    for number, verb, args in directives:
        if verb != "require" or len(args) < 2:
            continue
        module, version = args[0], args[1]
        target = replaced.get(module)
        if target and (len(target) == 1 or target[0].startswith((".", "/"))):
            pins.append(unaudited(GO, module, path, number, _LOCAL))
            continue
        if target:
            module, version = target[0], target[1]
        pins.append(pinned(GO, module, version.removeprefix("v"), path, number))
    return pins


def go_sum(path: str, text: str) -> list[Pin]:
    seen: dict[tuple[str, str], Pin] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split()
        if not words:
            continue
        if len(words) != 3 or not words[2].startswith("h1:"):
            raise ValueError(f"line {number} is not a go.sum entry")
        module, version = words[0], words[1]
        if version.endswith("/go.mod"):
            continue  # only the module's go.mod was needed for resolution, not its code
        seen.setdefault((module, version), pinned(GO, module, version.removeprefix("v"), path, number))
    return list(seen.values())
