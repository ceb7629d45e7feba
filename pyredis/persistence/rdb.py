"""Redis's RDB format, version 10 (Redis 7.0): values, DUMP payloads and whole snapshots.

Values are written in simple encodings every Redis since 2.x loads (plain strings, with
integers in int-encoding; LIST, SET, ZSET_2 and HASH as sequences of strings; streams as
Redis 7.0's STREAM_LISTPACKS_2, see rdb_stream.py), and read in every encoding Redis 7.0
writes too: ziplists, listpacks, intsets, quicklists and LZF-compressed strings."""
from __future__ import annotations

import math
import os
import random
import struct
import time
from typing import Any, BinaryIO, Callable, Iterator, Optional

from ..types.hash import HashValue
from ..types.list import ListValue
from ..types.set import SetValue
from ..types.stream import StreamValue
from ..types.zset import ZSetValue
from .crc64 import crc64
from .lzf import lzf_decompress
from .rdb_stream import TYPE_STREAM_LISTPACKS, TYPE_STREAM_LISTPACKS_2, encode_stream, read_stream

RDB_VERSION = 10

TYPE_STRING = 0
TYPE_LIST = 1
TYPE_SET = 2
TYPE_ZSET = 3
TYPE_HASH = 4
TYPE_ZSET_2 = 5
TYPE_HASH_ZIPMAP = 9
TYPE_LIST_ZIPLIST = 10
TYPE_SET_INTSET = 11
TYPE_ZSET_ZIPLIST = 12
TYPE_HASH_ZIPLIST = 13
TYPE_LIST_QUICKLIST = 14
TYPE_HASH_LISTPACK = 16
TYPE_ZSET_LISTPACK = 17
TYPE_LIST_QUICKLIST_2 = 18

OPCODE_FUNCTION2 = 245
OPCODE_MODULE_AUX = 247
OPCODE_IDLE = 248
OPCODE_FREQ = 249
OPCODE_AUX = 250
OPCODE_RESIZEDB = 251
OPCODE_EXPIRETIME_MS = 252
OPCODE_EXPIRETIME = 253
OPCODE_SELECTDB = 254
OPCODE_EOF = 255

QUICKLIST_NODE_PLAIN = 1

_INT_MIN32, _INT_MAX32 = -(1 << 31), (1 << 31) - 1


class RdbError(Exception):
    """A payload or file that is not valid RDB. `corruption`: Redis's short reason for a
    corrupt file, which a load reports after the message."""

    def __init__(self, message: str, corruption: str = "") -> None:
        super().__init__(message)
        self.corruption = corruption


# -- writing -----------------------------------------------------------------------------------

# Every single byte ready made: type bytes and the one-byte lengths (0 to 63) of most keys
# and many values, written once per key.
_BYTES = [bytes((n,)) for n in range(256)]


def encode_length(n: int) -> bytes:
    if n < 0x40:
        return _BYTES[n]
    if n < 0x4000:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + struct.pack(">I", n)
    return b"\x81" + struct.pack(">Q", n)


def encode_string(s: bytes) -> bytes:
    """A string; one that is a canonical integer of at most 32 bits is int-encoded, as
    Redis does."""
    size = len(s)
    if size > 11 or not size or s[0] not in b"-0123456789":     # no integer: the common case
        return (_BYTES[size] if size < 0x40 else encode_length(size)) + s
    try:
        n = int(s)
    except ValueError:
        return _BYTES[size] + s
    if b"%d" % n != s or not _INT_MIN32 <= n <= _INT_MAX32:
        return _BYTES[size] + s
    if -128 <= n <= 127:
        return b"\xc0" + struct.pack("<b", n)
    if -32768 <= n <= 32767:
        return b"\xc1" + struct.pack("<h", n)
    return b"\xc2" + struct.pack("<i", n)


def encode_value(value: Any) -> tuple[int, bytes]:
    """(RDB type, serialized value) of one pyredis value."""
    if type(value) is bytes or isinstance(value, (bytes, bytearray)):     # the common case first
        return TYPE_STRING, encode_string(bytes(value))
    if isinstance(value, ListValue):
        parts = [encode_length(len(value))]
        parts += [encode_string(item) for item in value]
        return TYPE_LIST, b"".join(parts)
    if isinstance(value, SetValue):
        parts = [encode_length(len(value))]
        parts += [encode_string(item) for item in value.items]
        return TYPE_SET, b"".join(parts)
    if isinstance(value, ZSetValue):
        parts = [encode_length(len(value.scores))]
        for score, member in value.pairs():
            parts.append(encode_string(member) + struct.pack("<d", score))
        return TYPE_ZSET_2, b"".join(parts)
    if isinstance(value, dict):
        parts = [encode_length(len(value))]
        for field, item in value.items():
            parts.append(encode_string(field) + encode_string(item))
        return TYPE_HASH, b"".join(parts)
    if isinstance(value, StreamValue):
        return TYPE_STREAM_LISTPACKS_2, encode_stream(value, encode_length, encode_string)
    raise RdbError(f"no RDB encoding for {type(value).__name__}")


