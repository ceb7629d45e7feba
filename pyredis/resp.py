"""RESP: parsing requests (multibulk and inline) and encoding replies (RESP2 / RESP3).

The request parser keeps Redis's limits and its exact protocol error texts. Replies are Python
values turned into bytes by `encode`, following DESIGN.md: bytes (or bytearray) bulk, int
integer, None null, list array, dict map, set set, float double, and the wrappers below for
the other types.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Optional, Union

from .errors import ProtocolError, RedisError

INLINE_MAX_SIZE = 64 * 1024          # Redis's PROTO_INLINE_MAX_SIZE
BIG_ARG = 32 * 1024                  # Redis's PROTO_MBULK_BIG_ARG: read the rest at once
MAX_MULTIBULK_LEN = 2**31 - 1        # INT_MAX
# What a client that must authenticate first may send (Redis's authRequired limits), so
# that an unknown peer cannot make the server buffer much.
UNAUTHENTICATED_MAX_ARGS = 10
UNAUTHENTICATED_MAX_BULK = 16384


# ---------------------------------------------------------------------------
# Reply wrappers
# ---------------------------------------------------------------------------

class SimpleString(bytes):
    """A status reply: +OK."""


class Raw(bytes):
    """Bytes already encoded in RESP, written as they are (pre-encoded hot-path replies)."""


class Verbatim(bytes):
    """RESP3 verbatim string (txt), a bulk string in RESP2."""


class Push(list):
    """RESP3 push frame (>), an array in RESP2."""


class OrderedSet(list):
    """A RESP3 set (~) whose members keep the order given, an array in RESP2."""


class Double(float):
    """A double that RESP2 sends as a bulk string (ZSCORE ...) and RESP3 as ','."""


class BigNumber(int):
    """RESP3 big number, an integer in RESP2 (unused by 7.0 commands but kept for DEBUG PROTOCOL)."""


class Attribute(dict):
    """RESP3 attribute map, dropped in RESP2."""


class OrderedSet(list):
    """A RESP3 set (~) whose elements keep their order (an array in RESP2): for replies
    Redis builds as sets in a fixed order, like COMMAND INFO's flags."""


NO_REPLY = Raw(b"")   # a command that wrote its replies itself (or none: blocked, subscribed)
OK = Raw(b"+OK\r\n")
QUEUED = Raw(b"+QUEUED\r\n")
PONG = Raw(b"+PONG\r\n")
NULL_BULK = Raw(b"$-1\r\n")
EMPTY_ARRAY = Raw(b"*0\r\n")
SMALL_INTS = [b":%d\r\n" % i for i in range(10000)]


class NullArray:
    """The RESP2 null array (*-1), a null in RESP3 (BLPOP timeouts, EXEC aborted by WATCH)."""


NULL_ARRAY = NullArray()


def format_double(value: float) -> bytes:
    """A double as Redis replies it (addReplyDouble's %.17g: 1.5, 3, -0, 1e+17, inf)."""
    return b"%.17g" % value


def encode(value: object, proto: int = 2) -> bytes:
    """Encode one reply value for a client speaking `proto` (2 or 3)."""
    out: list[bytes] = []
    _encode(value, proto, out)
    return b"".join(out)


