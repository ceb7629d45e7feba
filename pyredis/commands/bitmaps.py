"""Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO.

A bitmap is a string: bit 0 is the most significant bit of the first byte, and bits past
the end read as 0. Commands that write bits change the string in place (a bytearray, see
Database.mutable_string), growing it with zero bytes as far as the highest bit they touch.
Readers take bytes or a bytearray alike.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Optional

from ..args import ArgReader, parse_int
from ..types.integers import INT64_MAX
from ..errors import (BITFIELD_OVERFLOW_TYPE, BITFIELD_RO_GET_ONLY, BITFIELD_TYPE, BITOP_NOT_ARITY,
                      BITPOS_BIT, BIT_OFFSET, BIT_VALUE, RedisError, syntax_error)
from ..protocol.encode import Reply
from . import command
from .getkeys import c_keyword

if TYPE_CHECKING:
    from ..client import Client

UINT64_MASK = 2**64 - 1


def _int64(value: int) -> int:
    """value wrapped to a signed 64-bit integer, as C's arithmetic leaves it."""
    value &= UINT64_MASK
    return value - 2**64 if value >> 63 else value


def parse_bit_offset(client: Client, raw: bytes, bits: int = 0) -> int:
    """A bit offset (Redis's getBitOffsetFromArgument): a non-negative integer whose byte
    lies below proto-max-bulk-len; with `bits` (BITFIELD) "#n" means n * bits."""
    hashed = bits > 0 and raw[:1] == b"#"
    offset = parse_int(raw[1:] if hashed else raw, BIT_OFFSET)
    if hashed:
        offset = _int64(offset * bits)
    if offset < 0 or offset >> 3 >= client.server.config.proto_max_bulk_len:
        raise RedisError(BIT_OFFSET)
    return offset


def _grow(value: bytearray, size: int) -> bool:
    """Pad value with zero bytes up to `size`; True if it grew."""
    missing = size - len(value)
    if missing <= 0:
        return False
    value.extend(bytes(missing))
    return True


# ---------------------------------------------------------------------------
# SETBIT, GETBIT
# ---------------------------------------------------------------------------

@command("setbit")
def setbit(client: Client, argv: list[bytes]) -> Reply:
    key = argv[1]
    offset = parse_bit_offset(client, argv[2])
    on = parse_int(argv[3], BIT_VALUE)
    if on & ~1:
        raise RedisError(BIT_VALUE)
    db = client.db
    value = db.mutable_string(key, db.get_string(key, write=True))
    byte, mask = offset >> 3, 0x80 >> (offset & 7)
    grown = _grow(value, byte + 1)
    old = value[byte] & mask
    if grown or bool(old) != bool(on):  # only a real change counts (signals, events, dirty)
        value[byte] = value[byte] | mask if on else value[byte] & ~mask
        db.written(key, "$", "setbit")
    return 1 if old else 0


@command("getbit")
def getbit(client: Client, argv: list[bytes]) -> Reply:
    offset = parse_bit_offset(client, argv[2])
    value = client.db.get_string(argv[1])
    byte = offset >> 3
    if value is None or byte >= len(value):
        return 0
    return 1 if value[byte] & (0x80 >> (offset & 7)) else 0


# ---------------------------------------------------------------------------
# BITCOUNT, BITPOS
# ---------------------------------------------------------------------------

def _unit_is_bit(raw: bytes) -> bool:
    unit = raw.upper()
    if unit not in (b"BIT", b"BYTE"):
        raise syntax_error()
    return unit == b"BIT"


def _bit_range(size: int, start: int, end: int, in_bits: bool) -> tuple[int, int]:
    """The first and last bit (inclusive) of a BITCOUNT/BITPOS range over `size` bytes,
    with Redis's rules: negative indexes count from the end, then both are clamped into the
    string. An empty range comes back with first > last."""
    total = size * 8 if in_bits else size
    if start < 0:
        start += total
    if end < 0:
        end += total
    start = max(start, 0)
    end = min(max(end, 0), total - 1)
    if start > end:
        return 1, 0
    return (start, end) if in_bits else (start * 8, end * 8 + 7)


