"""Which head an override comment speaks for: the commit it names, or the head when it was written."""

from __future__ import annotations

import pytest

from ghapp.core.gates.override_head import Binding, HeadSeen, bind, head_when

OLD, NEW = "a" * 40, "b" * 40
HEADS = (HeadSeen(OLD, "2026-12-01T10:00:00Z"), HeadSeen(NEW, "2026-12-01T10:05:00Z"))


@pytest.mark.parametrize(
    ("heads", "moment", "expected"),
    [
        (HEADS, "2026-12-01T10:04:59Z", OLD),
        (HEADS, "2026-12-01T10:05:00Z", OLD),  # the same second: the push may have come after
        (HEADS, "2026-12-01T10:05:01Z", NEW),
        (HEADS[::-1], "2026-12-01T10:06:00Z", NEW),  # newest by time, whatever the order
        (HEADS, "2026-12-01T09:59:00Z", None),  # before any known head
        ((), "2026-12-01T10:00:00Z", None),
        (HEADS, "yesterday", None),  # an unreadable comment time
        ((HeadSeen(OLD, "soon"),), "2026-12-01T10:00:00Z", None),  # an unreadable head time is not known
        ((HeadSeen(OLD, "2026-12-01T10:00:00"),), "2026-12-01T10:00:01Z", OLD),  # a naive time is UTC
        ((HeadSeen(OLD, "2026-12-01T10:00:00Z"), HeadSeen(NEW, "2026-12-01T10:00:00Z")), "2026-12-01T10:01:00Z", NEW),
    ],
)
def test_head_when(heads: tuple[HeadSeen, ...], moment: str, expected: str | None) -> None:
    assert head_when(heads, moment) == expected


def test_a_zone_offset_is_read() -> None:
    assert head_when(HEADS, "2026-12-01T11:05:01+01:00") == NEW


@pytest.mark.parametrize(
    ("named", "moment", "expected"),
    [
        (None, "2026-12-01T10:06:00Z", Binding(NEW)),  # written on the current head
        ("bbbbbbb", "2026-12-01T10:01:00Z", Binding(NEW)),  # names it: the time does not matter
        ("BBBBBBBBBBBB", "", Binding(NEW)),
    ],
)
def test_an_override_binds_to_the_current_head_the_commenter_saw(
    named: str | None, moment: str, expected: Binding
) -> None:
    assert bind(NEW, named=named, commented_at=moment, heads=HEADS, usage="U") == expected


@pytest.mark.parametrize(
    ("named", "moment", "fragment"),
    [
        (None, "2026-12-01T10:01:00Z", f"written on `{OLD[:12]}`, but `{NEW[:12]}` was pushed since"),
        (None, "2026-12-01T09:00:00Z", "no record of the head this comment was written on; name the commit: U"),
        ("aaaaaaa", "2026-12-01T10:06:00Z", f"names `aaaaaaa`, but the head is `{NEW[:12]}`"),
    ],
)
def test_an_override_for_another_head_is_refused_with_why(named: str | None, moment: str, fragment: str) -> None:
    binding = bind(NEW, named=named, commented_at=moment, heads=HEADS, usage="U")
    assert binding.head_sha is None
    assert fragment in binding.why
