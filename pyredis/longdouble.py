"""Redis's long double arithmetic (INCRBYFLOAT, HINCRBYFLOAT), emulated exactly.

Redis parses numbers with strtold, adds them as x86 80-bit long doubles (64-bit mantissa,
15-bit exponent) and prints the sum with "%.17Lf", trimming trailing zeros. Python floats are
64-bit doubles, so results would differ in the last digits; instead values are kept as exact
fractions and rounded to the long double grid after each parse and each addition, the way the
hardware does (round half to even, with subnormals), then printed exactly as glibc does.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Optional, Union

MANTISSA_BITS = 64
MIN_EXPONENT = -16445      # the smallest subnormal is 2**-16445
MAX_BITS = 16384           # values of 2**16384 and more overflow to infinity
MAX_INPUT_LEN = 5 * 1024   # Redis's MAX_LONG_DOUBLE_CHARS: longer input is refused
PRINT_DECIMALS = 17

# What strtold accepts, when it must consume the whole input (Redis rejects leftovers).
_DECIMAL = re.compile(rb"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_HEX = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?")
_INFINITY = re.compile(rb"[+-]?(?:inf|infinity)", re.IGNORECASE)

# A long double: an exact Fraction when finite, or a float infinity.
LongDouble = Union[Fraction, float]

ZERO = Fraction(0)


def parse_long_double(raw: bytes | bytearray) -> Optional[LongDouble]:
    """The value of raw as Redis's string2ld reads it, None when it is not a valid float.

    Refused: empty or too long input, leading spaces or any leftover character, NaN, and
    values that overflow to infinity or underflow to zero (strtold's ERANGE); the words
    "inf" and "infinity" are accepted.
    """
    if not raw or len(raw) >= MAX_INPUT_LEN:
        return None
    if _INFINITY.fullmatch(raw):
        return float("-inf") if raw[0] == 0x2D else float("inf")
    match = _HEX.fullmatch(raw)
    if match and (match.group(2) or match.group(3)):
        sign, whole, frac, exp = match.groups()
        mantissa = int(whole + (frac or b""), 16)
        exponent = _clamped_int(exp) - 4 * len(frac or b"")
        base = 2
        size = mantissa.bit_length() + exponent    # the value is below 2**size
        if mantissa and not MIN_EXPONENT <= size <= MAX_BITS:
            return None  # overflow, or below half the smallest subnormal
    else:
        match = _DECIMAL.fullmatch(raw)
        if not match or not (match.group(2) or match.group(3)):
            return None
        sign, whole, frac, exp = match.groups()
        digits = (whole + (frac or b"")).lstrip(b"0")
        mantissa = _int_from_digits(digits)
        exponent = _clamped_int(exp) - len(frac or b"")
        base = 10
        size = len(digits) + exponent              # the value is below 10**size
        if mantissa and not -4952 <= size <= 4934:
            return None  # far beyond ~1.19e4932, or far below the smallest subnormal
    if mantissa == 0:
        return ZERO
    num, den = ((mantissa * base**exponent, 1) if exponent >= 0
                else (mantissa, base**-exponent))
    if sign == b"-":
        num = -num
    value = _round(num, den)
    if value is None or (value == 0 and num != 0):
        return None  # strtold's ERANGE on overflow, or on underflow to zero
    return value


def add_long_double(a: LongDouble, b: LongDouble) -> Optional[Fraction]:
    """a + b rounded to a long double; None when the sum is NaN or infinite."""
    if isinstance(a, float) or isinstance(b, float):
        return None  # an infinite operand: the sum is infinite or NaN
    total = a + b
    return _round(total.numerator, total.denominator)


def format_long_double(value: Fraction) -> bytes:
    """Redis's human-friendly form: "%.17Lf" without trailing zeros, and never "-0"."""
    scaled = abs(value) * 10**PRINT_DECIMALS
    units, rest = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * rest
    if twice > scaled.denominator or (twice == scaled.denominator and units & 1):
        units += 1
    text = _digits_of(units).rjust(PRINT_DECIMALS + 1, "0")
    whole, frac = text[:-PRINT_DECIMALS], text[-PRINT_DECIMALS:].rstrip("0")
    sign = "-" if value < 0 and units else ""
    return (sign + whole + ("." + frac if frac else "")).encode()


def _round(num: int, den: int) -> Optional[Fraction]:
    """num/den rounded to the nearest long double (ties to even); None on overflow."""
    if num == 0:
        return ZERO
    negative = num < 0
    num = abs(num)
    log2 = num.bit_length() - den.bit_length()     # 2**log2 <= num/den < 2**(log2+1)
    if (num << max(-log2, 0)) < (den << max(log2, 0)):
        log2 -= 1
    ulp = max(log2 - (MANTISSA_BITS - 1), MIN_EXPONENT)
    if ulp >= 0:
        den <<= ulp
    else:
        num <<= -ulp
    mantissa, rest = divmod(num, den)
    if 2 * rest > den or (2 * rest == den and mantissa & 1):
        mantissa += 1
    if mantissa.bit_length() + ulp > MAX_BITS:
        return None
    value = Fraction(mantissa << ulp) if ulp >= 0 else Fraction(mantissa, 1 << -ulp)
    return -value if negative else value


def _clamped_int(raw: Optional[bytes]) -> int:
    """An exponent; absurdly long ones are clamped (they overflow or underflow anyway)."""
    if not raw:
        return 0
    sign = -1 if raw[0] == 0x2D else 1
    digits = raw.lstrip(b"+-").lstrip(b"0") or b"0"
    return sign * (10**9 if len(digits) > 9 else int(digits))


# Python refuses int <-> str conversions beyond 4300 digits; long doubles reach ~4950.
_CHUNK = 4000


def _int_from_digits(digits: bytes) -> int:
    value = 0
    for start in range(0, len(digits), _CHUNK):
        chunk = digits[start:start + _CHUNK]
        value = value * 10**len(chunk) + int(chunk)
    return value


def _digits_of(n: int) -> str:
    if n < 10**_CHUNK:
        return str(n)
    high, low = divmod(n, 10**_CHUNK)
    return _digits_of(high) + str(low).rjust(_CHUNK, "0")
