"""The one argument reader every command uses for its options.

A cursor over argv with typed reads, so that every command gives Redis's syntax and range
errors the same way (`ERR syntax error`, `ERR value is not an integer or out of range` ...).
"""
from __future__ import annotations

import math
import re
from typing import Final, Optional

from .errors import (MUST_BE_POSITIVE, VALUE_OUT_OF_RANGE, RedisError, not_between, not_float,
                     not_integer, syntax_error)
from .types.integers import INT64_MAX, string2ll

INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1


def parse_int(raw: bytes | bytearray, error: Optional[str] = None) -> int:
    """An integer argument read by string2ll; `error` replaces Redis's default text."""
    value = string2ll(raw)
    if value is None:
        raise RedisError(error) if error else not_integer()
    return value


def parse_range_int(raw: bytes, minimum: int, maximum: int,
                    error: Optional[str] = None) -> int:
    """Redis's getRangeLongFromObjectOrReply: an integer in [minimum, maximum]; `error`
    (when given) replaces both the not-an-integer and the out-of-range texts."""
    value = parse_int(raw, error)
    if not minimum <= value <= maximum:
        raise RedisError(error) if error else not_between(minimum, maximum)
    return value


def parse_positive_int(raw: bytes, error: Optional[str] = None) -> int:
    """Redis's getPositiveLongFromObjectOrReply: an integer >= 0."""
    return parse_range_int(raw, 0, INT64_MAX, error or MUST_BE_POSITIVE)


# What C's strtod reads: leading spaces, then a decimal, hex, inf or nan number.
_STRTOD: Final = re.compile(
    rb"[ \t\n\v\f\r]*[+-]?(?:"
    rb"(?P<hex>0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    rb"|(?P<dec>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    rb"|(?P<inf>[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"
    rb"|(?P<nan>[nN][aA][nN](?:\([0-9A-Za-z_]*\))?))")
_MIN_NORMAL: Final = 2.2250738585072014e-308


def strtod(raw: bytes) -> tuple[float, int, bool]:
    """C's strtod over raw: (value, bytes consumed, ERANGE). Nothing readable gives
    (0.0, 0, False), as strtod leaves its end pointer at the start."""
    m = _STRTOD.match(raw)
    if m is None:
        return 0.0, 0, False
    text = m.group(0).lstrip(b" \t\n\v\f\r")
    negative = text.startswith(b"-")
    if m.group("inf") is not None:
        value = math.inf
    elif m.group("nan") is not None:
        value = math.nan
    elif m.group("hex") is not None:
        try:
            value = float.fromhex(m.group("hex").decode())
        except OverflowError:
            value = math.inf
    else:
        value = float(m.group("dec"))
    if negative:
        value = -value
    erange = False
    if m.group("dec") is not None or m.group("hex") is not None:
        mantissa = re.split(rb"[eEpP]", m.group("dec") or m.group("hex")[2:])[0]
        erange = math.isinf(value) or (abs(value) < _MIN_NORMAL
                                       and mantissa.strip(b"0.") != b"")
    return value, m.end(), erange


def parse_int32(raw: bytes) -> int:
    """Redis's getIntFromObjectOrReply (SELECT, MOVE, COPY DB ...): a 64-bit integer that
    must also fit a C int."""
    return parse_range_int(raw, INT32_MIN, INT32_MAX)


# A short plain decimal ("12", "-0.5"): what float() reads exactly as strtod does, and too
# short to overflow or underflow (the fast path of parse_float).
_PLAIN_DECIMAL: Final = re.compile(rb"-?[0-9]+(?:\.[0-9]*)?").fullmatch


def parse_float(raw: bytes, error: Optional[str] = None) -> float:
    """Redis's string2d: all of raw is one strtod number, no leading space, no NaN, no
    overflow nor underflow to zero (hex and inf are fine)."""
    if len(raw) <= 15 and raw.isdigit():
        return float(raw)     # the most common score: plain digits, exact as a double
    if len(raw) <= 20 and _PLAIN_DECIMAL(raw):
        return float(raw)
    value, end, erange = strtod(raw)
    if (end != len(raw) or not raw or raw[0] in b" \t\n\v\f\r" or math.isnan(value)
            or (erange and (math.isinf(value) or value == 0))):
        raise RedisError(error) if error else not_float()
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

    def flags(self, keywords: frozenset) -> set[bytes]:
        """Consume the run of next arguments that are among `keywords` (upper-case, matched
        in any case) and return those seen: ZADD's NX/XX/CH/INCR/GT/LT before its pairs."""
        argv, pos, seen = self.argv, self.pos, set()
        while pos < len(argv) and (word := argv[pos].upper()) in keywords:
            seen.add(word)
            pos += 1
        self.pos = pos
        return seen

    def next_int(self, error: Optional[str] = None, minimum: Optional[int] = None,
                 maximum: Optional[int] = None, range_error: Optional[str] = None) -> int:
        value = parse_int(self.next(), error)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise RedisError(range_error or error or VALUE_OUT_OF_RANGE)
        return value

    def done(self) -> None:
        """Leftover arguments are a syntax error."""
        if self.pos < len(self.argv):
            raise syntax_error()
