"""Value types that need more than a builtin (lists, sorted sets, streams ...). Each class
registers its TYPE name with `register_type`, answers OBJECT ENCODING through an
`encoding(config)` method, following Redis's size thresholds, and COPY through a `copy()`
method returning an independent duplicate (nothing mutable shared with the original).

The lowest layer of values: this package imports nothing else of pyredis; the keyspace
(pyredis.db) and the commands build on it."""
from __future__ import annotations

from typing import Any, Optional

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


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


def string2ll(raw: "bytes | bytearray") -> Optional[int]:
    """Redis's string2ll: a strict base-10 64-bit integer (no spaces, no '+', no leading
    zeros, no "-0"), else None. Request lengths, integer arguments, config values and the
    "int" encoding of strings and intsets all read numbers this way."""
    # bytes.isdigit() is true for ASCII digits only.
    if raw.isdigit() and (len(raw) == 1 or raw[0] != 0x30) and len(raw) < 19:
        return int(raw)  # fast path: small positive canonical numbers
    if not 0 < len(raw) <= 20:
        return None
    digits = raw[1:] if raw[0] == 0x2D else raw
    if not digits.isdigit() or (len(digits) > 1 and digits[0] == 0x30) or raw == b"-0":
        return None
    value = int(raw)
    return value if INT64_MIN <= value <= INT64_MAX else None


def is_int64(raw: "bytes | bytearray") -> bool:
    """Whether raw is a canonical 64-bit integer (what an intset holds, and what a string
    stores as an "int")."""
    return string2ll(raw) is not None
