"""An injectable clock for tests (never patch time.time)."""

from __future__ import annotations

import datetime as dt


class FakeClock:
    """An injectable clock: ``now()`` for services, ``wall_ms()`` for the hybrid logical clock."""

    def __init__(self, start: dt.datetime):
        self.current = start

    def now(self) -> dt.datetime:
        return self.current

    def wall_ms(self) -> int:
        return int(self.current.timestamp() * 1000)

    def advance(self, **delta) -> None:
        self.current += dt.timedelta(**delta)
