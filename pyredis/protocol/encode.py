"""Reply encoding: Python values turned into RESP2 or RESP3 bytes.

Following DESIGN.md: bytes (or bytearray) bulk, int integer, None null, list array, dict map,
set set, float double, and the wrappers below for the other types. `encode_reply` is what a
client queues for one reply: the common replies take its fast paths, big aggregates are
encoded lazily as the socket drains.
"""
from __future__ import annotations

import math
from typing import Any, Final, Optional, Union

from ..errors import RedisError
# The wrappers (values.py), imported from here by the commands along with the encoder.
from .values import (Attribute, BigNumber, Double, NullArray, OrderedSet, PairMap, Push, Raw,
                     SimpleString, Verbatim)

# A command that wrote its replies itself (or none: blocked, subscribed).
NO_REPLY: Final = Raw(b"")
OK: Final = Raw(b"+OK\r\n")
QUEUED: Final = Raw(b"+QUEUED\r\n")
PONG: Final = Raw(b"+PONG\r\n")
SMALL_INTS: Final = [b":%d\r\n" % i for i in range(10000)]
NULL_ARRAY: Final = NullArray()
# The encoder checks for Raw first, per reply: a C static of the compiled build (an imported
# class is otherwise looked up by name at each use).
_RAW: Final = Raw

# What a command may return, for the encoder to turn into RESP2 or RESP3. The wrappers above
# are subclasses of these (SimpleString, Raw and Verbatim of bytes, Push and OrderedSet of
# list, Double of float, BigNumber of int, Attribute of dict); elements of the aggregates are
# replies in turn.
Reply = Union[bytes, bytearray, str, int, float, None, list, tuple, dict, set, frozenset,
              RedisError, NullArray]


def format_double(value: float) -> bytes:
    """A double as Redis replies it (addReplyDouble's %.17g: 1.5, 3, -0, 1e+17, inf)."""
    if -1e17 < value < 1e17:
        whole = int(value)
        if whole == value and (whole or math.copysign(1.0, value) > 0):
            # An integral score, the most common: %.17g writes it as %d does (not -0,
            # below 17 digits), and an int formats in C where a float takes a generic call.
            return b"%d" % whole
    return b"%.17g" % value


def encode(value: Reply, proto: int = 2) -> bytes:
    """Encode one reply value for a client speaking `proto` (2 or 3)."""
    out: list[bytes] = []
    _encode(value, proto, out)
    return b"".join(out)


def _encode(value: Any, proto: int, out: list[bytes]) -> None:
    # Any: the value is dispatched on its exact type (faster than isinstance), which the
    # type checker cannot follow.
    t = type(value)
    if t is bytes:
        out.append(_bulk(value))
    elif t is _RAW:
        out.append(value)
    elif t is int:
        n: int = value   # typed, as in encode_reply
        out.append(SMALL_INTS[n] if 0 <= n < 10000 else b":%d\r\n" % n)
    elif value is None:
        out.append(b"_\r\n" if proto == 3 else b"$-1\r\n")
    elif t is list or t is tuple:
        if not value:
            out.append(b"*0\r\n")
            return
        out.append(b"*%d\r\n" % len(value))
        # One or two elements (ZPOPMIN's member and score ...) go faster one by one.
        bulks = _encode_bulks(value) if len(value) > 2 else None
        if bulks is not None:
            out.append(bulks)
        else:
            for item in value:
                _encode(item, proto, out)
    elif t is bytearray:  # a string changed in place (db.mutable_string)
        out.append(_bulk(value))
    elif t is SimpleString:
        out.append(b"+%s\r\n" % value)
    elif isinstance(value, RedisError):
        out.append(error_line(value.message))
    elif t is dict or t is Attribute:
        if t is Attribute and proto == 2:
            return
        prefix = (b"|" if t is Attribute else b"%") if proto == 3 else b"*"
        n = len(value) if proto == 3 else 2 * len(value)
        out.append(b"%s%d\r\n" % (prefix, n))
        for k, v in value.items():
            _encode(k, proto, out)
            _encode(v, proto, out)
    elif t is set or t is frozenset or t is OrderedSet:
        out.append(b"%s%d\r\n" % (b"~" if proto == 3 else b"*", len(value)))
        for item in value:
            _encode(item, proto, out)
    elif t is float or t is Double:
        text = format_double(value)
        if proto == 3:
            out.append(b",%s\r\n" % text)
        else:
            out.append(_bulk(text))
    elif t is Push:
        out.append(b"%s%d\r\n" % (b">" if proto == 3 else b"*", len(value)))
        for item in value:
            _encode(item, proto, out)
    elif t is PairMap:
        out.append(b"%s%d\r\n" % ((b"%", len(value)) if proto == 3 else (b"*", 2 * len(value))))
        for k, v in value:
            _encode(k, proto, out)
            _encode(v, proto, out)
    elif t is Verbatim:
        if proto == 3:
            out.append(b"=%d\r\ntxt:%s\r\n" % (len(value) + 4, value))
        else:
            out.append(_bulk(value))
    elif t is NullArray:
        out.append(b"_\r\n" if proto == 3 else b"*-1\r\n")
    elif t is bool:
        if proto == 3:
            out.append(b"#t\r\n" if value else b"#f\r\n")
        else:
            out.append(b":1\r\n" if value else b":0\r\n")
    elif t is BigNumber:
        out.append((b"(%d\r\n" if proto == 3 else b":%d\r\n") % value)
    elif t is str:
        out.append(_bulk(value.encode()))
    elif isinstance(value, bytes):  # other bytes subclasses
        out.append(_bulk(bytes(value)))
    else:
        raise TypeError(f"cannot encode reply of type {t.__name__}")


