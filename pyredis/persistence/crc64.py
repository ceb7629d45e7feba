"""Redis's CRC64 (Jones' polynomial, reflected): the checksum of RDB files and of DUMP
payloads. anycrc's C code computes it when anycrc is importable (its CRC64-REDIS model, a
thousand times faster: a full sync's checksum in milliseconds); the pure-Python function
below serves otherwise (tables for short inputs, big-integer folding for long ones), and
the tests hold both to the same values."""
from __future__ import annotations

import struct
from typing import Callable

POLY = 0x95AC9329AC4BC9B5     # Jones' polynomial, reflected


def _crc64_tables() -> list[list[int]]:
    """Eight tables for 'slicing by 8': eight bytes per step, several times faster in
    Python than a byte at a time."""
    first = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ POLY if crc & 1 else crc >> 1
        first.append(crc)
    tables = [first]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(prev[b] >> 8) ^ first[prev[b] & 0xFF] for b in range(256)])
    return tables


_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = _crc64_tables()


def crc64_python(data: bytes, crc: int = 0) -> int:
    """The CRC64 of data, continuing from crc (the CRC of what came before it)."""
    if len(data) >= LONG_INPUT:
        view = memoryview(data)
        for start in range(0, len(data), FOLDED_BLOCK):    # a bounded big integer each
            crc = _crc64_folded(view[start:start + FOLDED_BLOCK], crc)
        return crc
    t0, t1, t2, t3, t4, t5, t6, t7 = _T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7
    whole = len(data) & ~7
    for (word,) in struct.iter_unpack("<Q", memoryview(data)[:whole]):
        crc ^= word
        crc = (t7[crc & 0xFF] ^ t6[(crc >> 8) & 0xFF] ^ t5[(crc >> 16) & 0xFF]
               ^ t4[(crc >> 24) & 0xFF] ^ t3[(crc >> 32) & 0xFF] ^ t2[(crc >> 40) & 0xFF]
               ^ t1[(crc >> 48) & 0xFF] ^ t0[crc >> 56])
    for byte in data[whole:]:
        crc = t0[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


# -- long inputs: the remainder by Python's big integers --------------------------------------
#
# A CRC is the remainder of the message, as a polynomial over GF(2), times x^64, divided by
# the CRC's polynomial P. Python's integers shift and xor millions of bits at C speed, so
# instead of eight table lookups per eight bytes, the remainder is taken by folding: with
# the message M = A * x^d + B, M = A * (x^d mod P) + B (mod P), where multiplying A by the
# 64-bit constant x^d mod P is one shift and xor of A per bit set in it. Folding at the
# largest power of two d halves M each time. Redis's crc64 is bit-reflected: the bytes are
# reflected in, the remainder reflected out.

LONG_INPUT = 2048       # shorter inputs are quicker through the tables
FOLDED_BLOCK = 1 << 20  # bytes folded at a time (a short last block is fine: it folds too)


def _reflect(value: int, bits: int) -> int:
    return int(format(value, "0%db" % bits)[::-1], 2)


_REFLECTED_BYTES = bytes(_reflect(i, 8) for i in range(256))
_P = (1 << 64) | _reflect(POLY, 64)


def _clmul(a: int, b: int) -> int:
    """a times b as polynomials over GF(2) (carry-less)."""
    product = 0
    while b:
        low = b & -b
        product ^= a << (low.bit_length() - 1)
        b ^= low
    return product


def _reduce_bitwise(value: int) -> int:
    """value mod P, a bit at a time: for values of a few words."""
    n = value.bit_length()
    while n > 64:
        value ^= _P << (n - 65)
        n = value.bit_length()
    return value


# x^(2^k) mod P, by squaring: x^1 first.
_X_POW2 = [2]
for _ in range(1, 48):
    _X_POW2.append(_reduce_bitwise(_clmul(_X_POW2[-1], _X_POW2[-1])))


def _crc64_folded(data: memoryview, crc: int) -> int:
    bits = 8 * len(data)
    message = int.from_bytes(bytes(data).translate(_REFLECTED_BYTES), "big")
    # The running crc is the register's start: it stands before the message.
    value = (message << 64) ^ (_reflect(crc, 64) << bits)
    n = value.bit_length()
    while n > 128:
        k = (n - 1).bit_length() - 1
        d = 1 << k
        value = _clmul(value >> d, _X_POW2[k]) ^ (value & ((1 << d) - 1))
        n = value.bit_length()
    return _reflect(_reduce_bitwise(value), 64)


# Every implementation available here, by name (for the tests).
CRC64_FUNCTIONS: dict[str, Callable[..., int]] = {"python": crc64_python}

try:
    import anycrc
except ImportError:     # the pure-Python function serves alone
    crc64: Callable[..., int] = crc64_python
else:
    # With no final XOR, anycrc's calc(data, crc) continues a CRC as crc64_python does.
    CRC64_FUNCTIONS["anycrc"] = crc64 = anycrc.Model("CRC64-REDIS").calc