def count_bits(value: "bytes | bytearray", first: int, last: int) -> int:
    """The set bits of value from bit `first` to bit `last` (inclusive, both inside)."""
    a, b = first >> 3, last >> 3
    count = int.from_bytes(value[a:b + 1], "big").bit_count()
    count -= (value[a] >> (8 - (first & 7))).bit_count()          # bits before first
    count -= (value[b] & ((1 << (7 - (last & 7))) - 1)).bit_count()  # bits after last
    return count


def find_bit(value: "bytes | bytearray", bit: int, first: int, last: int) -> int:
    """The position of the first `bit` (0 or 1) of value between bits `first` and `last`
    (inclusive, both inside), -1 if there is none."""
    a, b = first >> 3, last >> 3
    chunk = bytearray(value[a:b + 1])
    before = (0xFF << (8 - (first & 7))) & 0xFF   # bits of the first byte before `first`
    after = (1 << (7 - (last & 7))) - 1           # bits of the last byte after `last`
    # Bits outside the range take the value that is not sought, so the search skips them.
    if bit:
        chunk[0] &= ~before & 0xFF
        chunk[-1] &= ~after & 0xFF
    else:
        chunk[0] |= before
        chunk[-1] |= after
    rest = chunk.lstrip(b"\xff" if bit == 0 else b"\x00")
    if not rest:
        return -1
    byte = rest[0] if bit else rest[0] ^ 0xFF
    return (a + len(chunk) - len(rest)) * 8 + 8 - byte.bit_length()


@command("bitcount")
def bitcount(client: Client, argv: list[bytes]) -> Reply:
    value = client.db.get_string(argv[1])
    if value is None:
        return 0
    if len(argv) == 2:
        first, last = _bit_range(len(value), 0, -1, False)
    elif len(argv) in (4, 5):
        start, end = parse_int(argv[2]), parse_int(argv[3])
        if start < 0 and end < 0 and start > end:
            return 0
        in_bits = len(argv) == 5 and _unit_is_bit(argv[4])
        first, last = _bit_range(len(value), start, end, in_bits)
    else:
        raise syntax_error()
    return count_bits(value, first, last) if first <= last else 0


@command("bitpos")
def bitpos(client: Client, argv: list[bytes]) -> Reply:
    bit = parse_int(argv[2])
    if bit not in (0, 1):
        raise RedisError(BITPOS_BIT)
    value = client.db.get_string(argv[1])
    if value is None:
        # A missing key is an endless run of zeros.
        return -1 if bit else 0
    end_given = False
    if len(argv) == 3:
        first, last = _bit_range(len(value), 0, -1, False)
    elif len(argv) in (4, 5, 6):
        start = parse_int(argv[3])
        in_bits = len(argv) == 6 and _unit_is_bit(argv[5])
        end = -1
        if len(argv) >= 5:
            end = parse_int(argv[4])
            end_given = True
        first, last = _bit_range(len(value), start, end, in_bits)
    else:
        raise syntax_error()
    if first > last:
        return -1
    position = find_bit(value, bit, first, last)
    if position < 0 and bit == 0 and not end_given:
        # Without an end, the string reads as padded with zeros on the right.
        return last + 1
    return position


# ---------------------------------------------------------------------------
# BITOP
# ---------------------------------------------------------------------------

@command("bitop")
def bitop(client: Client, argv: list[bytes]) -> Reply:
    operation = argv[1].upper()
    if operation not in (b"AND", b"OR", b"XOR", b"NOT"):
        raise syntax_error()
    if operation == b"NOT" and len(argv) != 4:
        raise RedisError(BITOP_NOT_ARITY)
    db = client.db
    sources = [db.get_string(key) or b"" for key in argv[3:]]  # missing keys read as ""
    size = max(len(source) for source in sources)
    target = argv[2]
    if not size:
        if db.delete(target):
            db.written(target, "g", "del")
        return 0
    # Each string as one big number, shorter ones padded with zero bytes on the right.
    numbers = [int.from_bytes(source, "big") << 8 * (size - len(source)) for source in sources]
    result = numbers[0]
    if operation == b"NOT":
        result ^= (1 << 8 * size) - 1
    for number in numbers[1:]:
        if operation == b"AND":
            result &= number
        elif operation == b"OR":
            result |= number
        else:
            result ^= number
    # Stored "raw" as Redis stores it, whatever it holds.
    db.set(target, bytearray(result.to_bytes(size, "big")))
    db.written(target, "$", "set")
    return size


