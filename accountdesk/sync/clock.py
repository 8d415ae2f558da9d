"""Hybrid logical clock (Kulkarni et al. 2014).

A timestamp is ``(wall_ms, counter, node)``; it is encoded as a fixed-width string
``"0001732300000000-00000-<node>"`` so that string order equals clock order, which lets SQL
compare and sort them. Ties between devices are broken by the node (device id).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WALL_DIGITS = 16
COUNTER_DIGITS = 5
MAX_COUNTER = 10**COUNTER_DIGITS - 1


@dataclass(frozen=True, order=True)
class HLC:
    wall_ms: int
    counter: int
    node: str

    def encode(self) -> str:
        return f"{self.wall_ms:0{WALL_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}-{self.node}"

    __str__ = encode

    @classmethod
    def decode(cls, text: str) -> HLC:
        try:
            wall, counter, node = text.split("-", 2)
            return cls(int(wall), int(counter), node)
        except (ValueError, AttributeError) as exc:
            raise ValueError(f"not a hybrid logical clock value: {text!r}") from exc

    @classmethod
    def zero(cls) -> HLC:
        return cls(0, 0, "")


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class HybridClock:
    """A device's clock. ``now()`` for a local event, ``observe()`` when a remote clock is seen.

    ``wall`` is injectable so tests never patch ``time.time``.
    """

    def __init__(self, node: str, *, wall: Callable[[], int] = wall_clock_ms, last: HLC | str | None = None):
        if not node or "-" in node:
            raise ValueError("node id must be non-empty and contain no '-'")
        self.node = node
        self._wall = wall
        self._lock = threading.Lock()
        if isinstance(last, str):
            last = HLC.decode(last)
        self._last = last or HLC(0, 0, node)

    @property
    def last(self) -> HLC:
        return self._last

    def now(self) -> HLC:
        with self._lock:
            wall = self._wall()
            last = self._last
            if wall > last.wall_ms:
                new = HLC(wall, 0, self.node)
            else:
                new = HLC(last.wall_ms, last.counter + 1, self.node)
                if new.counter > MAX_COUNTER:  # extremely unlikely: borrow a millisecond
                    new = HLC(last.wall_ms + 1, 0, self.node)
            self._last = new
            return new

    def observe(self, remote: HLC | str, *, max_ahead_ms: int | None = None) -> HLC:
        """Advance past a remote timestamp. ``max_ahead_ms`` clamps a remote clock that runs far
        ahead of our wall clock (a laptop with a wrong date) so it cannot drag us into the future."""
        if isinstance(remote, str):
            remote = HLC.decode(remote)
        with self._lock:
            wall = self._wall()
            if max_ahead_ms is not None and remote.wall_ms > wall + max_ahead_ms:
                remote = HLC(wall + max_ahead_ms, remote.counter, remote.node)
            last = self._last
            top = max(wall, last.wall_ms, remote.wall_ms)
            if top == last.wall_ms == remote.wall_ms:
                counter = max(last.counter, remote.counter) + 1
            elif top == last.wall_ms:
                counter = last.counter + 1
            elif top == remote.wall_ms:
                counter = remote.counter + 1
            else:
                counter = 0
            new = HLC(top, counter, self.node)
            self._last = new
            return new
