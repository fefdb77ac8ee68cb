"""`python -I -m ghapp.runners.osv_query PINS URL`: ask an OSV service about locked packages, print JSON.

Run by the `osv` runner as its tool process (so it gets the same timeout, memory cap and environment as every
other tool). PINS is a JSON list of {ecosystem, name, version}; URL is the service's `/v1/query` address
(`GHAPP_OSV_URL`), whose `/v1/querybatch` and `/v1/vulns/{id}` siblings are used: one batch per 1,000
packages, then each advisory once. The answer is in pip-audit's shape, so both audits report alike. Any
failure of the service exits 2 with the reason: the gate then fails closed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx

BATCH = 1000  # OSV's limit of queries per batch
MAX_PAGES = 20


def _fixed(advisory: dict[str, Any], ecosystem: str, name: str) -> list[str]:
    fixes = []
    for entry in advisory.get("affected", []):
        package = entry.get("package", {})
        if package.get("ecosystem") == ecosystem and package.get("name") == name:
            for rng in entry.get("ranges", []):
                fixes += [e["fixed"] for e in rng.get("events", []) if "fixed" in e]
    return sorted(set(fixes))


def _ids(client: httpx.Client, base: str, pins: list[dict[str, str]]) -> list[list[str]]:
    found: list[list[str]] = [[] for _ in pins]
    for start in range(0, len(pins), BATCH):
        chunk = pins[start : start + BATCH]
        queries: list[dict[str, Any]] = [
            {"package": {"ecosystem": p["ecosystem"], "name": p["name"]}, "version": p["version"]} for p in chunk
        ]
        pending = list(range(len(chunk)))
        for _ in range(MAX_PAGES):
            reply = client.post(f"{base}/querybatch", json={"queries": [queries[i] for i in pending]})
            reply.raise_for_status()
            results = reply.json()["results"]
            if len(results) != len(pending):
                raise ValueError("the batch answer does not match the questions")
            more = []
            for i, result in zip(pending, results, strict=True):
                found[start + i] += [str(v["id"]) for v in result.get("vulns") or []]
                if result.get("next_page_token"):
                    queries[i]["page_token"] = result["next_page_token"]
                    more.append(i)
            pending = more
            if not pending:
                break
        else:
            raise ValueError(f"more than {MAX_PAGES} pages of advisories for one package")
    return found


def query(pins: list[dict[str, str]], url: str, client: httpx.Client) -> list[dict[str, Any]]:
    base = url.rstrip("/").removesuffix("/query")
    advisories: dict[str, dict[str, Any]] = {}
    out = []
    for pin, ids in zip(pins, _ids(client, base, pins), strict=True):
        vulns = []
        for vuln_id in dict.fromkeys(ids):
            if vuln_id not in advisories:
                reply = client.get(f"{base}/vulns/{vuln_id}")
                reply.raise_for_status()
                advisories[vuln_id] = reply.json()
            advisory = advisories[vuln_id]
            if advisory.get("withdrawn"):
                continue
            vulns.append(
                {
                    "id": vuln_id,
                    "aliases": advisory.get("aliases", []),
                    "fix_versions": _fixed(advisory, pin["ecosystem"], pin["name"]),
                    "description": advisory.get("summary") or advisory.get("details", ""),
                }
            )
        out.append({**pin, "vulns": vulns})
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -I -m ghapp.runners.osv_query PINS URL", file=sys.stderr)
        return 2
    pins = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    try:
        with httpx.Client(timeout=30, follow_redirects=False) as client:
            results = query(pins, argv[1], client)
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        print(f"the OSV service at {argv[1]} did not answer usably: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"dependencies": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
