"""HyperLogLog values in Redis's own string representation.

A HyperLogLog is a plain string value: a 16-byte header ("HYLL", the encoding byte, three
unused bytes, the cached cardinality as 8 little-endian bytes whose top bit marks it stale)
followed by 16384 registers, either dense (6 bits each, packed from the low bits up, 12288
bytes) or sparse (run-length opcodes: ZERO 00xxxxxx, XZERO 01xxxxxx xxxxxxxx, VAL 1vvvvvxx).
Elements are hashed with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register,
the run of zeros above them (plus one) is the candidate register value.

The sparse opcodes a string holds depend on the order registers were set in (adjacent VALs
are merged only near the change), so `HyperLogLog` replays Redis's update steps exactly,
on a list of opcodes rather than on bytes to find the opcode of a register by bisection.
The value stored in the keyspace stays the exact bytes Redis would hold.
"""
from __future__ import annotations

import math
import os
import re
from bisect import bisect_right
from itertools import accumulate
from typing import Optional

MAGIC = b"HYLL"
DENSE = 0
SPARSE = 1
HEADER_SIZE = 16
REGISTERS = 16384                        # 2**14
INDEX_BITS = 14
RUN_BITS = 64 - INDEX_BITS               # Redis's HLL_Q
DENSE_SIZE = HEADER_SIZE + REGISTERS * 6 // 8
SEED = 0xADC83B19
SPARSE_VAL_MAX = 32                      # larger register values need the dense encoding
SPARSE_VAL_MAX_LEN = 4
SPARSE_ZERO_MAX_LEN = 64
ALPHA_INF = 0.721347520444481703680      # 0.5 / ln(2)
_STALE_BIT = 0x80                        # in the cached cardinality's last byte

_MASK64 = (1 << 64) - 1
_MURMUR_M = 0xC6A4A7935BD1E995


class NotHyperLogLog(Exception):
    """A string that is no HyperLogLog (bad magic, encoding or dense length)."""


class CorruptedHyperLogLog(Exception):
    """A sparse HyperLogLog whose opcodes do not cover the 16384 registers."""


# -- hashing ----------------------------------------------------------------------------

def murmurhash64a(data: bytes, seed: int = SEED) -> int:
    """MurmurHash2, 64-bit version, as Redis computes it (blocks read little-endian)."""
    m = _MURMUR_M
    length = len(data)
    h = (seed ^ (length * m)) & _MASK64
    whole = length & ~7
    for pos in range(0, whole, 8):
        k = int.from_bytes(data[pos:pos + 8], "little") * m & _MASK64
        k = (k ^ (k >> 47)) * m & _MASK64
        h = (h ^ k) * m & _MASK64
    if length & 7:
        h = (h ^ int.from_bytes(data[whole:], "little")) * m & _MASK64
    h = (h ^ (h >> 47)) * m & _MASK64
    return h ^ (h >> 47)


def register_and_count(element: bytes) -> tuple[int, int]:
    """The register an element maps to and the length of its 0...01 pattern (1..51)."""
    h = murmurhash64a(element)
    rest = (h >> INDEX_BITS) | (1 << RUN_BITS)
    return h & (REGISTERS - 1), (rest & -rest).bit_length()


def _murmur_lanes(elements: list, length: int) -> tuple[int, int, int]:
    """MurmurHash64A of many elements of one length at once: each element is a 64-bit lane
    of a big integer, 128 bits apart, so that every multiplication and shift of Redis's
    algorithm runs over all lanes in one C-level operation (the products fit in the gaps,
    and masking after each step keeps the lanes apart). Returns the hashes in lanes, the
    mask of the lanes, and their lowest bits."""
    m = _MURMUR_M
    ones = int.from_bytes(_LANE_ONE * len(elements), "little")
    lanes = _MASK64 * ones
    h = ((SEED ^ (length * m)) & _MASK64) * ones
    whole = length & ~7
    data = b"".join(elements)

    def lane_block(pos: int, size: int) -> int:
        """Bytes pos..pos+size-1 of every element, one element per lane (strided copies:
        byte b of every element at once)."""
        block = bytearray(16 * len(elements))
        for b in range(size):
            block[b::16] = data[pos + b::length]
        return int.from_bytes(block, "little")

    for pos in range(0, whole, 8):
        k = lane_block(pos, 8) * m & lanes
        k = (k ^ (k >> 47)) & lanes
        k = k * m & lanes
        h = (h ^ k) * m & lanes
    if length & 7:
        h = (h ^ lane_block(whole, length & 7)) * m & lanes
    h = (h ^ (h >> 47)) & lanes
    h = h * m & lanes
    return (h ^ (h >> 47)) & lanes, lanes, ones


