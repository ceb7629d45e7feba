"""Lazy freeing (Redis's lazyfree.c): UNLINK, and DEL or expiry under lazyfree-lazy-user-del /
lazyfree-lazy-expire, hand a big value over instead of destroying it at once. The cron then
takes it apart a slice at a time, so deleting a key with ten million elements never stalls
the loop the way freeing it in one go would.

"Big" is Redis's rule: more than 64 allocations to free. Compact encodings (listpack,
intset) and strings are one allocation; other collections one per element.
"""
from __future__ import annotations

import sys
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from .db import is_string

if TYPE_CHECKING:
    from .config import Config
    from .server import Stats

LAZYFREE_THRESHOLD = 64
SLICE = 1024                   # elements removed between two looks at the clock
CRON_TIME_PERCENT = 10         # of each cron period, at most


def free_effort(value: Any, config: Any) -> int:
    """About how many allocations freeing `value` takes (Redis's lazyfreeGetFreeEffort)."""
    if is_string(value):
        return 1
    effort = getattr(value, "free_effort", None)
    if effort is not None:
        return effort()
    encoding = getattr(value, "encoding", None)
    if encoding is not None and encoding(config) in (b"listpack", b"intset"):
        return 1
    return len(value)


def _shrink(value: Any, count: int) -> bool:
    """Remove up to `count` elements; False once the value is empty or cannot be taken
    apart (then dropping it frees it whole)."""
    if isinstance(value, dict):
        take = value.popitem
    elif isinstance(value, (set, list, deque)):
        take = value.pop
    else:
        return False
    for _ in range(min(count, len(value))):
        take()
    return bool(value)


class LazyFree:
    def __init__(self, config: "Config", stats: "Stats") -> None:
        self.config = config
        self.stats = stats
        self.queue: deque = deque()

    @property
    def pending(self) -> int:
        """INFO memory's lazyfree_pending_objects."""
        return len(self.queue)

    def release(self, value: Any) -> None:
        """Take a value just removed from the keyspace: a big one waits for the cron."""
        if free_effort(value, self.config) > LAZYFREE_THRESHOLD:
            self.queue.append(value)

    def run(self, hz: int) -> None:
        """Free what is waiting, for at most a tenth of the period of a cron run `hz` times
        a second."""
        queue = self.queue
        if not queue:
            return
        deadline = time.perf_counter() + CRON_TIME_PERCENT / 100 / max(1, hz)
        while queue and time.perf_counter() < deadline:
            value = queue[0]
            # Held elsewhere too (a reply being written ...): not ours to take apart, and
            # dropping our reference leaves it to its last holder.
            shared = sys.getrefcount(value) > 3
            if shared or not _shrink(value, SLICE):
                queue.popleft()
                self.stats.lazyfreed_objects += 1
            del value
