"""The pure-Python request parser: multibulk and inline requests, with Redis's limits and its
exact protocol error texts. It reads everything hiredis cannot, and serves alone where hiredis
is not installed."""
from __future__ import annotations

from typing import Final, Iterator, Optional

from ..types.integers import string2ll
from ..errors import (BULK_COUNT_TOO_BIG, INLINE_TOO_BIG, INVALID_BULK_LENGTH,
                      INVALID_MULTIBULK_LENGTH, MBULK_COUNT_TOO_BIG, UNAUTHENTICATED_BULK_LENGTH,
                      UNAUTHENTICATED_MULTIBULK_LENGTH, UNBALANCED_QUOTES, ProtocolError,
                      expected_dollar)

INLINE_MAX_SIZE: Final = 64 * 1024          # Redis's PROTO_INLINE_MAX_SIZE
BIG_ARG: Final = 32 * 1024                  # Redis's PROTO_MBULK_BIG_ARG: read the rest at once
MAX_MULTIBULK_LEN: Final = 2**31 - 1        # INT_MAX
# What a client that must authenticate first may send (Redis's authRequired limits), so
# that an unknown peer cannot make the server buffer much.
UNAUTHENTICATED_MAX_ARGS: Final = 10
UNAUTHENTICATED_MAX_BULK: Final = 16384


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


_ESCAPES: Final = {ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09, ord("b"): 0x08, ord("a"): 0x07}


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


_REPR_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a", "\b": "\\b"}


def _line_end(buf: bytes | bytearray, pos: int, mark: bytes = b"\r") -> int:
    """Where the line at `pos` ends (its `mark`), -1 while none is seen. Redis looks for
    it as in a C string, so a NUL byte before it hides it: the line never ends."""
    end = buf.find(mark, pos)
    if end >= 0 and buf.find(b"\0", pos, end) >= 0:
        return -1
    return end


def _is_hex(c: int) -> bool:
    return c in b"0123456789abcdefABCDEF"


class BaseRequestParser:
    """What a client asks of its request parser, the exact one below or hiredis's in front
    of it (parse_hiredis.py): a native base class, so that the compiled client calls either
    through its vtable rather than by name."""

    __slots__ = ()

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024) -> None:
        """`max_bulk_len`: proto-max-bulk-len, the longest argument read."""

    def feed(self, data: bytes) -> None:
        """Add received bytes."""
        raise NotImplementedError

    def parse(self) -> Iterator[list[bytes]]:
        """Each complete request's argv, in order; ProtocolError (Redis's text) at
        malformed input."""
        raise NotImplementedError

    def pending(self) -> int:
        """Bytes received and not yet parsed (the query buffer limit, CLIENT LIST qbuf)."""
        raise NotImplementedError

    def latest_read_size(self) -> int:
        """The bytes of the latest read, the running request's included (CLIENT LIST qbuf
        while the client's command runs)."""
        raise NotImplementedError

    def pending_head(self, size: int) -> bytes:
        """The first `size` of the pending bytes (the log line of a client closed for its
        query buffer)."""
        raise NotImplementedError

    def partial_args_size(self) -> int:
        """The bytes of the arguments read so far of a request not yet complete."""
        raise NotImplementedError

    def wanted(self) -> int:
        """The bytes still to come of a big argument being read, which the client reads at
        once, as Redis does; 0 otherwise."""
        raise NotImplementedError

    def set_max_bulk_len(self, limit: int) -> None:
        raise NotImplementedError

    def set_auth_limits(self, on: bool) -> None:
        """The client must authenticate first (on): only what Redis's limits for such
        clients allow is read."""
        raise NotImplementedError


