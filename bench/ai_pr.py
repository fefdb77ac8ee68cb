"""A realistic AI-written Python pull request of N files, for the benchmarks that run the real tools on one.

`ai_pull_files(n, tag)` returns path -> text: a `requirements.txt` with pins (one of them, requests 2.28.1,
has advisories in tests/fixtures/advisories) and n - 1 Python modules in the style an assistant writes
(dataclasses, typed functions, docstrings), cycling through six kinds. Most modules carry the slips such code
typically has: an unused import, an Optional returned as a plain type, a request without a timeout or with
TLS verification off, a shell command or an SQL query built from data, a hard-coded password. Every module
lands in a directory of its own kind, and every sixth (the invoices) in `billing/`, so the approvals gate has work too.
`tag` goes into each file, so each call makes a new head.
"""

from __future__ import annotations

REQUIREMENTS = "requests==2.28.1\npyyaml==6.0.1\njinja2==3.1.4\nattrs==23.2.0\n"

INVOICES = '''"""Invoices for {tag}: totals, discounts and lookup by customer."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Line{n}:
    description: str
    quantity: int
    unit_price: Decimal


@dataclass
class Invoice{n}:
    customer_id: str
    lines: list[Line{n}] = field(default_factory=list)
    discount_percent: int = 0

    def subtotal(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0"))

    def total(self) -> Decimal:
        """The subtotal less the discount, rounded to cents."""
        discount = self.subtotal() * Decimal(self.discount_percent) / Decimal(100)
        return (self.subtotal() - discount).quantize(Decimal("0.01"))


class InvoiceBook{n}:
    def __init__(self) -> None:
        self.by_customer: dict[str, Invoice{n}] = {{}}

    def add(self, invoice: Invoice{n}) -> None:
        self.by_customer[invoice.customer_id] = invoice

    def find(self, customer_id: str) -> Invoice{n}:
        return self.by_customer.get(customer_id)

    def outstanding(self) -> Decimal:
        return sum((invoice.total() for invoice in self.by_customer.values()), Decimal("0"))
'''

CLIENT = '''"""HTTP client for the partner API ({tag}), with retries on 5xx answers."""

from __future__ import annotations

import time
from typing import Any

import requests

BASE_URL = "https://partner.example.com/api/v2"


def fetch_account_{n}(account_id: str, retries: int = 3) -> dict[str, Any]:
    """GET an account, retrying server errors with a short backoff."""
    for attempt in range(retries):
        response = requests.get(f"{{BASE_URL}}/accounts/{{account_id}}", verify=False)
        if response.status_code < 500:
            response.raise_for_status()
            return response.json()
        time.sleep(2 ** attempt)
    raise RuntimeError(f"partner API kept failing for {{account_id}}")


def post_usage_{n}(account_id: str, units: int) -> bool:
    response = requests.post(f"{{BASE_URL}}/usage", json={{"account": account_id, "units": units}})
    return response.status_code == 201


def summarise_{n}(accounts: list[dict[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {{}}
    for account in accounts:
        plan = str(account.get("plan", "free"))
        totals[plan] = totals.get(plan, 0) + 1
    return totals
'''

JOBS = '''"""Background jobs ({tag}): archive exports and clean up old files."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)


def archive_export_{n}(export_dir: str, name: str) -> int:
    """Compress an export directory into `name`.tar.gz next to it."""
    command = f"tar czf {{export_dir}}/{{name}}.tar.gz -C {{export_dir}} ."
    log.info("archiving %s", export_dir)
    return subprocess.call(command, shell=True)


def cleanup_{n}(folder: Path, keep: int = 10) -> list[Path]:
    files = sorted(folder.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for old in files[keep:]:
        old.unlink()
        removed.append(old)
    return removed


def disk_usage_{n}(folder: Path) -> int:
    try:
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    except Exception:
        return "unknown"
'''

REPOSITORY = '''"""Customer records in SQLite ({tag})."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Customer{n}:
    id: int
    name: str
    email: str


class CustomerStore{n}:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path)

    def by_name(self, name: str) -> list[Customer{n}]:
        cursor = self.conn.cursor()
        cursor.execute(f"SELECT id, name, email FROM customers WHERE name = '{{name}}'")
        return [Customer{n}(*row) for row in cursor.fetchall()]

    def add(self, customer: Customer{n}) -> None:
        self.conn.execute("INSERT INTO customers VALUES (?, ?, ?)", (customer.id, customer.name, customer.email))
        self.conn.commit()

    def count(self) -> int:
        row = self.conn.execute("SELECT COUNT(*) FROM customers").fetchone()
        return row[0] if row else 0
'''

CONFIG = '''"""Settings loaded from a YAML file and the environment ({tag})."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_PASSWORD = "hunter2-{n}"


@dataclass(frozen=True)
class Settings{n}:
    database_url: str
    debug: bool = False
    workers: int = 4


def load_settings_{n}(path: Path) -> Settings{n}:
    data = yaml.load(path.read_text())
    url = os.environ.get("DATABASE_URL", data.get("database_url", "sqlite:///app.db"))
    return Settings{n}(database_url=url, debug=bool(data.get("debug")), workers=int(data.get("workers", 4)))


def connect_args_{n}(settings: Settings{n}) -> dict[str, str]:
    return {{"url": settings.database_url, "password": os.environ.get("DB_PASSWORD", DEFAULT_PASSWORD)}}
'''

PURE = '''"""Text helpers for reports ({tag}): slugs, truncation, tables."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slugify_{n}(text: str) -> str:
    """Lower-case ASCII words joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_WORD.sub("-", ascii_text.lower()).strip("-")


def truncate_{n}(text: str, width: int, marker: str = "...") -> str:
    if len(text) <= width:
        return text
    return text[: max(0, width - len(marker))] + marker


def table_{n}(rows: list[tuple[str, int]]) -> str:
    width = max((len(name) for name, _ in rows), default=0)
    return "\\n".join(f"{{name.ljust(width)}}  {{value:>8}}" for name, value in rows)
'''

KINDS = (
    ("invoices", INVOICES),
    ("clients", CLIENT),
    ("jobs", JOBS),
    ("stores", REPOSITORY),
    ("config", CONFIG),
    ("text", PURE),
)


def ai_pull_files(count: int, tag: str) -> dict[str, str | bytes | None]:
    """`count` files: requirements.txt and count - 1 Python modules (see the module doc)."""
    files: dict[str, str | bytes | None] = {"requirements.txt": REQUIREMENTS + f"# {tag}\n"}
    for n in range(count - 1):
        kind, template = KINDS[n % len(KINDS)]
        folder = "billing" if n % 6 == 0 else f"app/{kind}"
        files[f"{folder}/{kind}_{n}.py"] = template.format(n=n, tag=tag)
    return files