def _lane_values(value: int, count: int) -> list[int]:
    return memoryview(value.to_bytes(16 * count, "little")).cast("Q")[0::2].tolist()


_LANE_ONE = b"\x01" + bytes(15)
_LANES_WORTH_IT = 16       # fewer elements of one length are hashed one by one


def _registers_and_counts_of_length(elements: list, length: int) -> list[tuple[int, int]]:
    """register_and_count for elements all `length` bytes long, lane-parallel: the run
    length is the bit length of the lowest set bit above the register bits."""
    h, lanes, ones = _murmur_lanes(elements, length)
    rest = (h >> INDEX_BITS) & lanes | (1 << RUN_BITS) * ones
    lowest = rest & ((rest ^ lanes) + ones)     # x & -x in each lane
    indexes = _lane_values(h & (REGISTERS - 1) * ones, len(elements))
    counts = map(int.bit_length, _lane_values(lowest, len(elements)))
    return list(zip(indexes, counts))


def registers_and_counts(elements: list) -> list[tuple[int, int]]:
    """register_and_count of each element, in order; elements of equal length are hashed
    together (_murmur_lanes)."""
    lengths = list(map(len, elements))
    if not lengths:
        return []
    if min(lengths) == max(lengths) and len(elements) >= _LANES_WORTH_IT:
        return _registers_and_counts_of_length(elements, lengths[0])
    by_length: dict[int, list[int]] = {}
    for position, length in enumerate(lengths):
        by_length.setdefault(length, []).append(position)
    result: list = [None] * len(elements)
    for length, positions in by_length.items():
        if len(positions) < _LANES_WORTH_IT:
            for position in positions:
                result[position] = register_and_count(elements[position])
        else:
            group = [elements[position] for position in positions]
            for position, pair in zip(positions,
                                      _registers_and_counts_of_length(group, length)):
                result[position] = pair
    return result


# -- dense registers --------------------------------------------------------------------

def _table(func) -> bytes:
    return bytes(func(b) & 0xFF for b in range(256))


_LOW6 = _table(lambda b: b & 63)
_SHR2 = _table(lambda b: b >> 2)
_SHR4 = _table(lambda b: b >> 4)
_SHR6 = _table(lambda b: b >> 6)
_LOW2_SHL4 = _table(lambda b: (b & 3) << 4)
_LOW4_SHL2 = _table(lambda b: (b & 15) << 2)
_LOW2_SHL6 = _table(lambda b: (b & 3) << 6)
_LOW4_SHL4 = _table(lambda b: (b & 15) << 4)
_LOW6_SHL2 = _table(lambda b: (b & 63) << 2)


def _or(a: bytes, b: bytes) -> bytes:
    """Byte-wise OR of two equally long strings whose set bits never overlap."""
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(len(a), "little")


def unpack_dense(packed: "bytes | bytearray") -> bytearray:
    """The 16384 6-bit registers of a dense body as one byte each (three packed bytes hold
    four registers: the whole array is converted in a few C-level passes)."""
    b0, b1, b2 = bytes(packed[0::3]), bytes(packed[1::3]), bytes(packed[2::3])
    registers = bytearray(REGISTERS)
    registers[0::4] = b0.translate(_LOW6)
    registers[1::4] = _or(b0.translate(_SHR6), b1.translate(_LOW4_SHL2))
    registers[2::4] = _or(b1.translate(_SHR4), b2.translate(_LOW2_SHL4))
    registers[3::4] = b2.translate(_SHR2)
    return registers


def pack_dense(registers: "bytes | bytearray") -> bytearray:
    """The dense body holding registers given one byte each (values below 64)."""
    r0, r1 = bytes(registers[0::4]), bytes(registers[1::4])
    r2, r3 = bytes(registers[2::4]), bytes(registers[3::4])
    packed = bytearray(DENSE_SIZE - HEADER_SIZE)
    packed[0::3] = _or(r0.translate(_LOW6), r1.translate(_LOW2_SHL6))
    packed[1::3] = _or(r1.translate(_SHR2), r2.translate(_LOW4_SHL4))
    packed[2::3] = _or(r2.translate(_SHR4), r3.translate(_LOW6_SHL2))
    return packed