def dump_payload(value: Any) -> bytes:
    """DUMP's serialization: type, value, then the payload footer."""
    kind, body = encode_value(value)
    return seal_payload(bytes((kind,)) + body)


def seal_payload(body: bytes) -> bytes:
    """A DUMP or FUNCTION DUMP payload: the body, the RDB version, a CRC64 of both."""
    data = body + struct.pack("<H", RDB_VERSION)
    return data + struct.pack("<Q", crc64(data))


def _aux(name: bytes, value: bytes) -> bytes:
    return bytes((OPCODE_AUX,)) + encode_string(name) + encode_string(value)


def snapshot_chunks(server: Any, now_ms: int, aof_base: bool = False,
                    key_delay_us: int = 0,
                    on_key: Optional[Callable[[], None]] = None) -> Iterator[bytes]:
    """The RDB file of the whole dataset, in chunks (header, AUX fields, function libraries,
    each database's keys, EOF; the checksum is the caller's, over all the chunks). on_key
    is called after each key."""
    yield b"REDIS%04d" % RDB_VERSION
    yield _aux(b"redis-ver", b"7.0.15")
    yield _aux(b"redis-bits", b"64")
    yield _aux(b"ctime", b"%d" % (now_ms // 1000))
    yield _aux(b"used-mem", b"%d" % server.used_memory())
    replication = getattr(server, "replication", None)
    history = replication.rdb_save_info() if replication is not None else None
    if history is not None:     # where a replica loading this file stands in the stream
        stream_db, replid, offset = history
        yield _aux(b"repl-stream-db", b"%d" % stream_db)
        yield _aux(b"repl-id", replid.encode())
        yield _aux(b"repl-offset", b"%d" % offset)
    yield _aux(b"aof-base", b"1" if aof_base else b"0")
    scripting = getattr(server, "scripting", None)
    if scripting is not None:
        for library in scripting.libraries.values():
            yield bytes((OPCODE_FUNCTION2,)) + encode_string(library.code)
    for db in server.dbs:
        if not db.data:
            continue
        yield bytes((OPCODE_SELECTDB,)) + encode_length(db.index)
        yield (bytes((OPCODE_RESIZEDB,)) + encode_length(len(db.data))
               + encode_length(len(db.expires)))
        chunk: list[bytes] = []
        size = 0
        for key, value in db.data.items():
            when = db.expires.get(key)
            if when is not None:
                chunk.append(bytes((OPCODE_EXPIRETIME_MS,)) + struct.pack("<q", when))
            kind, body = encode_value(value)
            record = _BYTES[kind] + encode_string(key) + body
            chunk.append(record)
            size += len(record)
            if key_delay_us:       # rdb-key-save-delay: tests slow a save down with it
                debug_delay(key_delay_us)
            if on_key is not None:
                on_key()
            if size > 1 << 16:
                yield b"".join(chunk)
                chunk, size = [], 0
        if chunk:
            yield b"".join(chunk)
    yield bytes((OPCODE_EOF,))


def debug_delay(usec: int) -> None:
    """Redis's debugDelay: sleep `usec` microseconds; a negative value sleeps one
    microsecond once in -usec calls (a statistically small delay)."""
    if usec < 0:
        usec = 1 if random.randrange(-usec) == 0 else 0
    if usec:
        time.sleep(usec / 1e6)


def write_rdb(server: Any, f: BinaryIO, now_ms: int,
              on_key: Optional[Callable[[], None]] = None, aof_base: bool = False) -> None:
    """The dataset as an RDB, checksum included, written to f (a file, a pipe to replicas,
    or an AOF base file)."""
    checksum_on = server.config.rdbchecksum
    crc = 0
    delay = server.config.rdb_key_save_delay
    for chunk in snapshot_chunks(server, now_ms, aof_base, key_delay_us=delay, on_key=on_key):
        if checksum_on:
            crc = crc64(chunk, crc)
        f.write(chunk)
    f.write(struct.pack("<Q", crc))


def write_snapshot(server: Any, path: str, now_ms: int,
                   on_key: Optional[Callable[[], None]] = None) -> None:
    """Write the dataset to path through a temporary file, fsynced then renamed over it, so
    that a failure leaves the old file whole (on_key: called after each key). Raises
    OSError."""
    temp = os.path.join(os.path.dirname(path) or ".", "temp-%d.rdb" % os.getpid())
    try:
        with open(temp, "wb") as f:
            write_rdb(server, f, now_ms, on_key)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


# -- reading -----------------------------------------------------------------------------------

class Reader:
    """A cursor over RDB bytes. A load reads millions of strings: string() reads the
    common short ones with no call of its own, the rest through length_or_encoding()."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, end: Optional[int] = None) -> None:
        self.data = data
        self.pos = 0
        self.end = len(data) if end is None else end

    def take(self, n: int) -> bytes:
        pos = self.pos
        if n < 0 or pos + n > self.end:
            raise RdbError("unexpected end of data")
        self.pos = pos + n
        return self.data[pos:pos + n]

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise RdbError("unexpected end of data")
        self.pos = pos + 1
        return self.data[pos]

    def offset(self) -> int:
        """The bytes read so far."""
        return self.pos

    def checksum(self) -> int:
        """The CRC64 of the bytes read so far."""
        return crc64(self.data[:self.pos])

    def length_or_encoding(self) -> tuple[int, bool]:
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
        if first == 0x81:
            return struct.unpack(">Q", self.take(8))[0], False
        raise RdbError("unknown length encoding")

    def length(self) -> int:
        n, encoded = self.length_or_encoding()
        if encoded:
            raise RdbError("encoded length where a length is expected")
        return n

    def string(self) -> bytes:
        pos = self.pos
        if pos < self.end:
            first = self.data[pos]
            if first < 0x40:                # a plain string of up to 63 bytes
                end = pos + 1 + first
                if end <= self.end:
                    self.pos = end
                    return self.data[pos + 1:end]
        n, encoded = self.length_or_encoding()
        if not encoded:
            return self.take(n)
        if n in (0, 1, 2):
            return b"%d" % int.from_bytes(self.take(1 << n), "little", signed=True)
        if n == 3:
            compressed_len = self.length()
            original_len = self.length()
            try:
                return lzf_decompress(self.take(compressed_len), original_len)
            except (ValueError, IndexError) as exc:
                raise RdbError("bad LZF string") from exc
        raise RdbError("unknown string encoding")

    def binary_double(self) -> float:
        return struct.unpack("<d", self.take(8))[0]

    def text_double(self) -> float:
        n = self.byte()
        if n == 253:
            return math.nan
        if n == 254:
            return math.inf
        if n == 255:
            return -math.inf
        try:
            return float(self.take(n))
        except ValueError as exc:
            raise RdbError("bad double") from exc


class ShortRead(RdbError):
    """The RDB's bytes ended early: a connection that broke, not a bad file."""


class StreamReader(Reader):
    """An RDB arriving on a blocking socket (Redis's rio over a connection): bytes are read
    as the parser asks for them, no further than `limit` bytes in all when the size is
    known (0: the payload ends with an EOF mark instead). The CRC64 of what was read is
    kept as it goes, since the bytes are not."""

    def __init__(self, sock: Any, head: bytes, limit: int, checksum: bool) -> None:
        super().__init__(head)          # the bytes already read (no more than limit)
        self.sock = sock
        self.limit = limit
        self.base = 0                   # the offset of data[0] in the payload
        self.crc = 0
        self.with_checksum = checksum

    def take(self, n: int) -> bytes:
        if self.pos + n > self.end:
            self.fill(n)
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def fill(self, n: int) -> None:
        """Read until n bytes are available at pos; ShortRead if the link ends first."""
        used = self.data[:self.pos]
        if self.with_checksum:
            self.crc = crc64(used, self.crc)
        self.base += self.pos
        parts = [self.data[self.pos:]]
        have = len(parts[0])
        while have < n:
            want = STREAM_READ_SIZE
            if self.limit:
                want = min(want, self.limit - self.base - have)
                if want <= 0:
                    raise ShortRead("Short read or OOM loading DB. Unrecoverable error, "
                                    "aborting now.")
            try:
                chunk = self.sock.recv(want)
            except OSError as exc:
                raise ShortRead(exc.strerror or "Resource temporarily unavailable") from None
            if not chunk:
                raise ShortRead("connection lost")
            parts.append(chunk)
            have += len(chunk)
        self.data = b"".join(parts)
        self.pos = 0
        self.end = len(self.data)

    def offset(self) -> int:
        return self.base + self.pos

    def checksum(self) -> int:
        return crc64(self.data[:self.pos], self.crc)

    def rest(self) -> bytes:
        """What was read past the parser's position."""
        return self.data[self.pos:]


STREAM_READ_SIZE = 256 * 1024       # a read of StreamReader


def _ziplist_entries(blob: bytes) -> list[bytes]:
    """The entries of a ziplist (Redis <= 6.2's small lists, hashes and sorted sets)."""
    if len(blob) < 11:
        raise RdbError("bad ziplist")
    count = struct.unpack("<H", blob[8:10])[0]
    pos, out = 10, []
    while pos < len(blob) and blob[pos] != 0xFF:
        pos += 5 if blob[pos] == 0xFE else 1          # previous entry's length
        enc = blob[pos]
        top = enc >> 6
        if top == 0:
            n = enc & 0x3F
            out.append(blob[pos + 1:pos + 1 + n])
            pos += 1 + n
        elif top == 1:
            n = ((enc & 0x3F) << 8) | blob[pos + 1]
            out.append(blob[pos + 2:pos + 2 + n])
            pos += 2 + n
        elif top == 2:
            n = struct.unpack(">I", blob[pos + 1:pos + 5])[0]
            out.append(blob[pos + 5:pos + 5 + n])
            pos += 5 + n
        else:
            sizes = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}
            if enc in sizes:
                size = sizes[enc]
                value = int.from_bytes(blob[pos + 1:pos + 1 + size], "little", signed=True)
                pos += 1 + size
            elif 0xF1 <= enc <= 0xFD:
                value = (enc & 0x0F) - 1
                pos += 1
            else:
                raise RdbError("bad ziplist entry")
            out.append(b"%d" % value)
    if count != 0xFFFF and count != len(out):
        raise RdbError("bad ziplist length")
    return out


def _listpack_entries(blob: bytes) -> list[bytes]:
    """The entries of a listpack (Redis 7's small lists, hashes and sorted sets)."""
    if len(blob) < 7:
        raise RdbError("bad listpack")
    pos, out = 6, []
    while True:
        if pos >= len(blob):
            raise RdbError("bad listpack")
        enc = blob[pos]
        if enc == 0xFF:
            break
        if enc < 0x80:                      # 7-bit unsigned integer
            item, size = b"%d" % enc, 1
        elif enc < 0xC0:                    # string up to 63 bytes
            n = enc & 0x3F
            item, size = blob[pos + 1:pos + 1 + n], 1 + n
        elif enc < 0xE0:                    # 13-bit signed integer
            uv = ((enc & 0x1F) << 8) | blob[pos + 1]
            item, size = b"%d" % (uv - (1 << 13) if uv >= 1 << 12 else uv), 2
        elif enc < 0xF0:                    # string up to 4095 bytes
            n = ((enc & 0x0F) << 8) | blob[pos + 1]
            item, size = blob[pos + 2:pos + 2 + n], 2 + n
        elif enc == 0xF0:                   # long string
            n = struct.unpack("<I", blob[pos + 1:pos + 5])[0]
            item, size = blob[pos + 5:pos + 5 + n], 5 + n
        elif 0xF1 <= enc <= 0xF4:           # 16, 24, 32, 64-bit signed integers
            width = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}[enc]
            item = b"%d" % int.from_bytes(blob[pos + 1:pos + 1 + width], "little",
                                          signed=True)
            size = 1 + width
        else:
            raise RdbError("bad listpack entry")
        out.append(item)
        # The entry's length follows it, in 1 to 5 bytes of 7 bits each.
        pos += size + (1 if size < 128 else 2 if size < 16384 else 3 if size < 1 << 21
                       else 4 if size < 1 << 28 else 5)
    return out