def _encode(value: object, proto: int, out: list[bytes]) -> None:
    t = type(value)
    if t is bytes:
        out.append(b"$%d\r\n%s\r\n" % (len(value), value))  # type: ignore[arg-type]
    elif t is Raw:
        out.append(value)  # type: ignore[arg-type]
    elif t is int:
        if 0 <= value < 10000:  # type: ignore[operator]
            out.append(SMALL_INTS[value])  # type: ignore[index]
        else:
            out.append(b":%d\r\n" % value)  # type: ignore[str-format]
    elif value is None:
        out.append(b"_\r\n" if proto == 3 else b"$-1\r\n")
    elif t is list or t is tuple:
        if not value:
            out.append(b"*0\r\n")
            return
        out.append(b"*%d\r\n" % len(value))  # type: ignore[arg-type]
        # One or two elements (ZPOPMIN's member and score ...) go faster one by one.
        bulks = _encode_bulks(value) if len(value) > 2 else None  # type: ignore[arg-type]
        if bulks is not None:
            out.append(bulks)
        else:
            for item in value:  # type: ignore[attr-defined]
                _encode(item, proto, out)
    elif t is bytearray:  # a string changed in place (db.mutable_string)
        out.append(b"$%d\r\n%s\r\n" % (len(value), value))  # type: ignore[arg-type]
    elif t is SimpleString:
        out.append(b"+%s\r\n" % value)  # type: ignore[str-format]
    elif isinstance(value, RedisError):
        out.append(error_line(value.message))
    elif t is dict or t is Attribute:
        if t is Attribute and proto == 2:
            return
        prefix = (b"|" if t is Attribute else b"%") if proto == 3 else b"*"
        n = len(value) if proto == 3 else 2 * len(value)  # type: ignore[arg-type]
        out.append(b"%s%d\r\n" % (prefix, n))
        for k, v in value.items():  # type: ignore[attr-defined]
            _encode(k, proto, out)
            _encode(v, proto, out)
    elif t is set or t is frozenset or t is OrderedSet:
        out.append(b"%s%d\r\n" % (b"~" if proto == 3 else b"*", len(value)))  # type: ignore[arg-type]
        for item in value:  # type: ignore[attr-defined]
            _encode(item, proto, out)
    elif t is float or t is Double:
        text = format_double(value)  # type: ignore[arg-type]
        if proto == 3:
            out.append(b",%s\r\n" % text)
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(text), text))
    elif t is Push:
        out.append(b"%s%d\r\n" % (b">" if proto == 3 else b"*", len(value)))  # type: ignore[arg-type]
        for item in value:  # type: ignore[attr-defined]
            _encode(item, proto, out)
    elif t is Verbatim:
        if proto == 3:
            out.append(b"=%d\r\ntxt:%s\r\n" % (len(value) + 4, value))  # type: ignore[arg-type]
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(value), value))  # type: ignore[arg-type]
    elif t is NullArray:
        out.append(b"_\r\n" if proto == 3 else b"*-1\r\n")
    elif t is bool:
        if proto == 3:
            out.append(b"#t\r\n" if value else b"#f\r\n")
        else:
            out.append(b":1\r\n" if value else b":0\r\n")
    elif t is BigNumber:
        out.append((b"(%d\r\n" if proto == 3 else b":%d\r\n") % value)  # type: ignore[str-format]
    elif t is str:
        data = value.encode()  # type: ignore[attr-defined]
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    elif isinstance(value, bytes):  # other bytes subclasses
        out.append(b"$%d\r\n%s\r\n" % (len(value), bytes(value)))
    else:
        raise TypeError(f"cannot encode reply of type {t.__name__}")


_BULK_HEADERS = [b"$%d\r\n" % n for n in range(4096)]
# An element's end and the next one's header, for interleaving.
_BULK_SEPARATORS = [b"\r\n$%d\r\n" % n for n in range(4096)]
_PLAIN = {bytes}


def _encode_bulks(items: "list | tuple") -> Optional[bytes]:
    """The common array reply (LRANGE, SMEMBERS ...): plain bytes elements of under 4 KB,
    encoded without a Python call per element. None if any element is of another type or
    longer: the caller encodes element by element."""
    if not set(map(type, items)) <= _PLAIN:   # a C loop: no exception to raise and catch
        return None
    try:
        if len(items) < 16:
            return b"".join([_BULK_HEADERS[len(x)] + x + b"\r\n" for x in items])
        # Longer arrays interleave the elements with their separators in C loops.
        pieces: list = [b""] * (2 * len(items))
        pieces[0::2] = map(_BULK_SEPARATORS.__getitem__, map(len, items))
        pieces[1::2] = items
        pieces[0] = pieces[0][2:]
        pieces.append(b"\r\n")
        return b"".join(pieces)
    except IndexError:   # an element of 4 KB or more
        return None


LAZY_MIN_ITEMS = 1024   # aggregates this long are encoded while the socket drains
BULKS_PER_SLICE = 256   # elements a lazy reply tries to encode in one go


