"""Stores and loads the App's credentials file (written once by the manifest flow, mode 0600, never logged)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ghapp.core.errors import GhappError

_FILE_MODE = 0o600


class CredentialsError(GhappError, ValueError):
    """The credentials file exists but cannot be used (unreadable, not JSON, a field missing)."""


@dataclass(frozen=True)
class AppCredentials:
    """What `POST /app-manifests/{code}/conversions` returns that the App needs to run. Secrets stay out of repr."""

    app_id: str
    slug: str
    pem: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    html_url: str = ""
    github_web_url: str = ""
    github_api_url: str = ""

    @classmethod
    def from_conversion(cls, body: dict[str, object], web_url: str, api_url: str) -> AppCredentials:
        """Pick the fields from GitHub's conversion answer; `webhook_secret` may be null there."""
        missing = [k for k in ("id", "slug", "pem", "client_id", "client_secret") if not body.get(k)]
        if missing:
            raise CredentialsError(f"GitHub's answer lacks {', '.join(missing)}")
        return cls(
            app_id=str(body["id"]),
            slug=str(body["slug"]),
            pem=str(body["pem"]),
            webhook_secret=str(body.get("webhook_secret") or ""),
            client_id=str(body["client_id"]),
            client_secret=str(body["client_secret"]),
            html_url=str(body.get("html_url") or ""),
            github_web_url=web_url,
            github_api_url=api_url,
        )

    def install_url(self) -> str:
        return f"{self.github_web_url.rstrip('/')}/apps/{self.slug}/installations/new"


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by the owner only; the file never exists with looser permissions.

    The data goes to a 0600 temporary file created with O_EXCL in the same directory, then replaces `path`
    atomically, so a crash leaves either the old file or the new one, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create_private(path: Path) -> None:
    """Create `path` empty and readable by the owner only, unless it exists: for SQLite files (the database,
    the queue), which would otherwise be created 0644 (the umask), readable by every local user. SQLite gives
    its `-wal` and `-shm` files the database file's mode."""
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # no folder: SQLite reports it as before
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE))


def save_credentials(path: Path, creds: AppCredentials) -> None:
    """Store the credentials; refuses to overwrite an existing file (setup happens once)."""
    if path.exists():
        raise CredentialsError(f"{path} already exists: the App is set up already")
    write_private(path, json.dumps(asdict(creds), indent=2) + "\n")


def load_credentials(path: Path) -> AppCredentials | None:
    """The stored credentials, or None when setup has not run. A damaged file is an error, never ignored."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CredentialsError(f"{path}: cannot read the App credentials: {exc}") from None
    names = {f.name for f in fields(AppCredentials)}
    if not isinstance(raw, dict) or not {"app_id", "slug", "pem", "client_id", "client_secret"} <= raw.keys():
        raise CredentialsError(f"{path}: not an App credentials file (fields missing)")
    return AppCredentials(**{k: str(v) for k, v in raw.items() if k in names})


def session_secret(data_dir: Path, configured: str = "") -> str:
    """The key that signs session cookies: GHAPP_SESSION_SECRET, else one generated once and kept in data_dir.

    Several `ghapp serve` processes must share it: set GHAPP_SESSION_SECRET, or share data_dir.
    """
    if configured:
        return configured
    path = data_dir / "session-secret"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    # Written whole to a private temp file, then hard-linked into place: link() fails if another process
    # got there first, so every process ends up with the same secret and nobody reads a half-written one.
    tmp = data_dir / f".session-secret.{secrets.token_hex(6)}.tmp"
    write_private(tmp, secrets.token_urlsafe(32) + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def setup_token(data_dir: Path) -> str:
    """The one-time token `/setup` asks for, so that whoever reaches the page before the admin cannot register
    their own App in its place: made once, kept 0600 in data_dir (every process that shares it agrees), shown
    in the log at start, and removed once setup is done (`discard_setup_token`)."""
    path = data_dir / "setup-token"
    if not path.exists():  # written whole, then linked into place: the first process's token wins
        tmp = data_dir / f".setup-token.{secrets.token_hex(6)}.tmp"
        write_private(tmp, secrets.token_urlsafe(24) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def discard_setup_token(data_dir: Path) -> None:
    (data_dir / "setup-token").unlink(missing_ok=True)