class RequestParser(BaseRequestParser):
    """Incremental request parser for one client.

    `feed` adds received bytes; `parse` yields each complete argv in order and raises
    ProtocolError (Redis's text) when the input is malformed. Empty requests (a bare newline,
    `*0`) yield nothing, as in Redis.
    """

    __slots__ = ("buf", "pos", "max_bulk_len", "auth_limits", "_argv", "_remaining", "_big",
                 "_big_have", "_big_size")

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024) -> None:
        self.buf: bytes | bytearray = b""
        self.pos = 0
        self.max_bulk_len = max_bulk_len
        self.auth_limits = False       # the client must authenticate: small requests only
        self._argv: list[bytes] = []   # arguments of a multibulk request not yet complete
        self._remaining = 0            # how many arguments that request still expects
        # A big argument (BIG_ARG bytes or more) being received: the pieces of its data and
        # trailing CRLF as they came, joined in one copy once all `_big_size` + 2 bytes are
        # here (Redis reads it into the argument's own buffer), not grown in `buf`.
        self._big: list[bytes | bytearray | memoryview] = []
        self._big_have = 0
        self._big_size = 0

    def feed(self, data: bytes) -> None:
        if self._big:
            need = self._big_size + 2 - self._big_have
            if need > 0:
                if len(data) <= need:
                    self._big.append(data)
                    self._big_have += len(data)
                    return
                # The argument ends in this read: the rest is parsed from `data` itself.
                self._big.append(memoryview(data)[:need])
                self._big_have += need
                self.buf, self.pos = data, need
                return
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

    def set_max_bulk_len(self, limit: int) -> None:
        self.max_bulk_len = limit

    def set_auth_limits(self, on: bool) -> None:
        self.auth_limits = on

    def pending(self) -> int:
        """Of a big argument being read, only its data: Redis has parsed its length line."""
        return len(self.buf) - self.pos + self._big_have

    def latest_read_size(self) -> int:
        return len(self.buf)

    def pending_head(self, size: int) -> bytes:
        if self._big:
            return b"".join(self._big)[:size]
        return bytes(self.buf[self.pos:self.pos + size])

    def partial_args_size(self) -> int:
        """Redis has them in the client's argv already (CLIENT LIST argv-mem, client
        eviction)."""
        return sum(len(a) for a in self._argv) if self._remaining else 0

    def idle(self) -> bool:
        """True between requests: everything received was parsed into complete requests."""
        return self.pos >= len(self.buf) and not self._remaining

    def wanted(self) -> int:
        """A big argument is one of BIG_ARG bytes or more."""
        return max(0, self._big_size + 2 - self._big_have) if self._big else 0

    def parse(self) -> Iterator[list[bytes]]:
        buf = self.buf
        n = len(buf)
        while self.pos < n or self._big:
            if self._remaining:
                argv = self._read_bulks(buf, n)
                if argv is None:
                    return
                yield argv
                continue
            if buf[self.pos] == 0x2A:  # '*'
                end = _line_end(buf, self.pos)
                if end < 0:
                    if n - self.pos > INLINE_MAX_SIZE:
                        raise ProtocolError(MBULK_COUNT_TOO_BIG)
                    return
                if end + 1 >= n:
                    return
                count = string2ll(buf[self.pos + 1:end])
                if count is None or count > MAX_MULTIBULK_LEN:
                    raise ProtocolError(INVALID_MULTIBULK_LENGTH)
                if count > UNAUTHENTICATED_MAX_ARGS and self.auth_limits:
                    raise ProtocolError(UNAUTHENTICATED_MULTIBULK_LENGTH)
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

    def _read_bulks(self, buf: bytes | bytearray, n: int) -> Optional[list[bytes]]:
        argv = self._argv
        pos = self.pos
        if self._big:
            if self._big_have < self._big_size + 2:
                return None
            argv.append(self._take_big())
            self._remaining -= 1
        while self._remaining:
            if pos >= n:
                break
            end = _line_end(buf, pos)
            if end < 0:
                if n - pos > INLINE_MAX_SIZE:
                    raise ProtocolError(BULK_COUNT_TOO_BIG)
                break
            if end + 1 >= n:
                break
            if buf[pos] != 0x24:  # '$'
                raise expected_dollar(buf[pos])
            size = string2ll(buf[pos + 1:end])
            if size is None or size < 0 or size > self.max_bulk_len:
                raise ProtocolError(INVALID_BULK_LENGTH)
            if size > UNAUTHENTICATED_MAX_BULK and self.auth_limits:
                raise ProtocolError(UNAUTHENTICATED_BULK_LENGTH)
            start = end + 2
            if start + size + 2 > n:
                if size >= BIG_ARG:   # the rest comes in pieces of its own
                    self._big = [buf[start:n] if type(buf) is bytearray
                                 else memoryview(buf)[start:n]]
                    self._big_have = n - start
                    self._big_size = size
                    pos = n
                break
            # One copy out of a bytearray buffer (its slice would be a second).
            argv.append(buf[start:start + size] if type(buf) is bytes
                        else bytes(memoryview(buf)[start:start + size]))
            pos = start + size + 2
            self._remaining -= 1
        self.pos = pos
        if self._remaining:
            return None
        self._argv = []
        return argv

    def _take_big(self) -> bytes:
        """The big argument whose bytes have all come, in one copy, its CRLF left out (Redis
        skips those two bytes unread)."""
        pieces, extra = self._big, self._big_have - self._big_size
        while extra:
            last = pieces[-1]
            cut = min(extra, len(last))
            pieces[-1] = memoryview(last)[:len(last) - cut]
            if cut == len(last):
                pieces.pop()
            extra -= cut
        arg = b"".join(pieces)
        self._big = []
        self._big_have = self._big_size = 0
        return arg

    def _read_inline(self, buf: bytes | bytearray, n: int) -> Optional[list[bytes]]:
        end = _line_end(buf, self.pos, b"\n")
        if end < 0:
            if n - self.pos > INLINE_MAX_SIZE:
                raise ProtocolError(INLINE_TOO_BIG)
            return None
        line_end = end - 1 if end > self.pos and buf[end - 1] == 0x0D else end
        args = split_args(bytes(buf[self.pos:line_end]))
        if args is None:
            raise ProtocolError(UNBALANCED_QUOTES)
        self.pos = end + 1
        return args
