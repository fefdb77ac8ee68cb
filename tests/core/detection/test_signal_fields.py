"""Field readers report the key path of a bad value, so the policy parser can point at the line."""

from __future__ import annotations

from typing import Any

import pytest

from ghapp.core.detection import signal_fields as f


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((), "bad"),
        (("identities",), "identities: bad"),
        (("identities", 3, "logins", 0), "identities[3].logins[0]: bad"),
    ],
)
def test_error_names_the_path(path: tuple[str | int, ...], expected: str) -> None:
    error = f.SignalTableError(path, "bad")
    assert (str(error), error.path, error.message) == (expected, path, "bad")


@pytest.mark.parametrize(
    ("reader", "value", "expected"),
    [
        (f.each(f.github_id), [1, 2], (1, 2)),
        (f.each_unique(f.lowered), [" A ", "a"], frozenset({"a"})),
        (f.flag, False, False),
        (f.email, "NoReply@Anthropic.com", "noreply@anthropic.com"),
        (f.choice(("a", "b")), "b", "b"),
        (f.matching(r"[a-z]+", "letters"), "abc", "abc"),
    ],
)
def test_readers_accept(reader: f.Reader, value: Any, expected: Any) -> None:
    assert reader(value, ("k",)) == expected


@pytest.mark.parametrize(
    ("reader", "value"),
    [
        (f.choice(("a", "b")), ["a"]),  # unhashable values are refused, not crashed on
        (f.matching(r"[a-z]+", "letters"), 5),
        (f.text, None),
        (f.regex, "a{2,1}"),
    ],
)
def test_readers_refuse(reader: f.Reader, value: Any) -> None:
    with pytest.raises(f.SignalTableError) as caught:
        reader(value, ("k", 0))
    assert caught.value.path == ("k", 0)


def test_mapping_requires_and_restricts_keys() -> None:
    assert f.mapping({"a": 1}, (), ("a", "b"), ("a",)) == {"a": 1}
    with pytest.raises(f.SignalTableError, match="missing required key 'b'"):
        f.mapping({"a": 1}, ("x",), ("a", "b"), ("b",))
    with pytest.raises(f.SignalTableError, match=r"^x\.1: unknown key"):
        f.mapping({1: 1}, ("x",), ("a",))