def _intset_members(blob: bytes) -> list[bytes]:
    if len(blob) < 8:
        raise RdbError("bad intset")
    width, count = struct.unpack("<II", blob[:8])
    if width not in (2, 4, 8) or len(blob) != 8 + width * count:
        raise RdbError("bad intset")
    return [b"%d" % int.from_bytes(blob[8 + i * width:8 + (i + 1) * width], "little",
                                   signed=True) for i in range(count)]


def _zipmap_pairs(blob: bytes) -> list[bytes]:
    """A zipmap (Redis < 2.6 hashes): field, value, field, value ..."""
    pos, out = 1, []

    def length() -> int:
        nonlocal pos
        first = blob[pos]
        if first < 254:
            pos += 1
            return first
        n = struct.unpack("<I", blob[pos + 1:pos + 5])[0]
        pos += 5
        return n

    while blob[pos] != 0xFF:
        n = length()
        out.append(blob[pos:pos + n])
        pos += n
        n = length()
        free = blob[pos]
        pos += 1
        out.append(blob[pos:pos + n])
        pos += n + free
    return out


def _pairs(items: list[bytes]) -> list[tuple[bytes, bytes]]:
    if len(items) % 2:
        raise RdbError("odd number of entries")
    return list(zip(items[0::2], items[1::2]))