# ---------------------------------------------------------------------------
# BITFIELD, BITFIELD_RO
# ---------------------------------------------------------------------------

WRAP, SAT, FAIL = "wrap", "sat", "fail"


class FieldOp(NamedTuple):
    """One GET, SET or INCRBY of a BITFIELD command."""
    name: bytes          # b"GET", b"SET" or b"INCRBY"
    signed: bool
    bits: int
    offset: int
    argument: int        # SET's value or INCRBY's increment
    overflow: str        # WRAP, SAT or FAIL, as the last OVERFLOW before it said


def parse_bitfield_type(raw: bytes) -> tuple[bool, int]:
    """(signed, bits) of a type such as i16 or u8: i1..i64, u1..u63."""
    sign, digits = raw[:1], raw[1:].split(b"\0", 1)[0]   # Redis reads the digits as C text
    try:
        bits = parse_int(digits)
    except RedisError:
        bits = 0
    if sign not in (b"i", b"u") or not 1 <= bits <= (64 if sign == b"i" else 63):
        raise RedisError(BITFIELD_TYPE)
    return sign == b"i", bits


def parse_bitfield(client: Client, argv: list[bytes]) -> list[FieldOp]:
    """BITFIELD's operations, in order, with Redis's checks and errors."""
    ops: list[FieldOp] = []
    overflow = WRAP
    reader = ArgReader(argv, 2)
    while reader.more():
        name = reader.keyword()
        left = reader.remaining()
        if name == b"OVERFLOW" and left >= 1:
            overflow = reader.next().lower().decode("latin-1")
            if overflow not in (WRAP, SAT, FAIL):
                raise RedisError(BITFIELD_OVERFLOW_TYPE)
            continue
        if not (name == b"GET" and left >= 2 or name in (b"SET", b"INCRBY") and left >= 3):
            raise syntax_error()
        signed, bits = parse_bitfield_type(reader.next())
        offset = parse_bit_offset(client, reader.next(), bits)
        argument = reader.next_int() if name != b"GET" else 0
        ops.append(FieldOp(name, signed, bits, offset, argument, overflow))
    return ops


def get_field(value: "bytes | bytearray", offset: int, bits: int, signed: bool) -> int:
    """The integer of `bits` bits at bit `offset` (bits past the end read as 0)."""
    first, last = offset >> 3, (offset + bits - 1) >> 3
    chunk = value[first:last + 1]
    number = int.from_bytes(chunk, "big") << 8 * (last + 1 - first - len(chunk))
    number = (number >> (7 - ((offset + bits - 1) & 7))) & ((1 << bits) - 1)
    if signed and number >> (bits - 1):
        number -= 1 << bits
    return number


def set_field(value: bytearray, offset: int, bits: int, number: int) -> None:
    """Write the low `bits` bits of number at bit `offset` (inside value)."""
    first, last = offset >> 3, (offset + bits - 1) >> 3
    shift = 7 - ((offset + bits - 1) & 7)
    mask = ((1 << bits) - 1) << shift
    current = int.from_bytes(value[first:last + 1], "big")
    current = (current & ~mask) | ((number << shift) & mask)
    value[first:last + 1] = current.to_bytes(last + 1 - first, "big")


def unsigned_overflow(value: int, increment: int, bits: int, overflow: str
                      ) -> tuple[bool, Optional[int]]:
    """(overflowed, the value to store instead) for value + increment in an unsigned field
    of `bits` bits; `value` is an unsigned 64-bit number (a SET value cast as C does)."""
    maximum = (1 << bits) - 1
    # Redis compares with these as signed 64-bit numbers.
    max_increment = _int64(maximum - value)
    min_increment = _int64(-value)
    if value > maximum or (increment > 0 and increment > max_increment):
        limit = maximum
    elif increment < 0 and increment < min_increment:
        limit = 0
    else:
        return False, None
    if overflow == WRAP:
        return True, (value + increment) & maximum
    return True, limit if overflow == SAT else None


