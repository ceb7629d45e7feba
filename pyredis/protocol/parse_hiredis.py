"""The fast request parser: hiredis splits multibulk requests, the exact pure-Python parser
takes over wherever hiredis's view of the bytes could differ from Redis's. Importing this
module fails where hiredis is not installed (auto.py then picks the pure-Python parser)."""
from __future__ import annotations

import re
from typing import Any, Final, Iterator

import hiredis

from ..errors import ProtocolError
from .parse import INLINE_MAX_SIZE, BaseRequestParser, RequestParser

_BIG_COUNT: Final = re.compile(rb"\*[0-9]{5}").search           # hiredis would preallocate it
_ODD_ELEMENT: Final = re.compile(rb"\n[+=(~%>|]").search          # element types hiredis accepts
_ODD_BYTES: Final = b"+=(~%>|"


def _risky(data: bytes) -> bool:
    """Whether the exact parser reads these bytes rather than hiredis: bytes hiredis could
    read otherwise than Redis (an array count of 10,000 or more, which hiredis would also
    preallocate, or an element that is not a bulk string), and bytes that are mostly a big
    argument's payload (few newlines in many bytes: the exact parser gathers such an argument
    as its reads come, where hiredis would first copy them into its buffer)."""
    if len(data) > SPARSE_MIN and _sparse(data):
        return True
    if _BIG_COUNT(data):
        return True
    if len(data.translate(None, _ODD_BYTES)) == len(data):
        return False   # one cheap pass; the precise search only when one of those bytes is in
    return _ODD_ELEMENT(data) is not None or data[0] in _ODD_BYTES


SPARSE_MIN: Final = 4096   # bytes from which a read may be a big argument's
SPARSE_MARKS: Final = 32   # newlines that make a read dense (requests, not one payload)


def _sparse(data: bytes) -> bool:
    """Fewer than SPARSE_MARKS newlines: each found by memchr, so a pipeline of small
    requests (dense within its first few hundred bytes) is told apart at once."""
    newline = data.find(b"\n")
    for _ in range(SPARSE_MARKS):
        if newline == -1:
            return True
        newline = data.find(b"\n", newline + 1)
    return False


class HiredisRequestParser(BaseRequestParser):
    """hiredis.Reader parses replies, not requests: it also accepts elements that are not bulk
    strings, cannot read inline commands, waits where Redis refuses a length, and has its own
    error texts. So: data whose first request is inline, or that holds a byte which could
    start an element of another type (+ = ( ~ % > | after a newline), goes to the exact parser; so
    does any reply hiredis gives that is not an array of bulk strings within the bulk length
    limit, from the first byte of that request on; and a request left incomplete is checked by
    the exact parser (which refuses an over-long length as soon as it is read) or handed to it
    whole when it grows past 64 KB; and so do bytes holding an array count of 10,000 or more,
    which hiredis would allocate up front, and a read of a big argument's bytes (few newlines
    in more than 4 KB). Where hiredis yields, the request bytes were
    canonical, so their size is known: that is how the start of the next request is tracked.
    The exact parser hands back to hiredis once it is between requests.
    """

    __slots__ = ("reader", "exact", "exact_on", "round", "consumed", "max_bulk_len",
                 "_auth_limits")

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024) -> None:
        self.max_bulk_len = max_bulk_len
        self._auth_limits = False
        # Both made at first use: an idle connection costs neither (many clients, little RAM).
        self.reader: Any = None
        self.exact = _NO_EXACT
        self.exact_on = False    # the exact parser is in charge (else hiredis)
        self.round = b""       # bytes fed to hiredis that may hold requests not yet returned
        self.consumed = 0      # how many bytes of `round` hiredis has returned as requests

    def set_auth_limits(self, on: bool) -> None:
        """Until the client has authenticated, the exact parser, which knows Redis's limits
        for such clients, reads everything."""
        self._auth_limits = on
        if self.exact is not _NO_EXACT:
            self.exact.auth_limits = on

    def set_max_bulk_len(self, limit: int) -> None:
        self.max_bulk_len = limit
        if self.exact is not _NO_EXACT:
            self.exact.max_bulk_len = limit

    def feed(self, data: bytes) -> None:
        if self.exact_on:
            self.exact.feed(data)
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
            self.reader = hiredis.Reader()
        self.reader.feed(data)

    def _hand_over(self, data: bytes = b"") -> None:
        """Give the exact parser everything from the start of the request hiredis is on."""
        rest = self.round[self.consumed:]
        if rest:
            self.reader = hiredis.Reader()   # drop hiredis's half-read request
        self.round = b""
        self.consumed = 0
        exact = self.exact
        if exact is _NO_EXACT:
            exact = self.exact = RequestParser(self.max_bulk_len)
            exact.auth_limits = self._auth_limits
        exact.buf = b""
        exact.pos = 0
        self.exact_on = True
        exact.feed(rest + data if rest else data)

    def latest_read_size(self) -> int:
        return len(self.exact.buf) if self.exact_on else len(self.round)

    def pending(self) -> int:
        if self.exact_on:
            return self.exact.pending()
        return len(self.round) - self.consumed

    def pending_head(self, size: int) -> bytes:
        if self.exact_on:
            return self.exact.pending_head(size)
        return self.round[self.consumed:self.consumed + size]

    def partial_args_size(self) -> int:
        return self.exact.partial_args_size() if self.exact_on else 0

    def wanted(self) -> int:
        return self.exact.wanted() if self.exact_on else 0

    def parse(self) -> Iterator[list[bytes]]:
        while True:
            if self.exact_on:
                exact = self.exact
                yield from exact.parse()
                if exact.idle():   # hiredis takes over again
                    self.exact_on = False
                    exact.buf = b""
                    exact.pos = 0
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
            except hiredis.ProtocolError:
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
            if not self.exact_on:
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


_NO_EXACT: Final = RequestParser()   # shared, never fed: the exact parser until one is needed
