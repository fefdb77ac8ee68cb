"""How the web tier's writer should send webhook bodies to PostgreSQL: the CPU a row costs the client
(psycopg) and the PostgreSQL backend when 28 KB `pull_request` bodies are inserted in batches, by statement
form and by how the body is stored.

Run from the repository root:  .venv/bin/python bench/pg_payload_storage.py [--batches 300] [--batch 12]

Tables with the `deliveries` columns and indexes, in a scratch database on the local PostgreSQL (dropped
afterwards), lz4 TOAST compression as the App sets it:

- `text`: the body as text, the column's default storage (EXTENDED), as the App keeps it: compressed, then
  moved out of line anyway (a 28 KB body stays over the 2 KB threshold after compression) into the TOAST table;
- `text_main`: the same text with STORAGE MAIN: compressed and kept in the row;
- `bytea_main`: the body lz4-compressed by the client, as bytea with STORAGE MAIN: what a second, compressed
  body column would cost.

Each batch is sent either as one multi-row `INSERT ... ON CONFLICT DO NOTHING RETURNING` (`store/database.
insert_new`) or as one INSERT per row through `executemany` (what the App did before), then committed. The
tables are filled in turns, twice, so the second round shows tables that have grown. Client CPU is this
process's; backend CPU is read from /proc for the connection's backend.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import lz4.frame
import psycopg

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = ROOT / "tests" / "fixtures" / "webhooks" / "pull_request" / "opened.json"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
COLUMNS = (
    "delivery_id, event, action, installation_id, repository, pr_number, received_at, state, attempts, "
    "next_attempt_at, payload, body_digest"
)
TABLES = {  # name: (payload type, storage)
    "text": ("text", None),
    "text_main": ("text", "MAIN"),
    "bytea_main": ("bytea", "MAIN"),
}


def create(conn: psycopg.Connection[tuple[object, ...]], name: str, kind: str, storage: str | None) -> None:
    conn.execute(
        f"CREATE TABLE {name} (delivery_id varchar(64) PRIMARY KEY, event varchar(64), action varchar(64), "
        "installation_id bigint, repository varchar(255), pr_number int, received_at timestamp NOT NULL, "
        "state varchar(16), attempts int, lease_until timestamp, lease_owner varchar(128), "
        f"next_attempt_at timestamp, last_error text, payload {kind} NOT NULL, duration_ms float, "
        "finished_at timestamp, body_digest varchar(160))"
    )
    for columns in ("state, next_attempt_at", "repository, pr_number", "received_at", "body_digest"):
        conn.execute(f"CREATE INDEX ON {name} ({columns})")
    if storage is not None:
        conn.execute(f"ALTER TABLE {name} ALTER COLUMN payload SET STORAGE {storage}")
    conn.commit()


def backend_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fill(
    conn: psycopg.Connection[tuple[object, ...]], name: str, value: object, batches: int, batch: int, one: bool
) -> str:
    """Insert `batches` batches of `batch` rows: in one statement each (`one`) or one statement per row."""
    row = "(" + ", ".join(["%s"] * 12) + ")"
    conflict = "ON CONFLICT (delivery_id) DO NOTHING"
    many = f"INSERT INTO {name} ({COLUMNS}) VALUES {', '.join([row] * batch)} {conflict} RETURNING delivery_id"
    single = f"INSERT INTO {name} ({COLUMNS}) VALUES {row} {conflict}"
    pid = conn.info.backend_pid
    client, backend, wall = time.process_time(), backend_cpu_s(pid), time.perf_counter()
    for _ in range(batches):
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [
            [str(uuid.uuid4()), "pull_request", "opened", 1, "o/r", 1, now, "pending", 0, now, value, None]
            for _ in range(batch)
        ]
        if one:
            conn.execute(many, [value for row_values in rows for value in row_values]).fetchall()
        else:
            with conn.cursor() as cursor:
                cursor.executemany(single, rows)
        conn.commit()
    count = batches * batch
    form = "one INSERT a batch" if one else "one INSERT a row"
    return (
        f"{name:10} {form:18} client {1e6 * (time.process_time() - client) / count:6.1f} µs/row   "
        f"backend {1e6 * (backend_cpu_s(pid) - backend) / count:6.1f} µs/row   "
        f"wall {1e6 * (time.perf_counter() - wall) / count:6.1f} µs/row"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--batch", type=int, default=12)
    args = parser.parse_args()
    body = PAYLOAD.read_text()
    packed = lz4.frame.compress(body.encode())
    database = f"ghapp_storage_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as conn:
            conn.execute("SELECT set_config('default_toast_compression', 'lz4', false)")
            for name, (kind, storage) in TABLES.items():
                create(conn, name, kind, storage)
            print(f"body {len(body):,} bytes, lz4-compressed by the client {len(packed):,}; batches of {args.batch}")
            for round_ in (1, 2):
                print(f"round {round_}")
                for one in (False, True):
                    for name, (kind, _) in TABLES.items():
                        value = packed if kind == "bytea" else body
                        print("  " + fill(conn, name, value, args.batches, args.batch, one))
            sizes = conn.execute(
                "SELECT " + ", ".join(f"pg_size_pretty(pg_total_relation_size('{name}'))" for name in TABLES)
            ).fetchone()
            print("total size: " + ", ".join(f"{name} {size}" for name, size in zip(TABLES, sizes or (), strict=True)))
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
