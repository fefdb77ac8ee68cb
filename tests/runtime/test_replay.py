"""The replay window: a body seen under another delivery id within the window is refused; the same id, an
expired window, a forgotten body (its recording failed) and a zero window let it through."""

from __future__ import annotations

from ghapp.runtime.replay import ReplayWindow, body_digest


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_body_is_held_by_its_first_delivery_id_for_the_window() -> None:
    clock = Clock()
    window = ReplayWindow(60, clock=clock)
    digest = body_digest("push", b"{}")
    assert digest != body_digest("pull_request", b"{}")
    assert window.admit(digest, "a")
    assert window.admit(digest, "a")  # GitHub's redelivery keeps its id
    assert not window.admit(digest, "b")
    clock.now = 61
    assert window.admit(digest, "b")
    assert not window.admit(digest, "a")


def test_a_body_whose_recording_failed_is_forgotten_by_its_own_id_only() -> None:
    window = ReplayWindow(60, clock=Clock())
    window.admit("d", "a")
    window.forget("d", "b")
    assert not window.admit("d", "b")
    window.forget("d", "a")
    assert window.admit("d", "b")


def test_the_window_is_bounded_and_can_be_switched_off() -> None:
    window = ReplayWindow(60, clock=Clock(), max_entries=3)
    for i in range(5):
        assert window.admit(f"d{i}", f"id{i}")
    assert window.admit("d0", "other")  # the oldest fell out of the bounded window
    off = ReplayWindow(0)
    assert off.admit("d", "a") and off.admit("d", "b")
