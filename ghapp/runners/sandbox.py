"""The sandbox every tool runs in: bubblewrap (`bwrap`), when the machine has it.

A tool reads a pull request's files, so it is treated as if the PR controlled it. In the sandbox it runs as
an unprivileged user (uid 65534 in a user namespace of its own, every capability dropped) with:
- no network (its own empty network namespace; only the two dependency audits keep the network, to reach
  the OSV service, and they never read a PR file: they get our own file of pins);
- an empty environment but the variables `runners.process.environment` chose (no token, no GHAPP_* secret);
- a private /tmp, and nothing of the host's filesystem but the system directories, the App's Python and
  tools, its bundled rules (all read-only), the head being judged (read-only) and the run's scratch
  directory (read-write: the tool's HOME, configs and caches). The App's data directory (credentials, session
  secret), its database and its working directory are simply not there.

`GHAPP_RUNNER_SANDBOX`: `auto` (bwrap when it is installed), `bwrap` (required: without it every tool fails,
closed), `none` (no sandbox: development machines without bwrap, or a container already confined).
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ghapp.core.errors import GhappError

log = logging.getLogger(__name__)
NOBODY = 65534
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC = (
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/localtime",
    "/etc/alternatives",
)


class SandboxUnavailable(GhappError):
    """`bwrap` was required but cannot be found."""


def resolve(mode: str) -> str | None:
    """The bwrap executable to use for `mode`, or None for no sandbox. Raises for a required one missing.
    `auto` uses bwrap only when it is installed AND works here (a container's seccomp profile commonly
    refuses the user namespace it needs); otherwise it warns, once, and runs the tools without it."""
    if mode == "none":
        return None
    if mode not in ("auto", "bwrap"):
        raise SandboxUnavailable(f"GHAPP_RUNNER_SANDBOX must be auto, bwrap or none, not {mode!r}")
    found = shutil.which("bwrap", path="/usr/bin:/bin:/usr/local/bin")
    if mode == "bwrap":
        if found is None:
            raise SandboxUnavailable("GHAPP_RUNNER_SANDBOX=bwrap but bubblewrap (bwrap) is not installed")
        return found
    return found if found is not None and _works(found) else None


@functools.cache
def _works(bwrap: str) -> bool:
    probe = [
        bwrap,
        "--unshare-all",
        "--cap-drop",
        "ALL",
        "--uid",
        str(NOBODY),
        "--gid",
        str(NOBODY),
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--",
        "/bin/true",
    ]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    if not ok:
        log.warning(
            "bubblewrap is installed but cannot create a sandbox here (user namespaces refused?): the "
            "tools run without it. Set GHAPP_RUNNER_SANDBOX=bwrap to refuse to run them instead."
        )
    return ok


def _readable(paths: Iterable[Path | str]) -> list[str]:
    """Each existing path once, with its real location too (a venv's python links into the base install),
    leaving out what lies inside another of them: it is mounted with it, and a second mount on a path inside a
    read-only one (a link in the App's package, say) cannot be made."""
    seen: dict[str, None] = {}
    for path in paths:
        for candidate in (str(path), str(Path(path).resolve())):
            if Path(candidate).exists():
                seen.setdefault(candidate, None)
    ordered = sorted(seen, key=len)
    kept: list[str] = []
    for candidate in ordered:
        if not any(Path(candidate).is_relative_to(outer) and not Path(outer).is_symlink() for outer in kept):
            kept.append(candidate)
    return [path for path in seen if path in kept]


def wrap(
    bwrap: str,
    argv: Sequence[str],
    *,
    root: Path,
    scratch: Path,
    env: Mapping[str, str],
    read_only: Iterable[Path | str] = (),
    network: bool = False,
) -> list[str]:
    """`argv` inside the sandbox, working in `root` (read-only) with `scratch` writable."""
    command = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--uid",
        str(NOBODY),
        "--gid",
        str(NOBODY),
        "--clearenv",
    ]
    if network:
        command.append("--share-net")
    command += ["--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]  # noqa: S108 - a private, empty /tmp
    for path in _readable([*_SYSTEM, *_ETC]):
        command += ["--ro-bind", path, path]
    # the App's own package too: a tool of its own (the OSV query) imports it, and an editable install keeps it
    # outside the environment
    package = Path(__file__).resolve().parents[1]
    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, Path(sys.executable).parent, package, *read_only]
    for path in _readable(python):
        command += ["--ro-bind", path, path]
    writable = ["--bind", str(scratch), str(scratch)]
    head = ["--ro-bind", str(root), str(root)]
    # the outer of the two first, so that the inner one's mount is not hidden by it
    command += [*head, *writable] if scratch.is_relative_to(root) else [*writable, *head]
    command += ["--chdir", str(root)]
    for name, value in env.items():
        command += ["--setenv", name, value]
    return [*command, "--", *argv]