def dense_get(packed: "bytes | bytearray", index: int) -> int:
    """One register of a packed dense body."""
    byte, shift = divmod(index * 6, 8)
    low = packed[byte] >> shift
    if shift > 2:
        low |= packed[byte + 1] << (8 - shift)
    return low & 63


def dense_set(packed: bytearray, index: int, value: int) -> None:
    """Write one register of a packed dense body."""
    byte, shift = divmod(index * 6, 8)
    packed[byte] = (packed[byte] & ~(63 << shift) & 0xFF) | ((value << shift) & 0xFF)
    if shift > 2:
        packed[byte + 1] = (packed[byte + 1] & ~(63 >> (8 - shift))) | (value >> (8 - shift))


# -- sparse opcodes ---------------------------------------------------------------------

# One opcode: XZERO takes two bytes (one when the string ends after its first byte; Redis
# then reads the terminating zero as its second byte), ZERO and VAL one.
_OPCODE = re.compile(rb"[\x40-\x7f][\x00-\xff]?|[\x00-\x3f\x80-\xff]", re.S)


def _span(op: bytes) -> int:
    first = op[0]
    if first & 0x80:
        return (first & 3) + 1
    if first & 0x40:
        return (((first & 0x3F) << 8) | (op[1] if len(op) > 1 else 0)) + 1
    return first + 1


_SPANS: dict[bytes, int] = {bytes([b]): _span(bytes([b])) for b in range(256)}
_SPANS.update((bytes([b, c]), _span(bytes([b, c]))) for b in range(0x40, 0x80)
              for c in range(256))


def zero_ops(length: int) -> bytes:
    """A run of zero registers: ZERO up to 64, XZERO beyond."""
    if length > SPARSE_ZERO_MAX_LEN:
        return bytes((0x40 | ((length - 1) >> 8), (length - 1) & 0xFF))
    return _BYTES[length - 1]


_BYTES = [bytes([b]) for b in range(256)]
_VAL_OPS = [[b""] * (SPARSE_VAL_MAX_LEN + 1)] + [
    [b""] + [_BYTES[0x80 | (value - 1) << 2 | (length - 1)]
             for length in range(1, SPARSE_VAL_MAX_LEN + 1)]
    for value in range(1, SPARSE_VAL_MAX + 1)]


def _expansion(op: bytes) -> bytes:
    """The registers an opcode stands for, one byte each."""
    first = op[0]
    if first & 0x80:
        return _BYTES[((first >> 2) & 31) + 1] * ((first & 3) + 1)
    return bytes(_SPANS[op])


_EXPANSIONS = {op: _expansion(op) for op in _BYTES}


# Past this many elements left to add to a dense body, unpacking it pays off.
_UNPACK_WORTH_IT = 300


class _Promote(Exception):
    """The sparse encoding cannot take the change: go dense first."""


