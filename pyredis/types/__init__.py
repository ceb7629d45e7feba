"""Value types that need more than a builtin (lists, sorted sets, streams ...). Each class
registers its TYPE name with `register_type`, answers OBJECT ENCODING through an
`encoding(config)` method, following Redis's size thresholds, and COPY through a `copy()`
method returning an independent duplicate (nothing mutable shared with the original).

The lowest layer of values: this package imports nothing else of pyredis; the keyspace
(pyredis.db) and the commands build on it."""
from __future__ import annotations

from typing import Any


def type_name(value: Any) -> bytes:
    """The TYPE of a value, as Redis names it."""
    name = _TYPE_NAMES.get(type(value))
    return getattr(value, "type_name", b"none") if name is None else name


_TYPE_NAMES: dict[type, bytes] = {bytes: b"string", bytearray: b"string", dict: b"hash",
                                  set: b"set"}


def register_type(cls: type, name: bytes) -> None:
    """Let a value class answer TYPE (list, zset, stream ...)."""
    _TYPE_NAMES[cls] = name


class UnencodedString(bytes):
    """A string stored as it was computed, without the integer encoding Redis tries on
    what clients send (INCRBYFLOAT's result): OBJECT ENCODING answers embstr (or raw) for
    it even when it reads as an integer, as redis-server does until the key is rewritten
    or reloaded."""


register_type(UnencodedString, b"string")
