"""The one argument reader every command uses for its options.

A cursor over argv with typed reads, so that every command gives Redis's syntax and range
errors the same way (`ERR syntax error`, `ERR value is not an integer or out of range` ...).
"""
from __future__ import annotations

import math
from typing import Optional

from .errors import RedisError, not_float, not_integer, syntax_error

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def parse_int(raw: bytes, error: Optional[str] = None) -> int:
    """Redis's string2ll: strict base 10, 64-bit, no spaces, no '+', no leading zeros."""
    if raw.isdigit() and raw.isascii() and (len(raw) == 1 or raw[0] != 0x30) and len(raw) < 19:
        return int(raw)  # fast path: small positive canonical numbers
    n = len(raw)
    ok = 0 < n <= 20
    if ok:
        digits = raw[1:] if raw[0] == 0x2D else raw
        ok = (digits.isdigit() and digits.isascii()
              and (len(digits) == 1 or digits[0] != 0x30) and raw != b"-0")
    if ok:
        value = int(raw)
        if INT64_MIN <= value <= INT64_MAX:
            return value
    raise RedisError(error) if error else not_integer()


def parse_int32(raw: bytes) -> int:
    """Redis's getIntFromObjectOrReply (SELECT, MOVE, COPY DB ...): a 64-bit integer that
    must also fit a C int."""
    value = parse_int(raw)
    if not INT32_MIN <= value <= INT32_MAX:
        raise RedisError("ERR value is out of range, value must between %d and %d"
                         % (INT32_MIN, INT32_MAX))
    return value


def parse_float(raw: bytes, error: Optional[str] = None) -> float:
    """Redis's string2ld/strtod: decimal or inf, no spaces, NaN rejected."""
    try:
        if not raw or raw[0] in b" \t\n\r\x0b\x0c" or raw[-1] in b" \t\n\r\x0b\x0c":
            raise ValueError
        value = float(raw)
        if math.isnan(value) or b"_" in raw:
            raise ValueError
        lowered = raw.lower()
        if math.isinf(value) and lowered.lstrip(b"+-") not in (b"inf", b"infinity"):
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise RedisError(error) if error else not_float() from None
    return value


class ArgReader:
    """Reads options from argv[pos:], e.g. `while r.more(): kw = r.keyword()`."""

    __slots__ = ("argv", "pos")

    def __init__(self, argv: list[bytes], pos: int = 1) -> None:
        self.argv = argv
        self.pos = pos

    def more(self) -> bool:
        return self.pos < len(self.argv)

    def remaining(self) -> int:
        return len(self.argv) - self.pos

    def next(self) -> bytes:
        if self.pos >= len(self.argv):
            raise syntax_error()
        value = self.argv[self.pos]
        self.pos += 1
        return value

    def keyword(self) -> bytes:
        """The next argument upper-cased, to compare with option names."""
        return self.next().upper()

    def peek_keyword(self) -> Optional[bytes]:
        return self.argv[self.pos].upper() if self.pos < len(self.argv) else None

    def match(self, *keywords: bytes) -> Optional[bytes]:
        """Consume and return the next argument if it is one of `keywords` (any case)."""
        word = self.peek_keyword()
        if word is not None and word in keywords:
            self.pos += 1
            return word
        return None

    def next_int(self, error: Optional[str] = None, minimum: Optional[int] = None,
                 maximum: Optional[int] = None, range_error: Optional[str] = None) -> int:
        value = parse_int(self.next(), error)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise RedisError(range_error or error or "ERR value is out of range")
        return value

    def next_float(self, error: Optional[str] = None) -> float:
        return parse_float(self.next(), error)

    def done(self) -> None:
        """Leftover arguments are a syntax error."""
        if self.pos < len(self.argv):
            raise syntax_error()
