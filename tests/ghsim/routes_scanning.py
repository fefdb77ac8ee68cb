"""Simulated code scanning uploads (`POST /repos/{o}/{r}/code-scanning/sarifs`, `GET .../sarifs/{id}`), after
GitHub's REST reference and its SARIF upload troubleshooting pages.

The installation needs `security_events: write` (else 403 "Resource not accessible by integration"); a
repository without code scanning answers 404, a private one without Advanced Security 403. `commit_sha` must be
a commit of the repository and `ref` a full reference (`refs/heads/...`, `refs/tags/...`,
`refs/pull/<n>/head|merge`), else 422. `sarif` is base64 of gzip: over 10 MB gzipped is a 413; bytes that do not
decode, decompress and parse as JSON valid against the SARIF 2.1.0 schema (each run's first 1,000 results
and rules checked, the rest counted) are a 400. The upload is accepted
with 202 `{id, url}` and processed at once: more than 20 runs, or a run with more than 25,000 results, makes its
`processing_status` `failed` with GitHub's error text, as GitHub rejects such files after accepting them."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
import zlib
from functools import cache
from typing import Any

import jsonschema

from tests.ghsim.context import Ctx, Reply, SimError, invalid
from tests.ghsim.state import SarifUpload
from tests.paths import FIXTURES

MAX_GZIP_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # the simulator's own guard against a gzip bomb
MAX_RUNS = 20
MAX_RESULTS = 25_000
SCHEMA_SAMPLE = 1_000  # results a run has checked against the schema
_REF = re.compile(r"refs/(heads|tags)/\S+|refs/pull/\d+/(head|merge)")
_NO_ACCESS = "Resource not accessible by integration"


@cache
def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def _granted(ctx: Ctx, level: str) -> None:
    granted = ctx.installation.permissions.get("security_events") if ctx.installation is not None else None
    if granted != "write" and not (level == "read" and granted == "read"):
        raise SimError(403, _NO_ACCESS)


def _decode(field: Any) -> dict[str, Any]:
    if not isinstance(field, str):
        raise SimError(400, "Invalid request: sarif is not a string")
    try:
        packed = base64.b64decode(field, validate=True)
    except (binascii.Error, ValueError):
        raise SimError(400, "Invalid request: sarif is not base64") from None
    if len(packed) > MAX_GZIP_BYTES:
        raise SimError(413, "Payload Too Large: the SARIF file is over 10 MB")
    try:
        unzipper = zlib.decompressobj(wbits=31)  # gzip only
        raw = unzipper.decompress(packed, MAX_UNZIPPED_BYTES)
        if unzipper.unconsumed_tail or not unzipper.eof:
            raise SimError(413, "Payload Too Large: the SARIF file is too large once decompressed")
        log = json.loads(raw)
    except (zlib.error, ValueError):
        raise SimError(400, "Invalid request: sarif is not gzipped SARIF JSON") from None
    errors = sorted(_validator().iter_errors(_sample(log)), key=str) if isinstance(log, dict) else ["not an object"]
    if errors or log.get("version") != "2.1.0":
        raise SimError(400, f"Invalid SARIF: {errors[0] if errors else 'version is not 2.1.0'}")
    return log


def _sample(log: dict[str, Any]) -> dict[str, Any]:
    """The log with each run's results and rules cut to the first `SCHEMA_SAMPLE` for the schema check (the
    rest are counted, not validated), so a 25,000-result upload is answered in a moment, as GitHub's 202 is."""
    runs = log.get("runs")
    if not isinstance(runs, list):
        return log
    return {**log, "runs": [_sample_run(run) for run in runs]}


def _sample_run(run: Any) -> Any:
    if not isinstance(run, dict):
        return run
    cut = dict(run)
    if isinstance(run.get("results"), list):
        cut["results"] = run["results"][:SCHEMA_SAMPLE]
    driver = (run.get("tool") or {}).get("driver") if isinstance(run.get("tool"), dict) else None
    if isinstance(driver, dict) and isinstance(driver.get("rules"), list):
        # the schema's `uniqueItems` compares every rule with every other: cut, or 25,000 rules take minutes
        cut["tool"] = {**run["tool"], "driver": {**driver, "rules": driver["rules"][:SCHEMA_SAMPLE]}}
    return cut


def upload_sarif(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    _granted(ctx, "write")
    if repo.code_scanning == "off":
        raise SimError(404, "Not Found")
    if repo.code_scanning == "no_advanced_security":
        raise SimError(403, "Advanced Security must be enabled for this repository to use code scanning.")
    body = ctx.json_body()
    sha, ref = body.get("commit_sha"), body.get("ref")
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{40}", sha) or sha not in repo.commits:
        raise invalid("commit_sha", f"{sha!r} is not a commit of this repository", "CodeScanningSarif")
    if not isinstance(ref, str) or not _REF.fullmatch(ref):
        raise invalid("ref", f"{ref!r} is not a full Git reference", "CodeScanningSarif")
    log = _decode(body.get("sarif"))
    upload = SarifUpload(
        str(uuid.uuid4()),
        repo.full_name,
        sha,
        ref,
        log,
        len(base64.b64decode(body["sarif"])),
        {k: v for k, v in body.items() if k != "sarif"},
    )
    runs = log.get("runs") or []
    if len(runs) > MAX_RUNS:
        upload.errors.append(f"rejecting SARIF, as there are more runs than allowed ({len(runs)} > {MAX_RUNS})")
    for run in runs:
        results = len(run.get("results") or [])
        if results > MAX_RESULTS:
            upload.errors.append(f"rejecting SARIF, as there are more results per run than allowed ({results} > 25000)")
    if upload.errors:
        upload.processing_status = "failed"
    with ctx.state.lock:
        ctx.state.sarif_uploads.append(upload)
    url = f"{ctx.base}repos/{repo.full_name}/code-scanning/sarifs/{upload.id}"
    return Reply(202, json={"id": upload.id, "url": url})


def get_sarif(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    _granted(ctx, "read")
    found = next(
        (u for u in ctx.state.sarif_uploads if u.id == ctx.params["sarif_id"] and u.repo == repo.full_name), None
    )
    if found is None:
        raise SimError(404, "Not Found")
    analyses = f"{ctx.base}repos/{repo.full_name}/code-scanning/analyses?sarif_id={found.id}"
    return Reply(
        json={
            "processing_status": found.processing_status,
            "analyses_url": analyses if found.processing_status == "complete" else None,
            "errors": found.errors or None,
        }
    )