def signed_overflow(value: int, increment: int, bits: int, overflow: str
                    ) -> tuple[bool, Optional[int]]:
    """(overflowed, the value to store instead) for value + increment in a signed field of
    `bits` bits, with Redis's checks made in signed 64-bit arithmetic."""
    maximum = INT64_MAX if bits == 64 else (1 << (bits - 1)) - 1
    minimum = -maximum - 1
    max_increment = _int64(maximum - value)
    min_increment = _int64(minimum - value)
    if value > maximum or (bits != 64 and increment > max_increment) or (
            value >= 0 and increment > 0 and increment > max_increment):
        limit = maximum
    elif value < minimum or (bits != 64 and increment < min_increment) or (
            value < 0 and increment < 0 and increment < min_increment):
        limit = minimum
    else:
        return False, None
    if overflow == WRAP:
        wrapped = (value + increment) & ((1 << bits) - 1)
        return True, wrapped - (1 << bits) if wrapped >> (bits - 1) else wrapped
    return True, limit if overflow == SAT else None


def _write_field(value: bytearray, op: FieldOp) -> tuple[Optional[int], bool]:
    """Run a SET or INCRBY on value: (the reply, None when OVERFLOW FAIL refused it;
    whether the field changed)."""
    old = get_field(value, op.offset, op.bits, op.signed)
    if op.name == b"INCRBY":
        start, increment = old, op.argument
    else:
        # SET checks its value as an increment of 0; unsigned fields read it as C's uint64.
        start, increment = (op.argument if op.signed else op.argument & UINT64_MASK), 0
    check = signed_overflow if op.signed else unsigned_overflow
    overflowed, limit = check(start, increment, op.bits, op.overflow)
    if overflowed and limit is None:   # OVERFLOW FAIL: the field is left as it is
        return None, False
    new = start + increment if limit is None else limit
    set_field(value, op.offset, op.bits, new)
    return (new if op.name == b"INCRBY" else old), new != old


def _bitfield(client: Client, argv: list[bytes], readonly_command: bool) -> list:
    ops = parse_bitfield(client, argv)
    db = client.db
    key = argv[1]
    writes = [op for op in ops if op.name != b"GET"]
    if not writes:
        value = db.get_string(key)
        return [get_field(value or b"", op.offset, op.bits, op.signed) for op in ops]
    if readonly_command:
        raise RedisError(BITFIELD_RO_GET_ONLY)
    value = db.mutable_string(key, db.get_string(key, write=True))
    grown = _grow(value, (max(op.offset + op.bits - 1 for op in writes) >> 3) + 1)
    replies: list = []
    changes = 0
    for op in ops:
        if op.name == b"GET":
            replies.append(get_field(value, op.offset, op.bits, op.signed))
            continue
        reply, changed = _write_field(value, op)
        replies.append(reply)
        if reply is not None and (grown or changed):
            changes += 1
    if changes:
        db.written(key, "$", "setbit", changes)
    return replies


def _bitfield_keys(argv: list[bytes]) -> list:
    """BITFIELD's key with its flags: read-only unless a SET or INCRBY (or something
    unreadable) comes before the end, as Redis's bitfieldGetKeys decides."""
    i = 2
    while i < len(argv):
        left = len(argv) - i - 1
        name = c_keyword(argv[i]).upper()
        if name == b"GET" and left >= 2:
            i += 3
        elif name == b"OVERFLOW" and left >= 1:
            i += 2
        else:
            return [(1, "RW access update")]
    return [(1, "RO access")]


@command("bitfield", getkeys=_bitfield_keys)
def bitfield(client: Client, argv: list[bytes]) -> Reply:
    return _bitfield(client, argv, readonly_command=False)


@command("bitfield_ro")
def bitfield_ro(client: Client, argv: list[bytes]) -> Reply:
    return _bitfield(client, argv, readonly_command=True)
