"""Redis's CRC64 (Jones' polynomial, reflected): the checksum of RDB files and of DUMP
payloads. anycrc's C code computes it when anycrc is importable (its CRC64-REDIS model, a
thousand times faster: a full sync's checksum in milliseconds); the pure-Python function
below serves otherwise, and the tests hold both to the same values."""
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


# Every implementation available here, by name (for the tests).
CRC64_FUNCTIONS: dict[str, Callable[..., int]] = {"python": crc64_python}

try:
    import anycrc
except ImportError:     # the pure-Python function serves alone
    crc64: Callable[..., int] = crc64_python
else:
    # With no final XOR, anycrc's calc(data, crc) continues a CRC as crc64_python does.
    CRC64_FUNCTIONS["anycrc"] = crc64 = anycrc.Model("CRC64-REDIS").calc
