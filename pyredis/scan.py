"""Cursors for SCAN, HSCAN, SSCAN and ZSCAN.

Python's dicts and sets have no stable cursor like Redis's reverse-binary bucket walk, so a
scan works on a snapshot of the names taken when it starts (cursor 0): every element present
for the whole scan is returned (at least, and here exactly) once, whatever is added or
deleted meanwhile; elements deleted before their turn are skipped. Snapshots are kept in a
bounded LRU: a cursor whose snapshot was dropped restarts from a fresh snapshot at the same
offset, as a Redis cursor keeps working after a rehash, with weaker guarantees.

The option parsing (`parse_cursor`, `parse_scan_options`) is shared by the four commands so
they answer Redis's errors the same way.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Iterable, Optional

from .args import ArgReader
from .errors import INVALID_CURSOR, SYNTAX, RedisError, syntax_error

OFFSET_BITS = 32
MAX_SNAPSHOTS = 128
MAX_SNAPSHOT_ITEMS = 16_000_000   # all snapshots together
ULONG_MAX = 2**64 - 1


def parse_cursor(raw: bytes) -> int:
    """A cursor as Redis reads it (strtoul, base 10): an optional sign, digits, nothing else;
    "-1" wraps around like an unsigned long, "" is 0, spaces or overflow are errors."""
    body = raw[1:] if raw[:1] in (b"+", b"-") else raw
    if (raw[:1].isspace() or (body and not (body.isdigit() and body.isascii()))
            or (not body and raw)):
        raise RedisError(INVALID_CURSOR)
    value = int(body) if body else 0
    if value > ULONG_MAX:
        raise RedisError(INVALID_CURSOR)
    return (-value) & ULONG_MAX if raw[:1] == b"-" else value


def parse_scan_options(argv: list[bytes], pos: int, allow_type: bool
                       ) -> tuple[int, Optional[bytes], Optional[bytes]]:
    """COUNT, MATCH (and TYPE for SCAN) from argv[pos:]: (count, pattern or None when it
    matches everything, type name or None). Later options win, as in Redis."""
    count, pattern, type_name = 10, None, None
    reader = ArgReader(argv, pos)
    while reader.more():
        option = reader.keyword()
        if option == b"COUNT":
            count = reader.next_int(minimum=1, range_error=SYNTAX)
        elif option == b"MATCH":
            pattern = reader.next()
            if pattern == b"*":
                pattern = None
        elif option == b"TYPE" and allow_type:
            type_name = reader.next()
        else:
            raise syntax_error()
    return count, pattern, type_name


class ScanCursors:
    def __init__(self) -> None:
        self._snapshots: OrderedDict[int, tuple[object, list]] = OrderedDict()
        self._items = 0
        self._next_id = 1

    def scan(self, cursor: int, count: int, source: Callable[[], Iterable[bytes]],
             alive: Callable[[bytes], bool], owner: object = None) -> tuple[int, list[bytes]]:
        """One step: (next cursor, up to `count` names still `alive`). `source` gives the
        names when a snapshot must be taken; `owner` (the database, the value) ties a
        snapshot to what it was taken from, so a cursor used elsewhere starts afresh."""
        snap_id, offset = cursor >> OFFSET_BITS, cursor & ((1 << OFFSET_BITS) - 1)
        entry = self._snapshots.get(snap_id) if cursor else None
        if entry is None or entry[0] is not owner:
            names = list(source())
            if offset == 0 and len(names) <= count:
                return 0, [n for n in names if alive(n)]
            snap_id = self._store(owner, names)
        else:
            names = entry[1]
            self._snapshots.move_to_end(snap_id)
        batch = names[offset:offset + count]
        offset += count
        if offset >= len(names):
            self._drop(snap_id)
            next_cursor = 0
        else:
            next_cursor = (snap_id << OFFSET_BITS) | offset
        return next_cursor, [n for n in batch if alive(n)]

    def _store(self, owner: object, names: list) -> int:
        snap_id = self._next_id
        self._next_id = self._next_id % (2**31) + 1
        self._drop(snap_id)
        self._snapshots[snap_id] = (owner, names)
        self._items += len(names)
        while len(self._snapshots) > MAX_SNAPSHOTS or (
                self._items > MAX_SNAPSHOT_ITEMS and len(self._snapshots) > 1):
            _, (_, old) = self._snapshots.popitem(last=False)
            self._items -= len(old)
        return snap_id

    def _drop(self, snap_id: int) -> None:
        entry = self._snapshots.pop(snap_id, None)
        if entry is not None:
            self._items -= len(entry[1])