def _build_set(members: list[bytes], config: Any) -> SetValue:
    value = SetValue()
    for member in members:
        value.add(member, config)
    return value


def _build_zset(pairs: list[tuple[bytes, float]], config: Any) -> ZSetValue:
    return ZSetValue.from_pairs(pairs, config)


def _zset_from_flat(items: list[bytes], config: Any) -> ZSetValue:
    try:
        return _build_zset([(m, float(s)) for m, s in _pairs(items)], config)
    except ValueError as exc:
        raise RdbError("bad score") from exc


def read_value(reader: Reader, kind: int, config: Any) -> Any:
    """One value of RDB type `kind`, as the pyredis value holding it."""
    if kind == TYPE_STRING:
        return reader.string()
    if kind == TYPE_LIST:
        return ListValue(reader.string() for _ in range(reader.length()))
    if kind == TYPE_SET:
        return _build_set([reader.string() for _ in range(reader.length())], config)
    if kind in (TYPE_ZSET, TYPE_ZSET_2):
        score = reader.binary_double if kind == TYPE_ZSET_2 else reader.text_double
        pairs: list[tuple[bytes, float]] = []
        for _ in range(reader.length()):
            member = reader.string()
            pairs.append((member, score()))
        if any(math.isnan(s) for _, s in pairs):
            raise RdbError("NaN score")
        return _build_zset(pairs, config)
    if kind == TYPE_HASH:
        fields = []
        for _ in range(reader.length()):
            field = reader.string()
            fields.append((field, reader.string()))
        return HashValue.build(fields, config)
    if kind == TYPE_LIST_QUICKLIST or kind == TYPE_LIST_QUICKLIST_2:
        value = ListValue()
        for _ in range(reader.length()):
            container = reader.length() if kind == TYPE_LIST_QUICKLIST_2 else 2
            blob = reader.string()
            if container == QUICKLIST_NODE_PLAIN:
                value.append(blob)
            elif kind == TYPE_LIST_QUICKLIST:
                value.extend(_ziplist_entries(blob))
            else:
                value.extend(_listpack_entries(blob))
        return value
    if kind in (TYPE_HASH_ZIPMAP, TYPE_LIST_ZIPLIST, TYPE_SET_INTSET, TYPE_ZSET_ZIPLIST,
                TYPE_HASH_ZIPLIST, TYPE_HASH_LISTPACK, TYPE_ZSET_LISTPACK):
        blob = reader.string()
        if kind == TYPE_LIST_ZIPLIST:
            return ListValue(_ziplist_entries(blob))
        if kind == TYPE_SET_INTSET:
            return _build_set(_intset_members(blob), config)
        if kind == TYPE_HASH_ZIPMAP:
            return HashValue.build(_pairs(_zipmap_pairs(blob)), config)
        if kind == TYPE_HASH_ZIPLIST:
            return HashValue.build(_pairs(_ziplist_entries(blob)), config)
        if kind == TYPE_HASH_LISTPACK:
            return HashValue.build(_pairs(_listpack_entries(blob)), config)
        if kind == TYPE_ZSET_ZIPLIST:
            return _zset_from_flat(_ziplist_entries(blob), config)
        return _zset_from_flat(_listpack_entries(blob), config)
    if kind == TYPE_STREAM_LISTPACKS or kind == TYPE_STREAM_LISTPACKS_2:
        return read_stream(reader, kind, _listpack_entries, RdbError)
    raise RdbError(f"unsupported RDB type {kind}")