class SparseRegisters:
    """A sparse body as its opcodes, with the register each one starts at, so that the
    opcode covering a register is found by bisection (Redis walks the bytes)."""

    __slots__ = ("ops", "starts", "size")

    def __init__(self, body: "bytes | bytearray") -> None:
        self.ops: list[bytes] = _OPCODE.findall(body)
        # starts[i]: the first register of ops[i]; starts[-1]: the registers covered.
        self.starts = [0, *accumulate(map(_SPANS.__getitem__, self.ops))]
        self.size = HEADER_SIZE + len(body)      # the whole string's length

    def body(self) -> bytes:
        return b"".join(self.ops)

    def registers(self) -> bytes:
        """All registers one byte each; CorruptedHyperLogLog unless exactly 16384 are
        covered."""
        if self.starts[-1] != REGISTERS:
            raise CorruptedHyperLogLog()
        expansions = _EXPANSIONS
        return b"".join([expansions.get(op) or bytes(_SPANS[op]) for op in self.ops])

    def histogram(self) -> list[int]:
        """How many registers hold each value 0..63 (Redis's hllSparseRegHisto)."""
        counts = [0] * 64
        for op, first, end in zip(self.ops, self.starts, self.starts[1:]):
            head = op[0]
            counts[((head >> 2) & 31) + 1 if head & 0x80 else 0] += end - first
        if self.starts[-1] != REGISTERS:
            raise CorruptedHyperLogLog()
        return counts

    def set(self, index: int, count: int, max_bytes: int) -> int:
        """Raise register `index` to `count` as Redis's hllSparseSet does: 1 if it changed,
        0 if it already held as much; _Promote when the dense encoding must take over,
        CorruptedHyperLogLog when no opcode covers the register."""
        if count > SPARSE_VAL_MAX:
            raise _Promote()
        starts, ops = self.starts, self.ops
        if index >= starts[-1]:
            raise CorruptedHyperLogLog()
        i = bisect_right(starts, index) - 1
        op = ops[i]
        head = op[0]
        first = starts[i]
        span = starts[i + 1] - first
        if head & 0x80:
            current = ((head >> 2) & 31) + 1
            if current >= count:
                return 0
            if span == 1:
                ops[i] = _VAL_OPS[count][1]
                self._merge(i)
                return 1
        elif head < 0x40 and span == 1:
            ops[i] = _VAL_OPS[count][1]
            self._merge(i)
            return 1
        # Split the opcode into up to three: before, the register, after.
        last = first + span - 1
        seq = []
        if head & 0x80:
            if index != first:
                seq.append((_VAL_OPS[current][index - first], index - first))
            seq.append((_VAL_OPS[count][1], 1))
            if index != last:
                seq.append((_VAL_OPS[current][last - index], last - index))
        else:
            if index != first:
                seq.append((zero_ops(index - first), index - first))
            seq.append((_VAL_OPS[count][1], 1))
            if index != last:
                seq.append((zero_ops(last - index), last - index))
        old_len = 2 if 0x40 <= head < 0x80 else 1
        delta = sum(len(new) for new, _ in seq) - old_len
        if delta > 0 and self.size + delta > max_bytes:
            raise _Promote()
        self.size += delta
        if len(op) < old_len:
            # An XZERO cut short by the string's end: Redis writes the new opcodes over it,
            # the last byte of them falls past the end.
            self.ops[i:] = _OPCODE.findall(b"".join(new for new, _ in seq)[:-1])
            self.starts[i + 1:] = [first + s for s in accumulate(
                map(_SPANS.__getitem__, self.ops[i:]))]
        else:
            ops[i:i + 1] = [new for new, _ in seq]
            starts[i + 1:i + 1] = list(accumulate((s for _, s in seq[:-1]), initial=first))[1:]
        self._merge(i)
        return 1

    def _merge(self, changed: int) -> None:
        """Redis's step 4: from the opcode before the change, look at up to 5 opcodes and
        merge adjacent VALs of one value while their length fits."""
        ops, starts = self.ops, self.starts
        p = changed - 1 if changed > 0 else 0
        budget = 5
        while p < len(ops) and budget:
            budget -= 1
            head = ops[p][0]
            if not head & 0x80:
                p += 1
                continue
            if p + 1 < len(ops):
                following = ops[p + 1][0]
                if following & 0x80 and (following ^ head) & 0x7C == 0:
                    length = (head & 3) + (following & 3) + 2
                    if length <= SPARSE_VAL_MAX_LEN:
                        ops[p + 1] = _VAL_OPS[((head >> 2) & 31) + 1][length]
                        del ops[p]
                        del starts[p + 1]
                        self.size -= 1
                        continue
            p += 1

    def decode(self) -> bytes:
        """PFDEBUG DECODE's text: z:len, Z:len, v:value,len."""
        words = []
        for op, first, end in zip(self.ops, self.starts, self.starts[1:]):
            head = op[0]
            if head & 0x80:
                words.append(b"v:%d,%d" % (((head >> 2) & 31) + 1, end - first))
            else:
                words.append(b"%s:%d" % (b"Z" if head & 0x40 else b"z", end - first))
        return b" ".join(words)


# -- cardinality ------------------------------------------------------------------------

def _sigma(x: float) -> float:
    """Ertl's sigma function (arXiv:1702.01284), summed as Redis does."""
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if previous == z:
            return z


def _tau(x: float) -> float:
    """Ertl's tau function, computed as Redis does."""
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        z -= pow(1 - x, 2) * y
        if previous == z:
            return z / 3


