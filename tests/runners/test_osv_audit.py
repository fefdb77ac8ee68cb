"""The lock-file audit against the local OSV server over real HTTP: findings on the locking line, batched
queries, a service that cannot be asked fails closed, and nothing in the checkout is run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from ghapp.core.decisions import ToolReport
from ghapp.runners.base import RunContext
from ghapp.runners.osv_audit import OsvAudit
from ghapp.runners.process import run
from tests.osv_server import OsvIndex, serve
from tests.polling import free_port

PACKAGE_LOCK = json.dumps(
    {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "web"},
            "node_modules/minimist": {
                "version": "1.2.5",
                "resolved": "https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz",
            },
            "node_modules/left-pad": {
                "version": "1.3.0",
                "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
            },
            "node_modules/private": {"version": "1.0.0", "resolved": "git+ssh://git@github.com/acme/private.git#abc"},
        },
    },
    indent=2,
)
GO_MOD = (
    "module example.com/shop\n\ngo 1.21\n\nrequire (\n\tgolang.org/x/crypto v0.14.0\n"
    "\tgithub.com/gin-gonic/gin v1.9.1\n)\n"
)


def workspace(tmp_path: Path, files: dict[str, str], osv_url: str) -> RunContext:
    root = tmp_path / "head"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return RunContext(root=root, scratch=tmp_path / "scratch", osv_url=osv_url)


def audit(ctx: RunContext, files: list[str]) -> ToolReport:
    return asyncio.run(run(OsvAudit(), ctx, files, timeout_s=120))


def test_vulnerable_locked_packages_are_found_on_their_lines(tmp_path: Path, osv: tuple[str, OsvIndex]) -> None:
    url, index = osv
    before = len(index.queries)
    ctx = workspace(tmp_path, {"web/package-lock.json": PACKAGE_LOCK, "go.mod": GO_MOD}, f"{url}/v1/query")
    report = audit(ctx, ["web/package-lock.json", "go.mod"])
    assert report.status == "ok", report.error
    found = {(f.path, f.line, f.rule) for f in report.findings}
    minimist_line = PACKAGE_LOCK.splitlines().index('    "node_modules/minimist": {') + 1
    assert ("web/package-lock.json", minimist_line, "GHSA-xvch-5gv4-984h") in found
    assert ("go.mod", 6, "GO-2023-2402") in found
    assert not any(rule == "GO-2023-1737" for _, _, rule in found)  # gin 1.9.1 is the fixed release
    crypto = next(f for f in report.findings if f.rule == "GO-2023-2402")
    assert "fixed in 0.17.0" in crypto.message and "CVE-2023-48795" in crypto.message
    assert any(f.rule == "unaudited" and f.path == "web/package-lock.json" for f in report.findings)
    assert report.unaudited and "private" in report.unaudited[0]
    assert len(index.queries) - before == 4  # one batch of four packages, each asked about once


def test_thousands_of_packages_go_in_batches_of_a_thousand(tmp_path: Path) -> None:
    lock = {"lockfileVersion": 3, "packages": {f"node_modules/p{i}": {"version": "1.0.0"} for i in range(2500)}}
    with serve() as (url, index):
        ctx = workspace(tmp_path, {"package-lock.json": json.dumps(lock)}, f"{url}/v1/query")
        report = audit(ctx, ["package-lock.json"])
        assert report.status == "ok" and not report.findings
        assert len(index.queries) == 2500  # every package asked once, in three POSTs (1,000 at most each)


def test_a_service_that_cannot_be_asked_fails_closed(tmp_path: Path) -> None:
    ctx = workspace(tmp_path, {"go.mod": GO_MOD}, f"http://127.0.0.1:{free_port()}/v1/query")
    report = audit(ctx, ["go.mod"])
    assert report.status == "error" and "OSV service" in (report.error or "")


def test_nothing_in_the_checkout_is_imported(tmp_path: Path, osv: tuple[str, OsvIndex]) -> None:
    url, _ = osv
    marker = tmp_path / "ran"
    trap = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('pwned')\n"
    ctx = workspace(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "ghapp/__init__.py": trap,
            "ghapp/runners/__init__.py": trap,
            "ghapp/runners/osv_query.py": trap,
            "httpx.py": trap,
            "json.py": trap,
        },
        f"{url}/v1/query",
    )
    report = audit(ctx, ["go.mod"])
    assert report.status == "ok" and not marker.exists()