def verify_payload(payload: bytes) -> bool:
    """A DUMP payload's footer: an RDB version we read and a matching CRC64."""
    if len(payload) < 10:
        return False
    version = struct.unpack("<H", payload[-10:-8])[0]
    if version > RDB_VERSION:
        return False
    return struct.unpack("<Q", payload[-8:])[0] == crc64(payload[:-8])


def load_payload(payload: bytes, config: Any) -> Any:
    """The value of a verified DUMP payload; RdbError if its body is bad."""
    reader = Reader(payload, len(payload) - 10)
    try:
        value = read_value(reader, reader.byte(), config)
    except (IndexError, struct.error) as exc:
        raise RdbError("truncated value") from exc
    if isinstance(value, (ListValue, SetValue, HashValue)) and not len(value):
        raise RdbError("empty collection")
    if isinstance(value, ZSetValue) and not value.scores:
        raise RdbError("empty collection")
    return value


def parse_snapshot(data: bytes, config: Any,
                   on_key: Callable[[int, bytes, Any, Optional[int]], None],
                   on_function: Callable[[bytes], None],
                   on_progress: Optional[Callable[[int], None]] = None) -> dict[bytes, bytes]:
    """Walk an RDB file, calling on_key(db, key, value, expire_ms or None) for each key,
    on_function(code) for each function library and on_progress(bytes read) after each
    key; returns the AUX fields. RdbError if the file is bad (wrong signature, version,
    checksum or content)."""
    return parse_rdb(Reader(data), config, on_key, on_function, on_progress)[0]


