"""Trading the manifest code: GitHub's answers and failures become the credentials or one clear GitHubError."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from ghapp.github.errors import GitHubError
from ghapp.github.manifest import convert_manifest_code


def run(handler: httpx.MockTransport, code: str = "abc") -> dict[str, object]:
    return asyncio.run(convert_manifest_code("https://ghe.test/api/v3/", code, transport=handler))


def test_posts_to_the_conversion_route_without_credentials() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": 1, "slug": "s"})

    assert run(httpx.MockTransport(answer), code="a/b c") == {"id": 1, "slug": "s"}
    assert seen[0].method == "POST"
    assert str(seen[0].url) == "https://ghe.test/api/v3/app-manifests/a%2Fb%20c/conversions"
    assert "authorization" not in seen[0].headers
    assert seen[0].headers["accept"] == "application/vnd.github+json"


@pytest.mark.parametrize(
    ("response", "status", "text"),
    [
        (httpx.Response(404, json={"message": "Not Found"}), 404, "over an hour old"),
        (httpx.Response(422, json={"message": "Validation Failed"}), 422, "HTTP 422"),
        (httpx.Response(201, text="<html>"), 201, "not JSON"),
        (httpx.Response(201, json=[1]), 201, "not an object"),
    ],
)
def test_refusals_are_github_errors(response: httpx.Response, status: int, text: str) -> None:
    with pytest.raises(GitHubError, match=text) as info:
        run(httpx.MockTransport(lambda _: response))
    assert info.value.status == status


def test_unreachable_github_is_a_github_error() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(GitHubError, match=re.escape("cannot reach https://ghe.test/api/v3/: ConnectError")) as info:
        run(httpx.MockTransport(fail))
    assert info.value.status is None