_BULK_HEADERS: Final = [b"$%d\r\n" % n for n in range(4096)]


def _bulk(data: "bytes | bytearray") -> bytes:
    """A bulk string. Two concatenations with a header from the table cost half of one
    formatting."""
    n = len(data)
    return _BULK_HEADERS[n] + data + b"\r\n" if n < 4096 else b"$%d\r\n%s\r\n" % (n, data)

# An element's end and the next one's header, for interleaving.
_BULK_SEPARATORS: Final = [b"\r\n$%d\r\n" % n for n in range(4096)]


def _encode_bulks(items: "list | tuple") -> Optional[bytes]:
    """The common array reply (LRANGE, SMEMBERS ...): plain bytes elements of under 4 KB,
    encoded in one join. None if any element is of another type or longer: the caller
    encodes element by element. Elements of one length (a list of equal-sized values) are
    joined with one separator, without a piece per element."""
    if not items:
        return b""
    first = items[0]
    if type(first) is not bytes:
        return None
    size = len(first)
    uniform = True
    for item in items:
        if type(item) is not bytes:
            return None
        if len(item) != size:
            uniform = False
    if uniform:
        if size >= len(_BULK_HEADERS):
            return None
        return b"".join((_BULK_HEADERS[size], _BULK_SEPARATORS[size].join(items), b"\r\n"))
    pieces: list[bytes] = []
    separators = _BULK_SEPARATORS
    for item in items:
        n = len(item)
        if n >= len(separators):   # an element of 4 KB or more
            return None
        pieces.append(separators[n])
        pieces.append(item)
    pieces[0] = _BULK_HEADERS[size]
    pieces.append(b"\r\n")
    return b"".join(pieces)


def encode_command(argv: "list[bytes] | tuple[bytes, ...]") -> bytes:
    """A command as a client sends it (and as the AOF and the replication stream hold it):
    an array of bulk strings."""
    body = _encode_bulks(argv)
    if body is None:   # an argument of 4 KB or more (or not plain bytes)
        body = b"".join([_bulk(a) for a in argv])
    return b"*%d\r\n" % len(argv) + body


LAZY_MIN_ITEMS: Final = 1024   # aggregates this long are encoded while the socket drains
BULKS_PER_SLICE: Final = 256   # elements a lazy reply tries to encode in one go


class LazyAggregate:
    """The elements of a big array, map or set reply, encoded a slice at a time as the client's
    socket takes them, so that a reply of millions of elements never stalls the loop (its
    `header` is queued at once). The elements are a snapshot taken when the reply was queued."""

    __slots__ = ("header", "items", "pos", "proto", "pairs")

    def __init__(self, value: "list | tuple | dict | set | frozenset", proto: int) -> None:
        n = len(value)
        self.items: list
        self.pairs = isinstance(value, dict)   # items are (key, value) pairs of a map
        if isinstance(value, dict):   # a plain dict: encode_reply sends no Attribute here
            self.header = b"%%%d\r\n" % n if proto == 3 else b"*%d\r\n" % (2 * n)
            self.items = list(value.items())
        else:
            kind = b"*" if type(value) is list or type(value) is tuple or proto == 2 else b"~"
            self.header = b"%s%d\r\n" % (kind, n)
            self.items = list(value)
        self.pos = 0
        self.proto = proto

    def encode_some(self, limit: int) -> bytes:
        """The next elements, encoded, about `limit` bytes of them (at least one element)."""
        out: list[bytes] = []
        size = 0
        items, proto, i, n = self.items, self.proto, self.pos, len(self.items)
        while i < n and size < limit:
            if self.pairs:
                key, value = items[i]
                _encode(key, proto, out)
                size += len(out[-1])
                _encode(value, proto, out)
                size += len(out[-1])
                i += 1
                continue
            end = min(n, i + BULKS_PER_SLICE)
            bulks = _encode_bulks(items[i:end])
            if bulks is not None:
                out.append(bulks)
                size += len(bulks)
                i = end
                continue
            while i < end and size < limit:   # other elements in the slice: one by one
                _encode(items[i], proto, out)
                size += len(out[-1])
                i += 1
        self.pos = i
        return b"".join(out)

    def done(self) -> bool:
        return self.pos >= len(self.items)


def encode_reply(value: Any, proto: int) -> Union[bytes, LazyAggregate]:
    """One reply as a client queues it: its bytes, or a LazyAggregate for an array, map or set
    of LAZY_MIN_ITEMS elements or more. The common replies (a pre-encoded constant, a bulk
    string, an integer) take the fast paths, without building a list. The value is a Reply,
    typed Any because it is dispatched on its exact type, as in _encode."""
    t = type(value)
    if t is _RAW:
        return value
    if t is bytes:
        return _bulk(value)
    if t is int:
        number: int = value   # typed: compared and formatted in C, not by generic calls
        return SMALL_INTS[number] if 0 <= number < 10000 else b":%d\r\n" % number
    if (t is list or t is dict or t is set or t is tuple or t is frozenset or t is OrderedSet) \
            and len(value) >= LAZY_MIN_ITEMS:
        return LazyAggregate(value, proto)
    out: list[bytes] = []
    _encode(value, proto, out)
    return b"".join(out)


def error_line(message: str) -> bytes:
    """An error reply line; newlines would break the protocol, so they become spaces. The
    client's own bytes quoted in it (decoded with surrogateescape) go back as they came."""
    text = message.replace("\r", " ").replace("\n", " ")
    try:
        return b"-%s\r\n" % text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:   # a lone surrogate of another origin
        return b"-%s\r\n" % text.encode("utf-8", "replace")

