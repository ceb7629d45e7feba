"""What Redis's structures take in memory on 64 bits (its allocator's size classes, dict
entries, pointers): the units of used_memory, MEMORY USAGE and the clients' buffers. The
price of a key's name and of a string value live here, below the keyspace, which takes
them on every write."""
from __future__ import annotations

from typing import Any, Final

from .types.integers import is_int64

DICT_ENTRY: Final = 24          # sizeof(dictEntry): what MEMORY USAGE and MEMORY STATS count
POINTER: Final = 8
ROBJ: Final = 16
CLUSTER_ENTRY_METADATA: Final = 16
EMBSTR_SIZE_LIMIT: Final = 44   # Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT


def alloc_size(n: int) -> int:
    """The size class an allocation of n bytes gets (jemalloc's: 8, 16, then multiples of
    16 up to 128, then four classes per doubling)."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) & ~15
    step = (1 << (n - 1).bit_length()) // 8
    return (n + step - 1) // step * step


# A dict entry as the allocator hands it out (its size class): what used_memory counts.
DICT_ENTRY_ALLOC: Final = alloc_size(DICT_ENTRY)


def table_slots(used: int) -> int:
    """The buckets of a Redis dict holding `used` entries: a power of two, at least 4."""
    return 1 << max(2, (used - 1).bit_length()) if used else 0


def _sds_size_of(n: int) -> int:
    header = 1 if 0 < n < 32 else 3 if n < 256 else 5 if n < 65536 else 9
    return alloc_size(header + n + 1)


# Every write prices its key: the common lengths are looked up rather than computed.
_SDS_SIZES: Final = [_sds_size_of(n) for n in range(4096)]


def sds_size(data: Any) -> int:
    """An sds string's allocation: header by length, the bytes and a terminator."""
    n = len(data)
    return _SDS_SIZES[n] if n < 4096 else _sds_size_of(n)


def key_size(key: bytes, config: Any) -> int:
    """What a key costs besides its value: its name and its table entry (and the slot
    bookkeeping a cluster node keeps per key)."""
    if config.cluster_enabled:
        return sds_size(key) + DICT_ENTRY + CLUSTER_ENTRY_METADATA
    return sds_size(key) + DICT_ENTRY


_EMBSTR_SIZES: Final = [alloc_size(ROBJ + 3 + n + 1) for n in range(EMBSTR_SIZE_LIMIT + 1)]

# By a string's first byte: a digit or '-', it may be an integer (one table lookup per write).
_MAY_BE_INT: Final = bytes(1 if c == 45 or 48 <= c <= 57 else 0 for c in range(256))


def string_size(value: Any) -> int:
    """A string by its encoding (Redis's tryObjectEncoding): an int is the object alone,
    an embstr one allocation, a raw string (or one changed in place, a bytearray) the object
    and its sds. Every write prices its value, so the short bytes go first and the integer
    test is tried only on what could be one."""
    n = len(value)
    if n <= EMBSTR_SIZE_LIMIT and type(value) is bytes:
        if n and _MAY_BE_INT[value[0]]:
            first = value[0]
            if n <= 18 and first != 45 and value.isdigit():     # fits in 64 bits
                return ROBJ if first != 48 or n == 1 else _EMBSTR_SIZES[n]   # no leading 0
            if is_int64(value):
                return ROBJ
        return _EMBSTR_SIZES[n]
    if n > EMBSTR_SIZE_LIMIT or type(value) is bytearray:
        return ROBJ + sds_size(value)
    return _EMBSTR_SIZES[n]
