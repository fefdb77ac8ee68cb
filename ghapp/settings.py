"""Frozen Settings read once from the environment (GHAPP_*, and `.env` if present) and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import dotenv_values

from ghapp.core.errors import GhappError


class SettingsError(GhappError, ValueError):
    """A GHAPP_* variable has a value the App cannot use."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Secrets are excluded from `repr` so they never reach a log line."""

    app_id: str = ""
    private_key: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)
    oauth_client_id: str = ""
    oauth_client_secret: str = field(default="", repr=False)
    github_api_url: str = "https://api.github.com"
    github_web_url: str = "https://github.com"
    public_url: str = ""  # empty: http://localhost:<port>, the address this process serves
    database_url: str = "sqlite:///ghapp.db"
    redis_url: str = ""
    queue_path: str = "ghapp-queue.db"
    queue_name: str = "ghapp"  # the queue's key prefix: Apps sharing one Redis need different names
    host: str = "0.0.0.0"  # noqa: S104 - the App is a server; GHAPP_HOST narrows it
    port: int = 3000
    osv_url: str = "https://api.osv.dev/v1/query"
    data_dir: Path = Path("var")
    allow_unsigned: bool = False  # development only: accept deliveries without a signature
    max_body_bytes: int = 25 * 1024 * 1024  # GitHub's own payload cap
    body_timeout_s: int = 10  # to receive a whole webhook body (GitHub gives up after 10 s)
    max_body_readers: int = 64  # webhook bodies read at once; more: 503 with Retry-After
    max_spooled_bytes: int = 256 * 1024 * 1024  # webhook bodies' bytes beyond 256 KB each, spooled to disk
    replay_window_s: int = 3600  # a body seen again under another delivery id within this is a duplicate
    web_processes: int = 0  # `ghapp serve`'s web processes on one port; 0: one per CPU, at most 4
    workers: int = 2
    lease_seconds: int = 90  # renewed every third of it while the job runs, so a dead worker costs ~90 s
    max_attempts: int = 8
    queue_depth_limit: int = 1000
    job_timeout_s: int = 900  # a handler running longer is cancelled and retried
    sweep_interval_s: int = 30  # expired leases and stalled deliveries are re-enqueued this often
    redeliver_interval_s: int = 900  # how often GitHub's failed deliveries are asked for again
    audit_retention_days: int = 400  # audit events older than this are pruned; 0 keeps them forever
    runner_timeout_s: int = 300
    checks_grace_s: float = 3.0  # tools done within this: their runs are created once, completed
    runner_memory_mb: int = 2048
    runner_sandbox: str = "auto"  # auto (bwrap when installed), bwrap (required), none: see runners/sandbox.py
    tarball_max_bytes: int = 512 * 1024 * 1024
    tarball_max_files: int = 50_000
    otlp_endpoint: str = ""
    log_level: str = "INFO"
    session_secret: str = field(default="", repr=False)
    metrics_token: str = field(default="", repr=False)  # empty: /metrics is not served on the web port

    def __post_init__(self) -> None:
        if not self.public_url:
            object.__setattr__(self, "public_url", self._local_url())

    def _local_url(self) -> str:
        return f"http://localhost:{self.port}"

    def serving_on(self, port: int) -> Settings:
        """These settings for a process that listens on `port`: a public URL derived from the port follows it,
        one that was set (GHAPP_PUBLIC_URL) stays."""
        derived = self.public_url == self._local_url()
        return replace(self, port=port, public_url="" if derived else self.public_url)

    @property
    def has_app_credentials(self) -> bool:
        return bool(self.app_id and self.private_key and self.webhook_secret)

    @property
    def credentials_file(self) -> Path:
        """Where the manifest flow stores the App's credentials (mode 0600)."""
        return self.data_dir / "app-credentials.json"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