def estimate(histogram: list[int]) -> int:
    """The cardinality from the register histogram (Redis 7.0's hllCount)."""
    m = float(REGISTERS)
    z = m * _tau((m - histogram[RUN_BITS + 1]) / m)
    for j in range(RUN_BITS, 0, -1):
        z += histogram[j]
        z *= 0.5
    z += m * _sigma(histogram[0] / m)
    value = ALPHA_INF * m * m / z
    whole = math.floor(value)
    return int(whole) + (value - whole >= 0.5)     # llround: halves away from zero


def registers_histogram(registers: "bytes | bytearray") -> list[int]:
    """How many registers hold each value 0..63 (counting stops once all are seen)."""
    counts = [0] * 64
    seen = 0
    for value in range(64):
        if seen == len(registers):
            break
        counts[value] = registers.count(_BYTES[value])
        seen += counts[value]
    return counts


# -- the value --------------------------------------------------------------------------

def new_value() -> bytes:
    """An empty HyperLogLog as PFADD creates it: sparse, one XZERO for all registers."""
    return MAGIC + bytes((SPARSE,)) + bytes(11) + zero_ops(REGISTERS)


def check(value: "bytes | bytearray") -> None:
    """NotHyperLogLog unless value has a HyperLogLog header (Redis's isHLLObjectOrReply)."""
    if len(value) < HEADER_SIZE or value[:4] != MAGIC or value[4] > SPARSE or \
            (value[4] == DENSE and len(value) != DENSE_SIZE):
        raise NotHyperLogLog()


def cached_count(value: "bytes | bytearray") -> Optional[int]:
    """The cardinality cached in a HyperLogLog's header, None when it is stale."""
    if value[15] & _STALE_BIT:
        return None
    return int.from_bytes(value[8:16], "little")


def cache_count(value: bytearray, count: int) -> None:
    """Store a freshly computed cardinality in the header of a HyperLogLog string."""
    value[8:16] = count.to_bytes(8, "little")


class HyperLogLog:
    """A HyperLogLog string opened for a command: its header, and its registers either
    packed (dense) or as sparse opcodes. `to_bytes` gives the string Redis would hold."""

    __slots__ = ("header", "packed", "sparse")

    def __init__(self, value: "bytes | bytearray") -> None:
        check(value)
        self.header = bytearray(value[:HEADER_SIZE])
        self.packed: Optional[bytearray] = None
        self.sparse: Optional[SparseRegisters] = None
        if value[4] == DENSE:
            self.packed = bytearray(value[HEADER_SIZE:])
        else:
            self.sparse = SparseRegisters(value[HEADER_SIZE:])

    def to_bytes(self) -> bytes:
        body = self.packed if self.sparse is None else self.sparse.body()
        return bytes(self.header) + body    # type: ignore[operator]  # one of the two is set

    @property
    def is_sparse(self) -> bool:
        return self.sparse is not None

    def invalidate_cache(self) -> None:
        self.header[15] |= _STALE_BIT

    # -- registers --

    def registers(self) -> bytes:
        """All registers one byte each (CorruptedHyperLogLog for a broken sparse body)."""
        if self.sparse is not None:
            return self.sparse.registers()
        return bytes(unpack_dense(self.packed))    # type: ignore[arg-type]  # dense: set

    def count(self) -> int:
        """The estimated cardinality, computed (not the cached one)."""
        if self.sparse is not None:
            return estimate(self.sparse.histogram())
        registers = unpack_dense(self.packed)   # type: ignore[arg-type]  # dense: set
        return estimate(registers_histogram(registers))

    def to_dense(self) -> bool:
        """Convert a sparse body to dense (keeping the header but its encoding byte);
        False if it already was. CorruptedHyperLogLog for a broken sparse body."""
        if self.sparse is None:
            return False
        self.packed = pack_dense(self.sparse.registers())
        self.sparse = None
        self.header[4] = DENSE
        return True

    def set_register(self, index: int, count: int, max_bytes: int) -> int:
        """Raise one register to count if it is lower: 1 if it changed, else 0. A sparse
        body turns dense when the value or the size it would need is too big."""
        sparse = self.sparse
        if sparse is not None:
            try:
                changed = sparse.set(index, count, max_bytes)
                if changed:
                    self.invalidate_cache()    # as Redis's sparse update does at once
                return changed
            except _Promote:
                self.to_dense()
        packed = self.packed
        if count > dense_get(packed, index):    # type: ignore[arg-type]  # dense: set
            dense_set(packed, index, count)     # type: ignore[arg-type]  # dense: set
            return 1
        return 0

    def add(self, elements: list, max_bytes: int) -> int:
        """PFADD's loop: add each element, returning how many changed a register. A broken
        sparse body raises CorruptedHyperLogLog, the elements before it staying added."""
        changed = 0
        pairs = registers_and_counts(elements)
        for done, (index, count) in enumerate(pairs):
            if self.sparse is None and len(pairs) - done > _UNPACK_WORTH_IT:
                return changed + self._add_dense_many(pairs[done:])
            changed += self.set_register(index, count, max_bytes)
        return changed

    def _add_dense_many(self, pairs: list[tuple[int, int]]) -> int:
        """Raise many registers of a dense body: on the registers unpacked one per byte,
        then packed again (cheaper than reaching each one in the packed bits)."""
        registers = unpack_dense(self.packed)   # type: ignore[arg-type]  # dense: set
        changed = 0
        for index, count in pairs:
            if count > registers[index]:
                registers[index] = count
                changed += 1
        if changed:
            self.packed = pack_dense(registers)
        return changed