def parse_rdb(reader: Reader, config: Any,
              on_key: Callable[[int, bytes, Any, Optional[int]], None],
              on_function: Callable[[bytes], None],
              on_progress: Optional[Callable[[int], None]] = None,
              aux: Optional[dict[bytes, bytes]] = None) -> tuple[dict[bytes, bytes], int]:
    """parse_snapshot over a reader (of bytes or of a socket), also saying where the RDB
    ends (an old-style AOF goes on there); the AUX fields go into `aux` if given, as they
    are read."""
    try:
        header = reader.take(9)
    except ShortRead:
        raise
    except RdbError:
        raise RdbError("Wrong signature trying to load DB from file") from None
    if header[:5] != b"REDIS":
        raise RdbError("Wrong signature trying to load DB from file")
    try:
        version = int(header[5:9])
    except ValueError:
        raise RdbError("Wrong signature trying to load DB from file") from None
    if not 1 <= version <= RDB_VERSION:
        raise RdbError(f"Can't handle RDB format version {version}")
    if aux is None:
        aux = {}
    db = 0
    expire: Optional[int] = None
    try:
        while True:
            opcode = reader.byte()
            if opcode < OPCODE_FUNCTION2:       # a key and its value: first, the common case
                key = reader.string()
                if opcode == TYPE_STRING:
                    value = reader.string()
                else:
                    value = read_value(reader, opcode, config)
                on_key(db, key, value, expire)
                expire = None
                if on_progress is not None:
                    on_progress(reader.offset())
            elif opcode == OPCODE_EXPIRETIME_MS:
                expire = struct.unpack("<q", reader.take(8))[0]
            elif opcode == OPCODE_EXPIRETIME:
                expire = struct.unpack("<i", reader.take(4))[0] * 1000
            elif opcode == OPCODE_IDLE:
                reader.length()
            elif opcode == OPCODE_FREQ:
                reader.byte()
            elif opcode == OPCODE_SELECTDB:
                db = reader.length()
            elif opcode == OPCODE_RESIZEDB:
                reader.length()
                reader.length()
            elif opcode == OPCODE_AUX:
                name = reader.string()
                aux[name] = reader.string()
            elif opcode == OPCODE_FUNCTION2:
                on_function(reader.string())
            elif opcode == OPCODE_MODULE_AUX:
                raise RdbError("module data is not supported")
            elif opcode == OPCODE_EOF:
                break
            else:
                raise RdbError(f"unsupported RDB type {opcode}")
    except (IndexError, struct.error) as exc:
        raise RdbError("Short read or OOM loading DB. Unrecoverable error, aborting now.") \
            from exc
    if version >= 5:
        computed = reader.checksum() if config.rdbchecksum else 0
        stored = struct.unpack("<Q", reader.take(8))[0]
        if stored and config.rdbchecksum and computed != stored:
            raise RdbError("Wrong RDB checksum expected: (%x) but got (%x). Aborting now."
                           % (computed, stored), corruption="RDB CRC error")
    return aux, reader.offset()