class LazyAggregate:
    """The elements of a big array, map or set reply, encoded a slice at a time as the client's
    socket takes them, so that a reply of millions of elements never stalls the loop (its
    header is queued at once). The elements are a snapshot taken when the reply was queued."""

    __slots__ = ("items", "pos", "proto", "pairs")

    def __init__(self, items: list, proto: int, pairs: bool) -> None:
        self.items = items
        self.pos = 0
        self.proto = proto
        self.pairs = pairs     # items are (key, value) pairs of a map

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


def encode_lazily(value: object, proto: int) -> Optional[tuple[bytes, LazyAggregate]]:
    """(header, elements) for a reply big enough to be encoded lazily, else None."""
    t = type(value)
    if t is list or t is tuple:
        if len(value) < LAZY_MIN_ITEMS:  # type: ignore[arg-type]
            return None
        return b"*%d\r\n" % len(value), LazyAggregate(list(value), proto, False)  # type: ignore
    if t is dict:
        if len(value) < LAZY_MIN_ITEMS:  # type: ignore[arg-type]
            return None
        n = len(value)  # type: ignore[arg-type]
        header = b"%%%d\r\n" % n if proto == 3 else b"*%d\r\n" % (2 * n)
        return header, LazyAggregate(list(value.items()), proto, True)  # type: ignore
    if t is set or t is frozenset or t is OrderedSet:
        if len(value) < LAZY_MIN_ITEMS:  # type: ignore[arg-type]
            return None
        header = b"%s%d\r\n" % (b"~" if proto == 3 else b"*", len(value))  # type: ignore
        return header, LazyAggregate(list(value), proto, False)  # type: ignore
    return None


def error_line(message: str) -> bytes:
    """An error reply line; newlines would break the protocol, so they become spaces."""
    return b"-%s\r\n" % message.replace("\r", " ").replace("\n", " ").encode("utf-8", "replace")


def encode_int(value: int) -> bytes:
    return SMALL_INTS[value] if 0 <= value < 10000 else b":%d\r\n" % value


# ---------------------------------------------------------------------------
# Request parsing
# ---------------------------------------------------------------------------

def _parse_ll(data: bytes) -> Optional[int]:
    """Redis's string2ll: a strict base-10 64-bit integer (no spaces, no '+', no leading 0)."""
    n = len(data)
    if n == 0 or n > 20:
        return None
    if data[0] == 0x2D:  # '-'
        digits = data[1:]
        sign = -1
    else:
        digits = data
        sign = 1
    if not digits.isdigit() or (len(digits) > 1 and digits[0] == 0x30) or not digits.isascii():
        return None
    if digits == b"0" and sign < 0:
        return None
    value = sign * int(digits)
    if not -(2**63) <= value < 2**63:
        return None
    return value


def split_args(line: bytes) -> Optional[list[bytes]]:
    """Redis's sdssplitargs: split an inline request, honouring quotes and escapes.

    Returns None for unbalanced quotes (or a closing quote not followed by a space).
    """
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \n\r\t\x0b\x0c\x00":
            i += 1
        if i >= n:
            return args
        current = bytearray()
        in_dq = in_sq = False
        while True:
            if in_dq:
                if i >= n:
                    return None
                c = line[i]
                if (c == 0x5C and i + 3 < n and line[i + 1] == 0x78 and _is_hex(line[i + 2])
                        and _is_hex(line[i + 3])):
                    current.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    current.append(_ESCAPES.get(line[i], line[i]))
                elif c == 0x22:
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\x0b\x0c\x00":
                        return None
                    in_dq = False
                    i += 1
                    break
                else:
                    current.append(c)
            elif in_sq:
                if i >= n:
                    return None
                c = line[i]
                if c == 0x5C and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    current.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\x0b\x0c\x00":
                        return None
                    in_sq = False
                    i += 1
                    break
                else:
                    current.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \n\r\t\x00":
                    break
                if c == 0x22:
                    in_dq = True
                elif c == 0x27:
                    in_sq = True
                else:
                    current.append(c)
            i += 1
        args.append(bytes(current))


_ESCAPES = {ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09, ord("b"): 0x08, ord("a"): 0x07}


