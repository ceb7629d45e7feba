"""The one clock: expiry, idle times, timeouts and stats all read it, so tests can move it."""
from __future__ import annotations

import time


class Clock:
    """Wall-clock time plus an offset that `advance` moves forward (for tests and DEBUG)."""

    __slots__ = ("offset",)

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        """Seconds since the epoch, as a float."""
        return time.time() + self.offset

    def ms(self) -> int:
        """Milliseconds since the epoch."""
        return int((time.time() + self.offset) * 1000)

    def us(self) -> int:
        """Microseconds since the epoch."""
        return int((time.time() + self.offset) * 1_000_000)

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, moved by `advance` too (timeouts)."""
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
