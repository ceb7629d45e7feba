"""What Redis's structures take in memory on 64 bits (its allocator's size classes, dict
entries, pointers): the units of used_memory, MEMORY USAGE and the clients' buffers."""


DICT_ENTRY = 24
POINTER = 8
ROBJ = 16
CLUSTER_ENTRY_METADATA = 16


def alloc_size(n: int) -> int:
    """The size class an allocation of n bytes gets (jemalloc's: 8, 16, then multiples of
    16 up to 128, then four classes per doubling)."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) & ~15
    step = (1 << (n - 1).bit_length()) // 8
    return (n + step - 1) // step * step


def table_slots(used: int) -> int:
    """The buckets of a Redis dict holding `used` entries: a power of two, at least 4."""
    return 1 << max(2, (used - 1).bit_length()) if used else 0


