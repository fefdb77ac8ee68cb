"""Reading a webhook body from the ASGI channel: the HMAC and the optional SHA-256 as the bytes arrive, the
bounds, and a sender that goes away half way."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

import pytest

from ghapp.runtime.body import BodyLimits, BodyReader, BodyRefused


def channel(messages: Sequence[dict[str, Any]]) -> Any:
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    return receive


def chunks(*parts: bytes) -> list[dict[str, Any]]:
    return [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]


def test_a_body_in_chunks_is_read_whole_with_its_hmac() -> None:
    reader = BodyReader(BodyLimits())
    body = asyncio.run(reader.read(channel(chunks(b'{"a":', b" 1", b"}")), "s3cret", 1000))
    assert body.read() == b'{"a": 1}'
    body.close()
    assert body.size == 8
    assert body.hmac_hex == hmac.new(b"s3cret", b'{"a": 1}', hashlib.sha256).hexdigest()
    assert body.sha256_hex is None  # not asked for: one hash of the body, not two
    assert reader.readers == 0


def test_the_sha256_covers_the_prefix_and_the_body_when_asked_for() -> None:
    body = asyncio.run(BodyReader(BodyLimits()).read(channel(chunks(b"{}")), None, 1000, b"push\0"))
    body.close()
    assert body.hmac_hex is None
    assert body.sha256_hex == hashlib.sha256(b"push\0{}").hexdigest()


def test_a_sender_that_goes_away_half_way_is_refused_and_frees_its_place() -> None:
    reader = BodyReader(BodyLimits())
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"a":', "more_body": True},
        {"type": "http.disconnect"},
    ]
    with pytest.raises(BodyRefused) as refused:
        asyncio.run(reader.read(channel(messages), "s3cret", 1000))
    assert refused.value.status == 400
    assert (reader.readers, reader.spooled) == (0, 0)


def test_a_body_over_the_limit_is_refused_while_it_arrives() -> None:
    reader = BodyReader(BodyLimits(memory_bytes=4))
    with pytest.raises(BodyRefused) as refused:
        asyncio.run(reader.read(channel(chunks(b"12345", b"67890", b"never read")), None, 8))
    assert refused.value.status == 413
    assert (reader.readers, reader.spooled) == (0, 0)