_LANE_HIGH = int.from_bytes(b"\x80" * REGISTERS, "little")
_LANES = int.from_bytes(b"\xff" * REGISTERS, "little")


def max_registers(a: "bytes | bytearray", b: "bytes | bytearray") -> bytes:
    """Register-wise maximum of two one-byte-per-register arrays (values below 64), in
    big-integer operations over all lanes at once: (a | 0x80) - b keeps each lane's top
    bit exactly when a >= b, and never borrows from the next lane."""
    x, y = int.from_bytes(a, "little"), int.from_bytes(b, "little")
    keep_a = (((x | _LANE_HIGH) - y) & _LANE_HIGH) >> 7
    mask = keep_a * 0xFF
    return ((x & mask) | (y & (mask ^ _LANES))).to_bytes(REGISTERS, "little")


def self_test(cycles: int, largest: int, sparse_max_bytes: int) -> Optional[str]:
    """PFSELFTEST: the dense register access keeps every value and its neighbours, and the
    estimate stays within bounds as elements are added to a dense and a sparse HyperLogLog
    alike (which must agree); the error text on failure, None on success."""
    for _ in range(cycles):
        registers = os.urandom(REGISTERS).translate(_LOW6)
        packed = pack_dense(registers)
        back = unpack_dense(packed)
        if back != registers:
            index = next(i for i in range(REGISTERS) if back[i] != registers[i])
            return "TESTFAILED Register %d should be %d but is %d" % (
                index, registers[index], back[index])
    registers = os.urandom(REGISTERS).translate(_LOW6)
    packed = bytearray(len(pack_dense(registers)))
    for index, value in enumerate(registers):
        dense_set(packed, index, value)
    for index, value in enumerate(registers):
        if dense_get(packed, index) != value:
            return "TESTFAILED Register %d should be %d but is %d" % (
                index, value, dense_get(packed, index))

    dense = HyperLogLog(new_value())
    dense.to_dense()
    sparse = HyperLogLog(new_value())
    relative_error = 1.04 / math.sqrt(REGISTERS)
    seed = int.from_bytes(os.urandom(8), "little")
    added = 0
    checkpoint = 1
    while checkpoint <= largest:
        # The elements up to the next checkpoint, in slices that bound the memory used.
        for start in range(added + 1, checkpoint + 1, 100_000):
            batch = [(j ^ seed).to_bytes(8, "little")
                     for j in range(start, min(start + 100_000, checkpoint + 1))]
            dense.add(batch, sparse_max_bytes)
            sparse.add(batch, sparse_max_bytes)
        added = checkpoint
        if checkpoint < sparse_max_bytes / 2 and not sparse.is_sparse:
            return "TESTFAILED sparse encoding not used"
        estimated = dense.count()
        if estimated != sparse.count():
            return "TESTFAILED dense/sparse disagree"
        error = abs(checkpoint - estimated)
        allowed = 1 if checkpoint == 10 else math.ceil(relative_error * 6 * checkpoint)
        if error > allowed:
            return "TESTFAILED Too big error. card:%d abserr:%d" % (checkpoint, error)
        checkpoint *= 10
    return None
