"""FUNCTION DUMP / RESTORE payloads: the libraries' code in Redis's RDB encoding (one
FUNCTION2 opcode and string per library), then the RDB version and a CRC64, as DUMP
payloads are. Strings are written plain; compressed (LZF) and integer-encoded ones, which
redis-server may write, are read too."""
from __future__ import annotations

import struct

from .errors import RedisError
from .scripting import parse_library_metadata

RDB_VERSION = 10                  # Redis 7.0's
OPCODE_FUNCTION2 = 245
OPCODE_FUNCTION_PRE_GA = 246


def _crc64_tables() -> list[list[int]]:
    """Eight tables for 'slicing by 8': eight bytes per step, several times faster in
    Python than a byte at a time."""
    poly = 0x95AC9329AC4BC9B5     # Jones' polynomial, reflected (Redis's crc64)
    first = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        first.append(crc)
    tables = [first]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(prev[b] >> 8) ^ first[prev[b] & 0xFF] for b in range(256)])
    return tables


_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = _crc64_tables()


def crc64(data: bytes, crc: int = 0) -> int:
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


def _length(n: int) -> bytes:
    if n < 0x40:
        return bytes((n,))
    if n < 0x4000:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + struct.pack(">I", n)
    return b"\x81" + struct.pack(">Q", n)


def dump(libraries) -> bytes:
    body = b"".join(bytes((OPCODE_FUNCTION2,)) + _length(len(lib.code)) + lib.code
                    for lib in libraries)
    body += struct.pack("<H", RDB_VERSION)
    return body + struct.pack("<Q", crc64(body))


def load(payload: bytes) -> list[bytes]:
    """The library payloads a FUNCTION DUMP holds; Redis's errors for a bad one."""
    if len(payload) < 10:
        raise RedisError("ERR DUMP payload version or checksum are wrong")
    version = struct.unpack("<H", payload[-10:-8])[0]
    if version > RDB_VERSION or struct.unpack("<Q", payload[-8:])[0] != crc64(payload[:-8]):
        raise RedisError("ERR DUMP payload version or checksum are wrong")
    reader = _Reader(payload)
    codes = []
    while len(payload) - reader.pos > 10:
        opcode = reader.byte()
        if opcode == OPCODE_FUNCTION_PRE_GA:
            raise RedisError("ERR Pre-GA function format not supported")
        if opcode != OPCODE_FUNCTION2:
            raise RedisError("ERR given type is not a function")
        codes.append(reader.string())
    return codes


def library_of(code: bytes) -> tuple[bytes, bytes, bytes]:
    """(name, payload, code) of a library's payload, for Scripting.compile_library."""
    name, engine, body = parse_library_metadata(code)
    if engine.lower() != b"lua":
        raise RedisError("ERR Engine '%s' not found" % engine.decode(errors="replace"))
    return name, code, body


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data) - 10:
            raise RedisError("ERR failed loading the given functions payload")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def length(self) -> tuple[int, bool]:
        first = self.byte()
        kind = first >> 6
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self.byte(), False
        if kind == 3:
            return first & 0x3F, True
        if first == 0x80:
            return struct.unpack(">I", self.take(4))[0], False
        return struct.unpack(">Q", self.take(8))[0], False

    def string(self) -> bytes:
        n, encoded = self.length()
        if not encoded:
            return self.take(n)
        if n in (0, 1, 2):
            size = 1 << n
            value = int.from_bytes(self.take(size), "little", signed=True)
            return b"%d" % value
        if n == 3:
            compressed_len, _ = self.length()
            original_len, _ = self.length()
            return lzf_decompress(self.take(compressed_len), original_len)
        raise RedisError("ERR failed loading the given functions payload")


def lzf_decompress(data: bytes, size: int) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            out += data[i:i + ctrl + 1]
            i += ctrl + 1
            continue
        length = ctrl >> 5
        if length == 7:
            length += data[i]
            i += 1
        ref = len(out) - ((ctrl & 0x1F) << 8) - data[i] - 1
        i += 1
        if ref < 0:
            raise RedisError("ERR failed loading the given functions payload")
        for _ in range(length + 2):
            out.append(out[ref])
            ref += 1
    if len(out) != size:
        raise RedisError("ERR failed loading the given functions payload")
    return bytes(out)
