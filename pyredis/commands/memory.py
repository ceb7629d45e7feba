"""MEMORY USAGE: an estimate of the bytes a key and its value take, sampled as Redis does."""
from __future__ import annotations

from itertools import islice
from typing import Any

from ..args import ArgReader
from ..errors import SYNTAX, syntax_error
from ..types import INT64_MAX
from . import command

DEFAULT_SAMPLES = 5        # Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES
OBJECT_HEADER = 16         # a robj
ENTRY = 24                 # a dictEntry, or a node of a collection


def _string_size(data: Any) -> int:
    size = len(data) if isinstance(data, (bytes, bytearray)) else len(str(data))
    return size + 9        # sds header and terminator


def _collection_size(value: Any, samples: int) -> int:
    """The container plus its elements, from the first `samples` elements extrapolated to
    all of them (Redis's objectComputeSize)."""
    count = len(value)
    if not count:
        return OBJECT_HEADER
    items = value.items() if isinstance(value, dict) else value
    sampled = 0
    total = 0
    for item in islice(items, samples):
        parts = item if isinstance(item, tuple) else (item,)
        total += ENTRY + sum(_string_size(p) for p in parts)
        sampled += 1
    return OBJECT_HEADER + ENTRY * 2 + total * count // sampled


def value_size(value: Any, samples: int) -> int:
    if isinstance(value, (bytes, bytearray)):
        return OBJECT_HEADER + _string_size(value)
    try:
        return _collection_size(value, samples)
    except TypeError:       # a value that is not a sized iterable
        return OBJECT_HEADER + ENTRY


@command("memory|usage")
def memory_usage(client, argv):
    samples = DEFAULT_SAMPLES
    reader = ArgReader(argv, 3)
    while reader.more():
        if reader.keyword() != b"SAMPLES":
            raise syntax_error()
        samples = reader.next_int(minimum=0, range_error=SYNTAX) or INT64_MAX   # 0: all
    key = argv[2]
    value = client.db.data.get(key)   # as Redis: no expiry check, no access
    if value is None:
        return None
    return value_size(value, samples) + _string_size(key) + ENTRY
