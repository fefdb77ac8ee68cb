"""Secret comparisons are constant-time: the webhook signature, the setup and sign-in `state`, the CSRF token
all go through `hmac.compare_digest` (recorded here by wrapping it), whatever the input looks like, and odd
input (non-ASCII, wrong length) is refused with a 4xx rather than a crash. No timing statistics needed: the
property is that the code path uses the constant-time primitive for every comparison of a secret."""

from __future__ import annotations

import ast
import hmac
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ghapp.app import create_app
from ghapp.runtime.webhooks import WEBHOOK_PATH
from ghapp.settings import Settings
from ghapp.web.auth import Auth
from ghapp.web.setup import SetupFlow
from tests.conftest import WEBHOOK_SECRET, TestClient, sign
from tests.paths import ROOT

BODY = b'{"zen": "Design for failure."}'


class Recorder:
    def __init__(self, real: Callable[[Any, Any], bool]) -> None:
        self.real = real
        self.calls: list[tuple[Any, Any]] = []

    def __call__(self, a: Any, b: Any) -> bool:
        self.calls.append((a, b))
        return self.real(a, b)


@pytest.fixture
def compare(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder(hmac.compare_digest)
    monkeypatch.setattr(hmac, "compare_digest", recorder)
    return recorder


@pytest.fixture
def client(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(), run_worker=False), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (sign(WEBHOOK_SECRET, BODY), 202),
        (sign(WEBHOOK_SECRET, BODY)[:-1] + "0", 401),  # same length, last digit differs
        (sign(WEBHOOK_SECRET, BODY)[:10], 401),  # shorter
        (sign(WEBHOOK_SECRET, BODY).upper().replace("SHA256=", "sha256="), 401),
        (sign(WEBHOOK_SECRET, BODY) + "\u00e9", 401),  # a non-ASCII octet on the wire
    ],
)
def test_the_webhook_signature_is_compared_with_compare_digest(
    client: TestClient, compare: Recorder, header: str, status: int
) -> None:
    response = client.post(
        WEBHOOK_PATH,
        content=BODY,
        headers={
            "X-GitHub-Event": "ping",
            "X-GitHub-Delivery": f"ct-{len(compare.calls)}-{abs(hash(header))}",
            "X-Hub-Signature-256": header.encode("latin-1"),
        },
    )
    assert response.status_code == status
    assert len(compare.calls) == 1
    expected, given = compare.calls[0]
    assert isinstance(expected, bytes) and isinstance(given, bytes)  # bytes: no ASCII-only TypeError path
    assert expected == sign(WEBHOOK_SECRET, BODY).encode()


def test_a_header_without_the_prefix_never_reaches_a_comparison(client: TestClient, compare: Recorder) -> None:
    """Refusing on the missing `sha256=` prefix looks at the header's shape only, never at the secret."""
    response = client.post(
        WEBHOOK_PATH,
        content=BODY,
        headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "ct-prefix", "X-Hub-Signature-256": "sha1=abc"},
    )
    assert response.status_code == 401 and compare.calls == []


def _secret_names(node: ast.AST) -> set[str]:
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
    return {n for n in names if any(w in n.lower() for w in ("secret", "signature", "csrf"))}


def test_no_secret_is_compared_with_eq_anywhere_in_the_app() -> None:
    """Static guard: no `==`/`!=`/`in` comparison in ghapp/ involves a value named like a secret."""
    offenders = []
    for path in sorted((ROOT / "ghapp").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(
                isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops
            ):
                sides = [node.left, *node.comparators]
                if any(_secret_names(side) for side in sides):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


def _setup_cookie(settings: Settings) -> str:
    signer = SetupFlow(settings)._states.signer
    return str(
        signer.dumps({"state": "expected-state-value", "web": "https://github.com", "api": "https://api.github.com"})
    )


@pytest.mark.parametrize("state", ["expected-state-valuX", "caf\u00e9", "\u2603" * 40, ""])
def test_the_setup_callback_state_is_compared_in_constant_time(
    make_settings: Callable[..., Settings], compare: Recorder, state: str
) -> None:
    settings = make_settings(app_id="", private_key="", webhook_secret="")  # not set up: /setup is open
    with TestClient(create_app(settings, run_worker=False), raise_server_exceptions=False) as client:
        client.cookies.set("ghapp_setup", _setup_cookie(settings), path="/setup")
        response = client.get("/setup/callback", params={"code": "abc", "state": state})
    assert response.status_code == 400, response.text[:300]
    assert "Setup link not valid" in response.text
    # the cookie's own signature (itsdangerous) and then the state: both through compare_digest, as bytes
    assert (b"expected-state-value", state.encode()) in compare.calls


@pytest.mark.parametrize("state", ["wrong", "caf\u00e9"])
def test_the_sign_in_callback_state_is_compared_in_constant_time(
    make_settings: Callable[..., Settings], compare: Recorder, state: str
) -> None:
    settings = make_settings(oauth_client_id="Iv1.abc", oauth_client_secret="oauth-secret-value")
    auth = Auth(settings)
    cookie = auth._states.signer.dumps({"state": "expected-state-value", "next": "/"})
    with TestClient(create_app(settings, run_worker=False), raise_server_exceptions=False) as client:
        client.cookies.set("ghapp_oauth", str(cookie), path="/auth")
        response = client.get("/auth/callback", params={"code": "abc", "state": state})
    assert response.status_code == 400, response.text[:300]
    assert (b"expected-state-value", state.encode()) in compare.calls
