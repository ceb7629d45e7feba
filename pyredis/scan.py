"""Cursors for SCAN, HSCAN, SSCAN and ZSCAN.

Python's dicts and sets have no stable cursor like Redis's reverse-binary bucket walk, so a
scan works on a snapshot of the names taken when it starts (cursor 0): every element present
for the whole scan is returned (at least, and here exactly) once, whatever is added or
deleted meanwhile; elements deleted before their turn are skipped. Snapshots are kept in a
bounded LRU: a cursor whose snapshot was dropped restarts from a fresh snapshot at the same
offset, as a Redis cursor keeps working after a rehash, with weaker guarantees.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Iterable

OFFSET_BITS = 32
MAX_SNAPSHOTS = 128
MAX_SNAPSHOT_ITEMS = 16_000_000   # all snapshots together


class ScanCursors:
    def __init__(self) -> None:
        self._snapshots: OrderedDict[int, list] = OrderedDict()
        self._items = 0
        self._next_id = 1

    def scan(self, cursor: int, count: int, source: Callable[[], Iterable],
             alive: Callable[[object], bool]) -> tuple[int, list]:
        """One step: (next cursor, up to `count` names still `alive`). `source` gives the
        names when a snapshot must be taken."""
        snap_id, offset = cursor >> OFFSET_BITS, cursor & ((1 << OFFSET_BITS) - 1)
        names = self._snapshots.get(snap_id) if cursor else None
        if names is None:
            names = list(source())
            if offset == 0 and len(names) <= count:
                return 0, [n for n in names if alive(n)]
            snap_id = self._store(names)
        else:
            self._snapshots.move_to_end(snap_id)
        batch = names[offset:offset + count]
        offset += count
        if offset >= len(names):
            self._drop(snap_id)
            next_cursor = 0
        else:
            next_cursor = (snap_id << OFFSET_BITS) | offset
        return next_cursor, [n for n in batch if alive(n)]

    def _store(self, names: list) -> int:
        snap_id = self._next_id
        self._next_id = self._next_id % (2**31) + 1
        self._snapshots[snap_id] = names
        self._items += len(names)
        while len(self._snapshots) > MAX_SNAPSHOTS or (
                self._items > MAX_SNAPSHOT_ITEMS and len(self._snapshots) > 1):
            old_id, old = self._snapshots.popitem(last=False)
            self._items -= len(old)
        return snap_id

    def _drop(self, snap_id: int) -> None:
        names = self._snapshots.pop(snap_id, None)
        if names is not None:
            self._items -= len(names)