def sds_repr(data: bytes) -> str:
    """Bytes quoted the way Redis's sdscatrepr writes them (MONITOR, CONFIG REWRITE): the
    inverse of split_args for one argument."""
    out = ['"']
    for b in data:
        ch = chr(b)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch in _REPR_ESCAPES:
            out.append(_REPR_ESCAPES[ch])
        elif 32 <= b < 127:
            out.append(ch)
        else:
            out.append("\\x%02x" % b)
    out.append('"')
    return "".join(out)


_REPR_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a", "\b": "\\b"}


def _is_hex(c: int) -> bool:
    return c in b"0123456789abcdefABCDEF"


class RequestParser:
    """Incremental request parser for one client.

    `feed` adds received bytes; `parse` yields each complete argv in order and raises
    ProtocolError (Redis's text) when the input is malformed. Empty requests (a bare newline,
    `*0`) yield nothing, as in Redis.
    """

    __slots__ = ("buf", "pos", "max_bulk_len", "auth_limits", "_argv", "_remaining")

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024) -> None:
        self.buf: bytes | bytearray = b""
        self.pos = 0
        self.max_bulk_len = max_bulk_len
        self.auth_limits = False       # the client must authenticate: small requests only
        self._argv: list[bytes] = []   # arguments of a multibulk request not yet complete
        self._remaining = 0            # how many arguments that request still expects

    def feed(self, data: bytes) -> None:
        buf = self.buf
        if self.pos >= len(buf):
            # The common case: everything before was parsed; parse straight from `data`.
            self.buf = data
        elif type(buf) is bytearray:
            # A request spans several reads: grow in place (a front delete is O(1) in CPython).
            del buf[:self.pos]
            buf += data
        else:
            self.buf = bytearray(memoryview(buf)[self.pos:])
            self.buf += data
        self.pos = 0

    def pending(self) -> int:
        """Bytes received and not yet parsed (for the query buffer limit and CLIENT LIST)."""
        return len(self.buf) - self.pos

    def idle(self) -> bool:
        """True between requests: everything received was parsed into complete requests."""
        return self.pos >= len(self.buf) and not self._remaining

    def wanted(self) -> int:
        """The bytes still to come of the big bulk argument being read (BIG_ARG or more),
        which the client reads at once, as Redis does; 0 otherwise."""
        if not self._remaining:
            return 0
        buf, pos = self.buf, self.pos
        end = buf.find(b"\r", pos, pos + 24)
        if end < 0 or buf[pos] != 0x24:   # '$'
            return 0
        size = _parse_ll(buf[pos + 1:end])
        if size is None or size < BIG_ARG:
            return 0
        return max(0, end + 2 + size + 2 - len(buf))

    def parse(self) -> Iterator[list[bytes]]:
        buf = self.buf
        n = len(buf)
        while self.pos < n:
            if self._remaining:
                argv = self._read_bulks(buf, n)
                if argv is None:
                    return
                yield argv
                continue
            if buf[self.pos] == 0x2A:  # '*'
                end = buf.find(b"\r", self.pos)
                if end < 0:
                    if n - self.pos > INLINE_MAX_SIZE:
                        raise ProtocolError("too big mbulk count string")
                    return
                if end + 1 >= n:
                    return
                count = _parse_ll(buf[self.pos + 1:end])
                if count is None or count > MAX_MULTIBULK_LEN:
                    raise ProtocolError("invalid multibulk length")
                if count > UNAUTHENTICATED_MAX_ARGS and self.auth_limits:
                    raise ProtocolError("unauthenticated multibulk length")
                self.pos = end + 2
                if count <= 0:
                    continue
                self._remaining = count
                self._argv = []
            else:
                argv = self._read_inline(buf, n)
                if argv is None:
                    return
                if argv:
                    yield argv

    def _read_bulks(self, buf: bytes, n: int) -> Optional[list[bytes]]:
        argv = self._argv
        pos = self.pos
        while self._remaining:
            if pos >= n:
                break
            end = buf.find(b"\r", pos)
            if end < 0:
                if n - pos > INLINE_MAX_SIZE:
                    raise ProtocolError("too big bulk count string")
                break
            if end + 1 >= n:
                break
            if buf[pos] != 0x24:  # '$'
                raise ProtocolError("expected '$', got '%s'" % chr(buf[pos]))
            size = _parse_ll(buf[pos + 1:end])
            if size is None or size < 0 or size > self.max_bulk_len:
                raise ProtocolError("invalid bulk length")
            if size > UNAUTHENTICATED_MAX_BULK and self.auth_limits:
                raise ProtocolError("unauthenticated bulk length")
            start = end + 2
            if start + size + 2 > n:
                break
            arg = buf[start:start + size]
            argv.append(arg if type(arg) is bytes else bytes(arg))
            pos = start + size + 2
            self._remaining -= 1
        self.pos = pos
        if self._remaining:
            return None
        self._argv = []
        return argv

    def _read_inline(self, buf: bytes, n: int) -> Optional[list[bytes]]:
        end = buf.find(b"\n", self.pos)
        if end < 0:
            if n - self.pos > INLINE_MAX_SIZE:
                raise ProtocolError("too big inline request")
            return None
        line_end = end - 1 if end > self.pos and buf[end - 1] == 0x0D else end
        args = split_args(bytes(buf[self.pos:line_end]))
        if args is None:
            raise ProtocolError("unbalanced quotes in request")
        self.pos = end + 1
        return args