_INT_FIELDS = {
    "PORT": "port",
    "MAX_BODY_BYTES": "max_body_bytes",
    "REPLAY_WINDOW_S": "replay_window_s",
    "BODY_TIMEOUT_S": "body_timeout_s",
    "MAX_BODY_READERS": "max_body_readers",
    "MAX_SPOOLED_BYTES": "max_spooled_bytes",
    "WEB_PROCESSES": "web_processes",
    "WORKERS": "workers",
    "LEASE_SECONDS": "lease_seconds",
    "MAX_ATTEMPTS": "max_attempts",
    "QUEUE_DEPTH_LIMIT": "queue_depth_limit",
    "JOB_TIMEOUT_S": "job_timeout_s",
    "SWEEP_INTERVAL_S": "sweep_interval_s",
    "REDELIVER_INTERVAL_S": "redeliver_interval_s",
    "AUDIT_RETENTION_DAYS": "audit_retention_days",
    "RUNNER_TIMEOUT_S": "runner_timeout_s",
    "RUNNER_MEMORY_MB": "runner_memory_mb",
    "TARBALL_MAX_BYTES": "tarball_max_bytes",
    "TARBALL_MAX_FILES": "tarball_max_files",
}
_FLOAT_FIELDS = {"CHECKS_GRACE_S": "checks_grace_s"}
_STR_FIELDS = {  # nosemgrep: secrets-hardcoded-credential - names of variables and fields, no values
    "APP_ID": "app_id",
    "PRIVATE_KEY": "private_key",
    "WEBHOOK_SECRET": "webhook_secret",
    "OAUTH_CLIENT_ID": "oauth_client_id",
    "OAUTH_CLIENT_SECRET": "oauth_client_secret",
    "GITHUB_API_URL": "github_api_url",
    "GITHUB_WEB_URL": "github_web_url",
    "PUBLIC_URL": "public_url",
    "DATABASE_URL": "database_url",
    "REDIS_URL": "redis_url",
    "QUEUE_PATH": "queue_path",
    "HOST": "host",
    "QUEUE_NAME": "queue_name",
    "RUNNER_SANDBOX": "runner_sandbox",
    "OSV_URL": "osv_url",
    "OTLP_ENDPOINT": "otlp_endpoint",
    "LOG_LEVEL": "log_level",
    "SESSION_SECRET": "session_secret",
    "METRICS_TOKEN": "metrics_token",
}


def from_env(environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    """Build Settings from `environ` (default: the process environment) over the values in `dotenv`."""
    env: dict[str, str] = {}
    if dotenv is not None and dotenv.is_file():
        env.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    env.update(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    for suffix, name in _STR_FIELDS.items():
        if f"GHAPP_{suffix}" in env:
            values[name] = env[f"GHAPP_{suffix}"]
    numbers: tuple[tuple[dict[str, str], type[int] | type[float], str], ...] = (
        (_INT_FIELDS, int, "a whole number"),
        (_FLOAT_FIELDS, float, "a number of seconds"),
    )
    for fields, number, kind in numbers:
        for suffix, name in fields.items():
            raw = env.get(f"GHAPP_{suffix}")
            if raw is not None:
                try:
                    values[name] = number(raw)
                except ValueError:
                    raise SettingsError(f"GHAPP_{suffix} must be {kind}, not {raw!r}") from None
    if "GHAPP_DATA_DIR" in env:
        values["data_dir"] = Path(env["GHAPP_DATA_DIR"])
    if env.get("GHAPP_ALLOW_UNSIGNED", "").lower() in ("1", "true", "yes"):
        values["allow_unsigned"] = True
    key_path = env.get("GHAPP_PRIVATE_KEY_PATH")
    if key_path and not values.get("private_key"):
        try:
            values["private_key"] = Path(key_path).read_text()
        except OSError as exc:
            raise SettingsError(f"GHAPP_PRIVATE_KEY_PATH: cannot read {key_path}: {exc.strerror}") from None
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.github_api_url.rstrip("/") != "https://api.github.com" and "GHAPP_GITHUB_WEB_URL" not in env:
        # GitHub Enterprise Server serves the API under /api/v3 on the web host.
        web = settings.github_api_url.rstrip("/").removesuffix("/api/v3")
        settings = replace(settings, github_web_url=web)
    if not settings.has_app_credentials:
        settings = with_stored_credentials(settings, api_url_set="GHAPP_GITHUB_API_URL" in env)
    return settings


def with_stored_credentials(settings: Settings, api_url_set: bool = False) -> Settings:
    """Fill the credentials the environment left empty from the file `ghapp setup` / `/setup` wrote."""
    from ghapp.credentials import CredentialsError, load_credentials  # noqa: PLC0415 - stdlib-only module

    try:
        creds = load_credentials(settings.credentials_file)
    except CredentialsError as exc:
        raise SettingsError(str(exc)) from None
    if creds is None:
        return settings
    stored = {
        "app_id": creds.app_id,
        "private_key": creds.pem,
        "webhook_secret": creds.webhook_secret,
        "oauth_client_id": creds.client_id,
        "oauth_client_secret": creds.client_secret,
    }
    changes: dict[str, object] = {k: v for k, v in stored.items() if not getattr(settings, k)}
    if creds.github_api_url and not api_url_set:  # registered on a GitHub Enterprise host
        changes.update(github_api_url=creds.github_api_url, github_web_url=creds.github_web_url)
    return settings.with_overrides(**changes)
