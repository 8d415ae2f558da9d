"""The hybrid logical clock orders edits even when wall clocks disagree."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from accountdesk.sync.clock import HLC, HybridClock


class Wall:
    def __init__(self, ms: int):
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_clock_is_monotonic_when_the_wall_clock_goes_back():
    wall = Wall(1_000_000)
    clock = HybridClock("devA", wall=wall)
    first = clock.now()
    wall.ms -= 60_000  # the user fixes a wrong clock
    second = clock.now()
    assert second > first
    assert second.encode() > first.encode()


def test_observing_a_remote_clock_moves_past_it():
    clock = HybridClock("devA", wall=Wall(1_000))
    remote = HLC(5_000, 3, "devB")
    after = clock.observe(remote)
    assert after > remote
    assert clock.now() > after


def test_far_future_remote_clock_is_clamped():
    clock = HybridClock("devA", wall=Wall(1_000))
    clamped = clock.observe(HLC(10**12, 0, "devB"), max_ahead_ms=60_000)
    assert clamped.wall_ms <= 1_000 + 60_000


def test_ties_are_broken_by_device():
    a = HLC(5, 0, "a").encode()
    b = HLC(5, 0, "b").encode()
    assert a < b


@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**13),
            st.integers(0, 99_999),
            st.text("abcdef0123456789", min_size=1, max_size=16),
        ),
        min_size=2,
        max_size=20,
    )
)
def test_string_order_equals_clock_order(stamps):
    clocks = [HLC(w, c, n) for w, c, n in stamps]
    assert sorted(clocks) == sorted(clocks, key=lambda h: h.encode())
    for h in clocks:
        assert HLC.decode(h.encode()) == h