_BIG_COUNT = re.compile(rb"\*[0-9]{5}").search           # hiredis would preallocate it
_ODD_ELEMENT = re.compile(rb"\n[+=(~%>|]").search          # element types hiredis accepts
_ODD_BYTES = b"+=(~%>|"


def _risky(data: bytes) -> bool:
    """Could hiredis read these bytes otherwise than Redis: an array count of 10,000 or more
    (which hiredis would also preallocate), or an element that is not a bulk string."""
    if _BIG_COUNT(data):
        return True
    if len(data.translate(None, _ODD_BYTES)) == len(data):
        return False   # one cheap pass; the precise search only when one of those bytes is in
    return _ODD_ELEMENT(data) is not None or data[0] in _ODD_BYTES


class HiredisRequestParser:
    """The fast request parser: hiredis splits multibulk requests, and the exact parser
    above takes over wherever hiredis's view of the bytes could differ from Redis's.

    hiredis.Reader parses replies, not requests: it also accepts elements that are not bulk
    strings, cannot read inline commands, waits where Redis refuses a length, and has its own
    error texts. So: data whose first request is inline, or that holds a byte which could
    start an element of another type (+ = ( ~ % > | after a newline), goes to the exact parser; so
    does any reply hiredis gives that is not an array of bulk strings within the bulk length
    limit, from the first byte of that request on; and a request left incomplete is checked by
    the exact parser (which refuses an over-long length as soon as it is read) or handed to it
    whole when it grows past 64 KB; and so do bytes holding an array count of 10,000 or more,
    which hiredis would allocate up front. Where hiredis yields, the request bytes were canonical, so
    their size is known: that is how the start of the next request is tracked. The exact parser
    hands back to hiredis once it is between requests.
    """

    __slots__ = ("reader", "exact", "round", "consumed", "max_bulk_len", "_auth_limits")

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024) -> None:
        self.max_bulk_len = max_bulk_len
        self._auth_limits = False
        # Both made at first use: an idle connection costs neither (many clients, little RAM).
        self.reader: Any = None
        self.exact = _NO_EXACT   # its buf is None while hiredis is in charge
        self.round = b""       # bytes fed to hiredis that may hold requests not yet returned
        self.consumed = 0      # how many bytes of `round` hiredis has returned as requests

    @property
    def auth_limits(self) -> bool:
        """The client must authenticate first: the exact parser, which knows Redis's
        limits for such clients, reads everything until it has."""
        return self._auth_limits

    @auth_limits.setter
    def auth_limits(self, on: bool) -> None:
        self._auth_limits = on
        if self.exact is not _NO_EXACT:
            self.exact.auth_limits = on

    def feed(self, data: bytes) -> None:
        exact = self.exact
        if exact.buf is not None:
            exact.feed(data)
            return
        if not data:
            return
        if self._auth_limits:
            self._hand_over(data)
            return
        if len(self.round) > self.consumed:
            # A request is carried over: look at the seam as well as the new bytes.
            if _risky(data) or _risky(self.round[-24:] + data[:24]):
                self._hand_over(data)
                return
            self.round = self.round[self.consumed:] + data
        else:
            if data[0] != 0x2A or _risky(data):   # inline, or not for hiredis
                self._hand_over(data)
                return
            self.round = data
        self.consumed = 0
        if self.reader is None:
            self.reader = _hiredis.Reader()
        self.reader.feed(data)

    def _hand_over(self, data: bytes = b"") -> None:
        """Give the exact parser everything from the start of the request hiredis is on."""
        rest = self.round[self.consumed:]
        if rest:
            self.reader = _hiredis.Reader()   # drop hiredis's half-read request
        self.round = b""
        self.consumed = 0
        exact = self.exact
        if exact is _NO_EXACT:
            exact = self.exact = RequestParser(self.max_bulk_len)
            exact.auth_limits = self._auth_limits
        exact.buf = b""
        exact.pos = 0
        exact.feed(rest + data if rest else data)

    @property
    def buf(self) -> bytes:
        """The bytes of the latest read, the running request's included (CLIENT LIST qbuf)."""
        exact_buf = self.exact.buf
        return self.round if exact_buf is None else exact_buf  # type: ignore[return-value]

    def pending(self) -> int:
        if self.exact.buf is not None:
            return self.exact.pending()
        return len(self.round) - self.consumed

    def wanted(self) -> int:
        return 0 if self.exact.buf is None else self.exact.wanted()

    def parse(self) -> Iterator[list[bytes]]:
        while True:
            exact = self.exact
            if exact.buf is not None:
                yield from exact.parse()
                if exact.idle():
                    exact.buf = None
                return
            if self.reader is None:
                return   # nothing received yet
            gets = self.reader.gets
            max_bulk_len = self.max_bulk_len
            consumed = self.consumed
            try:
                argv = gets()
                while type(argv) is list:
                    # The size of the canonical encoding, which is what hiredis accepted.
                    n = len(argv)
                    size = 4 if n < 10 else len(b"%d" % n) + 3
                    for arg in argv:
                        if type(arg) is not bytes:
                            break
                        length = len(arg)
                        if length > max_bulk_len:
                            break
                        size += length + (6 if length < 10 else 7 if length < 100
                                          else len(b"%d" % length) + 5)
                    else:
                        consumed += size
                        if n:
                            self.consumed = consumed
                            yield argv
                        argv = gets()
                        continue
                    break   # not an array of bulk strings within the limit
            except _hiredis.ProtocolError:
                argv = None
            self.consumed = consumed
            if argv is not False:
                self._hand_over()
                continue
            if consumed == len(self.round):   # the usual end: the reads held whole requests
                self.round = b""
                self.consumed = 0
                return
            self._check_incomplete()
            if self.exact.buf is None:
                return

    def _check_incomplete(self) -> None:
        """hiredis waits for the rest of a request: hand it to the exact parser if Redis
        would refuse what has come of it already, once it passes 64 KB, or when it holds a
        big argument (which the exact parser reads at once)."""
        rest = len(self.round) - self.consumed
        if rest <= INLINE_MAX_SIZE:
            check = RequestParser(self.max_bulk_len)
            check.feed(self.round[self.consumed:])
            try:
                if next(check.parse(), None) is None and not check.wanted():
                    return
            except ProtocolError:
                pass
        self._hand_over()


_NO_EXACT = RequestParser()
_NO_EXACT.buf = None  # type: ignore[assignment]  # shared, never fed: "hiredis is in charge"

try:
    import hiredis as _hiredis
    DefaultRequestParser: type = HiredisRequestParser
except ImportError:  # the pure-Python parser serves alone
    DefaultRequestParser = RequestParser

REQUEST_PARSERS = {"python": RequestParser, "hiredis": HiredisRequestParser}


Reply = Union[bytes, int, None, list, dict, set, float, SimpleString, RedisError]
