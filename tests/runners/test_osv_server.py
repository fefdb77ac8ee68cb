"""The local OSV-compatible server the dependency-audit tests run against: real HTTP, real advisory data."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.osv_server import OsvIndex, affects, load_advisories


def _post(url: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_loads_every_fixture_with_timestamps_as_strings() -> None:
    advisories = load_advisories()
    assert len(advisories) == 79 + 8  # PyPA's, then the other ecosystems' records
    assert all(isinstance(a["modified"], str) for a in advisories)


@pytest.mark.parametrize(
    ("name", "version", "expected", "not_expected"),
    [
        ("requests", "2.19.0", {"PYSEC-2018-28", "PYSEC-2023-74"}, {"PYSEC-2014-13"}),
        ("requests", "2.31.0", set(), {"PYSEC-2023-74"}),
        ("PyYAML", "5.3", {"PYSEC-2020-96", "PYSEC-2021-142"}, {"PYSEC-2018-49"}),
        ("pyyaml", "5.2b1", {"PYSEC-2020-96"}, {"PYSEC-2020-176"}),  # the fix version itself is not affected
        ("urllib3", "2.0.5", {"PYSEC-2023-192"}, set()),  # second introduced/fixed pair
        ("django", "2.1.5", {"PYSEC-2019-79"}, set()),  # unsorted ranges
        ("aiohttp", "3.9.5", {"PYSEC-2022-43059"}, set()),  # withdrawn, still served (clients filter)
        ("not-a-package", "1.0", set(), set()),
    ],
)
def test_query(osv: tuple[str, OsvIndex], name: str, version: str, expected: set[str], not_expected: set[str]) -> None:
    url, _ = osv
    status, body = _post(f"{url}/v1/query", {"package": {"name": name, "ecosystem": "PyPI"}, "version": version})
    assert status == 200
    ids = {v["id"] for v in body.get("vulns", [])}
    assert expected <= ids and not (not_expected & ids)
    if not ids:
        assert body == {}  # OSV answers an empty object when nothing matches


def test_querybatch_and_errors(osv: tuple[str, OsvIndex]) -> None:
    url, _ = osv
    queries = [
        {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.19.0"},
        {"package": {"name": "requests", "ecosystem": "npm"}, "version": "2.19.0"},
    ]
    status, body = _post(f"{url}/v1/querybatch", {"queries": queries})
    assert status == 200 and len(body["results"]) == 2
    assert {"id": "PYSEC-2018-28", "modified": "2021-06-16T00:03:24.800813Z"} in body["results"][0]["vulns"]
    assert body["results"][1] == {"vulns": []}
    assert _post(f"{url}/v1/nothing", {})[0] == 404
    request = urllib.request.Request(f"{url}/v1/query", data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    error.value.close()
    assert error.value.code == 400


def test_last_affected_and_versions_lists() -> None:
    advisory = {
        "affected": [
            {
                "package": {"name": "x", "ecosystem": "PyPI"},
                "versions": ["0.9"],
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"last_affected": "1.2"}]},
                    {"type": "GIT", "events": [{"introduced": "abc"}]},
                ],
            }
        ]
    }
    assert [affects(advisory, "x", v) for v in ("0.9", "1.0", "1.2", "1.3", "junk")] == [True, True, True, False, False]


@pytest.mark.parametrize(
    ("ecosystem", "name", "version", "expected"),
    [
        ("Go", "golang.org/x/crypto", "0.14.0", {"GO-2023-2402"}),
        ("Go", "golang.org/x/crypto", "0.17.0", set()),  # the fix
        ("Go", "github.com/gin-gonic/gin", "1.9.0", {"GO-2023-1737"}),
        ("Go", "github.com/gin-gonic/gin", "1.3.0", set()),  # before a pseudo-version introduced it
        ("npm", "minimist", "1.2.5", {"GHSA-xvch-5gv4-984h"}),
        ("npm", "minimist", "0.2.3", {"GHSA-xvch-5gv4-984h"}),
        ("npm", "minimist", "1.2.6", set()),
        ("npm", "Minimist", "1.2.5", set()),  # npm names are exact
        ("PyPI", "minimist", "1.2.5", set()),
        ("crates.io", "smallvec", "1.6.0", {"RUSTSEC-2021-0003"}),
        ("crates.io", "smallvec", "1.6.1", set()),
        ("RubyGems", "google-protobuf", "3.19.1", {"GHSA-wrvw-hg22-4m67"}),
        ("Packagist", "google/protobuf", "3.14.0", {"GHSA-77rm-9x9h-xj3g"}),
        ("Maven", "org.apache.httpcomponents:httpclient", "4.3", {"GHSA-pqwh-44jj-p5rm"}),
        ("Maven", "io.netty:netty-handler", "3.9.0.Final", {"GHSA-9959-6p3m-wxpc"}),
        ("Maven", "io.netty:netty-handler", "3.9.2.Final", set()),
    ],
)
def test_other_ecosystems(
    osv: tuple[str, OsvIndex], ecosystem: str, name: str, version: str, expected: set[str]
) -> None:
    url, _ = osv
    status, body = _post(
        f"{url}/v1/querybatch", {"queries": [{"package": {"name": name, "ecosystem": ecosystem}, "version": version}]}
    )
    assert status == 200 and {v["id"] for v in body["results"][0]["vulns"]} == expected


def test_one_advisory_by_id(osv: tuple[str, OsvIndex]) -> None:
    url, _ = osv
    with urllib.request.urlopen(f"{url}/v1/vulns/GO-2023-2402", timeout=10) as reply:
        assert json.loads(reply.read())["aliases"] == ["CVE-2023-48795", "GHSA-45x7-px36-x8w8"]
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{url}/v1/vulns/GO-0000-0000", timeout=10)
    missing.value.close()
    assert missing.value.code == 404
