"""A small OSV-compatible HTTP server over the advisory fixtures, on loopback, for the dependency-audit tests.

It answers `POST /v1/query` (full advisories), `POST /v1/querybatch` (ids and modified times) and
`GET /v1/vulns/{id}` (one advisory) like api.osv.dev: a version is affected when it is listed in an
`affected[].versions` list or falls in an ECOSYSTEM or SEMVER range (`introduced` / `fixed` /
`last_affected` events, evaluated in version order: PEP 440 for PyPI, dotted numbers then pre-releases for
the other ecosystems, which is what their records here need).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.paths import FIXTURES

ADVISORIES = FIXTURES / "advisories"
OTHER_ECOSYSTEMS = FIXTURES / "advisories-osv"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):  # unquoted timestamps in some files load as datetimes
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.isoformat().replace("+00:00", "Z")
    return value


def load_advisories(root: Path = ADVISORIES, other: Path | None = OTHER_ECOSYSTEMS) -> list[dict[str, Any]]:
    found = [_jsonable(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in sorted(root.rglob("*.yaml"))]
    if other is not None:
        found += [json.loads(p.read_text(encoding="utf-8")) for p in sorted(other.rglob("*.json"))]
    return found


class _Dotted:
    """A version of npm, Go, crates.io, RubyGems, Packagist or Maven, ordered by its dotted numbers, a release
    above its pre-releases (`1.2.0-rc1 < 1.2.0`)."""

    def __init__(self, text: str) -> None:
        main, _, pre = text.removeprefix("v").partition("-")
        numbers = [int(part) if part.isdigit() else 0 for part in main.split("+")[0].split(".")]
        self.key = (tuple(numbers + [0] * (4 - len(numbers))), 0 if pre else 1, pre)

    def __lt__(self, other: _Dotted) -> bool:
        return self.key < other.key

    def __le__(self, other: _Dotted) -> bool:
        return self.key <= other.key

    def __gt__(self, other: _Dotted) -> bool:
        return self.key > other.key

    def __ge__(self, other: _Dotted) -> bool:
        return self.key >= other.key


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(version: Any, events: list[dict[str, str]], parse: Any = None) -> bool:
    """OSV's range evaluation: walk the events sorted by version; `introduced: 0` is the lowest."""

    def key(event: dict[str, str]) -> Any:
        raw = next(iter(event.values()))
        if parse is not None:
            return parse("0" if raw == "0" else raw)
        return Version("0") if raw == "0" else (_version(raw) or Version("0"))

    affected = False
    for event in sorted(events, key=key):
        kind, bound = next(iter(event)), key(event)
        if kind == "introduced" and version >= bound:
            affected = True
        elif (kind == "fixed" and version >= bound) or (kind == "last_affected" and version > bound):
            affected = False
    return affected


def affects(advisory: dict[str, Any], name: str, version: str, ecosystem: str = "PyPI") -> bool:
    pypi = ecosystem == "PyPI"
    wanted = _version(version) if pypi else _Dotted(version)
    for entry in advisory.get("affected", []):
        package = entry.get("package", {})
        known = canonicalize_name(package.get("name", "")) if pypi else package.get("name", "")
        if package.get("ecosystem") != ecosystem or known != name:
            continue
        if version in entry.get("versions", []):
            return True
        for rng in entry.get("ranges", []):
            if rng.get("type") not in ("ECOSYSTEM", "SEMVER") or wanted is None:
                continue
            if _in_range(wanted, rng.get("events", []), None if pypi else _Dotted):
                return True
    return False


class OsvIndex:
    def __init__(self, advisories: list[dict[str, Any]]) -> None:
        self.advisories = advisories
        self.queries: list[dict[str, Any]] = []

    def query(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        self.queries.append(body)
        package = body.get("package", {})
        ecosystem = package.get("ecosystem", "PyPI")
        if "version" not in body:
            return []
        name = canonicalize_name(package.get("name", "")) if ecosystem == "PyPI" else package.get("name", "")
        return [a for a in self.advisories if affects(a, name, str(body["version"]), ecosystem)]

    def get(self, vuln_id: str) -> dict[str, Any] | None:
        return next((a for a in self.advisories if a["id"] == vuln_id), None)


def _handler(index: OsvIndex) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            found = index.get(self.path.removeprefix("/v1/vulns/")) if self.path.startswith("/v1/vulns/") else None
            if found is None:
                self._send(404, {"code": 5, "message": "Bug not found."})
            else:
                self._send(200, found)

        def do_POST(self) -> None:
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            except ValueError:
                self._send(400, {"code": 3, "message": "invalid JSON"})
                return
            if self.path == "/v1/query":
                vulns = index.query(body)
                self._send(200, {"vulns": vulns} if vulns else {})
            elif self.path == "/v1/querybatch":
                results = [
                    {"vulns": [{"id": v["id"], "modified": v.get("modified")} for v in index.query(q)]}
                    for q in body.get("queries", [])
                ]
                self._send(200, {"results": results})
            else:
                self._send(404, {"code": 5, "message": "Not Found"})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def serve(root: Path = ADVISORIES, other: Path | None = OTHER_ECOSYSTEMS) -> Iterator[tuple[str, OsvIndex]]:
    """Run the server on an ephemeral loopback port; yields (base URL, index with the queries it saw)."""
    index = OsvIndex(load_advisories(root, other))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(index))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", index
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
