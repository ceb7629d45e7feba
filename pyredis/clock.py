"""The one clock: expiry, idle times, timeouts and stats all read it, so tests can move it."""
from __future__ import annotations

import time
from typing import Any, Optional


class Clock:
    """Wall-clock time plus an offset that `advance` moves forward (for tests and DEBUG).

    Besides the live time it keeps a reading cached once per event loop cycle (`refresh`:
    access times and idle clients need no fresher time, and a read per command would cost),
    and the time frozen while a script runs, which keys expire by."""

    __slots__ = ("offset", "cached_time", "cached_ms", "frozen_ms")
    # An int, typed Any so that the compiled keyspace stores this one object as every key's
    # access time of the cycle: read as an int there, it would be boxed anew for each key
    # (32 B each, and the freed ones scattered through the allocator's pools).
    cached_ms: Any

    def __init__(self) -> None:
        self.offset = 0.0
        self.frozen_ms: Optional[int] = None
        self.refresh()

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

    def refresh(self) -> float:
        """Read the time for this loop cycle into `cached_time` (seconds) and `cached_ms`."""
        now = self.time()
        self.cached_time = now
        self.cached_ms = int(now * 1000)
        return now

    def expiry_ms(self) -> int:
        """The time keys expire by, in ms: now, or while a script runs the time it started
        at (Redis: a script sees keys that were there when it started stay there)."""
        frozen = self.frozen_ms
        return frozen if frozen is not None else self.ms()
