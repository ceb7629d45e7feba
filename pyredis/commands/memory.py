"""MEMORY: USAGE (a key's bytes, estimated as Redis's objectComputeSize estimates them), STATS
and DOCTOR (from the server's memory accounting, the one INFO memory shows), MALLOC-STATS,
PURGE and HELP.

USAGE prices a value by the structures Redis would hold it in (the encoding OBJECT ENCODING
reports: a listpack's bytes, a hashtable's entries and buckets, a skiplist's nodes, a stream's
radix tree and listpacks), each allocation rounded up to the allocator's size class, so that
its figures compare with redis-server's: what a Python object takes says nothing a Redis user
can act on."""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
import tempfile
from itertools import islice
from typing import TYPE_CHECKING, Any, Iterable, Optional

from ..args import ArgReader
from ..db import is_string
from ..errors import SYNTAX, syntax_error
from ..info import memory_overhead
from ..sizes import (DICT_ENTRY, POINTER, ROBJ, alloc_size, key_size, sds_size, string_size,
                     table_slots)
from ..protocol.encode import OK, Reply, Verbatim
from ..types import type_name
from ..types.integers import INT64_MAX
from ..types.stream import StreamValue, listpack_string_size
from ..types.zset import listpack_score_text
from . import command, help_reply
from .keys import encoding_name

if TYPE_CHECKING:
    from ..client import Client

DEFAULT_SAMPLES = 5        # Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES

# Sizes of Redis's structures on 64 bits.
DICT = 56
QUICKLIST = 40
QUICKLIST_NODE = 40
ZSET = 16
ZSKIPLIST = 32
ZSKIPLIST_HEADER = 24 + 32 * 16      # a node with ZSKIPLIST_MAXLEVEL levels
STREAM = 80
STREAM_ID = 16
RAX_NODE = 4 + 30 * 8                # Redis's own per-node guess (streamRadixTreeMemoryUsage)
STREAM_CG = 40
STREAM_CONSUMER = 24
STREAM_NACK = 24
STREAM_PREALLOC = 4096               # a stream's newest listpack is allocated this big
LISTPACK_EMPTY = 7                   # header and terminator


def _sampled(total: int, items: Iterable[Any], samples: int, size_of: Any) -> int:
    """Redis's extrapolation: the mean size of the first `samples` items times their count."""
    sizes = [size_of(item) for item in islice(items, min(samples, total))]
    return int(sum(sizes) / len(sizes) * total) if sizes else 0


def _listpack_size(total: int, entries: Iterable[bytes], samples: int) -> int:
    """A listpack's bytes, from the entries sampled (Redis reads the real blob; pyredis has
    none, so it is priced from a sample of its entries)."""
    return LISTPACK_EMPTY + _sampled(total, entries, samples, listpack_string_size)


def _hashtable_size(count: int, items: Iterable[Any], samples: int, size_of: Any) -> int:
    return DICT + table_slots(count) * POINTER + _sampled(count, items, samples, size_of)


def _list_size(value: Any, config: Any, samples: int) -> int:
    count = len(value)
    # Redis samples whole nodes of many entries: a few times more entries than nodes.
    payload = _listpack_size(count, value, max(samples, DEFAULT_SAMPLES * 8)) - LISTPACK_EMPTY
    fill = config.list_max_listpack_size
    if fill > 0:
        nodes = -(-count // fill)
    else:
        node_bytes = 4096 << min(-fill - 1, 4)
        nodes = max(1, -(-payload // (node_bytes - LISTPACK_EMPTY)))
    per_node = alloc_size(LISTPACK_EMPTY + payload // nodes) if count else 0
    return QUICKLIST + nodes * (QUICKLIST_NODE + per_node)


def _intset_size(members: list[bytes]) -> int:
    widest = max((abs(int(m)) for m in members), default=0)
    width = 2 if widest < 2**15 else 4 if widest < 2**31 else 8
    return alloc_size(8 + width * len(members))


def _zset_size(value: Any, samples: int, config: Any) -> int:
    count = len(value)
    if encoding_name(value, config) == b"listpack":
        members = list(value)
        scores = [listpack_score_text(value.score(m)) for m in members]
        return alloc_size(_listpack_size(2 * count, members + scores, 2 * count))

    def element(member: bytes) -> int:
        return sds_size(member) + DICT_ENTRY + alloc_size(24 + 16)
    return (ZSET + ZSKIPLIST + DICT + table_slots(count) * POINTER + ZSKIPLIST_HEADER
            + _sampled(count, value, samples, element))


def _rax_size(elements: int) -> int:
    """Redis's guess for a radix tree of stream IDs, with the nodes such a tree has: the
    head, then for IDs that share a prefix a branch and, per ID, its compressed rest and its
    leaf."""
    nodes = elements + 1 if elements < 2 else 2 * elements + 2
    return elements * STREAM_ID + nodes * RAX_NODE


def _stream_size(value: StreamValue, samples: int) -> int:
    nodes = value.nodes
    size = STREAM + _rax_size(len(nodes))
    lengths = [alloc_size(node.listpack_bytes()) for node in nodes[:-1]]
    if nodes:
        lengths.append(alloc_size(max(nodes[-1].listpack_bytes(), STREAM_PREALLOC)))
    if len(lengths) <= samples:
        size += sum(lengths)
    else:
        size += sum(lengths[:samples]) // samples * (len(lengths) - 1) + lengths[-1]
    for group in value.groups.values():
        size += STREAM_CG + _rax_size(len(group.pel)) + STREAM_NACK * len(group.pel)
        for consumer in group.consumers.values():
            size += STREAM_CONSUMER + len(consumer.name) + _rax_size(len(consumer.pel))
    return size


def value_size(value: Any, samples: int, config: Any) -> int:
    """The bytes of a value, its object header included (Redis's objectComputeSize)."""
    if is_string(value):
        return string_size(value)
    if isinstance(value, StreamValue):
        return ROBJ + _stream_size(value, samples)
    encoding = encoding_name(value, config)
    kind = type_name(value)
    count = len(value)
    if kind == b"list":
        size = _list_size(value, config, samples)
    elif encoding == b"intset":
        size = _intset_size(list(value))
    elif kind == b"zset":
        size = _zset_size(value, samples, config)
    elif encoding == b"listpack":     # a small hash: fields and values in one listpack
        flat = [part for pair in value.items() for part in pair]
        size = alloc_size(_listpack_size(len(flat), flat, len(flat)))
    elif isinstance(value, dict):
        size = _hashtable_size(count, value.items(), samples,
                               lambda pair: sds_size(pair[0]) + sds_size(pair[1]) + DICT_ENTRY)
    else:
        size = _hashtable_size(count, value, samples, lambda m: sds_size(m) + DICT_ENTRY)
    return ROBJ + size


def entry_size(key: bytes, value: Any, config: Any, samples: int = DEFAULT_SAMPLES) -> int:
    """What a key costs: its value, its name and its table entry (what MEMORY USAGE answers,
    and what used_memory adds up for the keys)."""
    return key_size(key, config) + value_size(value, samples, config)


@command("memory|usage")
def memory_usage(client: Client, argv: list[bytes]) -> Reply:
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
    return entry_size(key, value, client.server.config, samples)


@command("memory|stats")
def memory_stats(client: Client, argv: list[bytes]) -> Reply:
    mh = memory_overhead(client.server)
    stats: dict[bytes, Any] = {
        b"peak.allocated": mh.peak_allocated,
        b"total.allocated": mh.total_allocated,
        b"startup.allocated": mh.startup_allocated,
        b"replication.backlog": mh.repl_backlog,
        b"clients.slaves": mh.clients_slaves,
        b"clients.normal": mh.clients_normal,
        b"cluster.links": mh.cluster_links,
        b"aof.buffer": mh.aof_buffer,
        b"lua.caches": mh.lua_caches,
        b"functions.caches": mh.functions_caches,
    }
    for db in mh.dbs:
        stats[b"db.%d" % db.index] = {
            b"overhead.hashtable.main": db.main,
            b"overhead.hashtable.expires": db.expires,
            b"overhead.hashtable.slot-to-keys": db.slot_to_keys,
        }
    stats.update({
        b"overhead.total": mh.overhead_total,
        b"keys.count": mh.total_keys,
        b"keys.bytes-per-key": mh.bytes_per_key,
        b"dataset.bytes": mh.dataset,
        b"dataset.percentage": mh.dataset_perc,
        b"peak.percentage": mh.peak_perc,
        b"allocator.allocated": mh.allocator_allocated,
        b"allocator.active": mh.allocator_active,
        b"allocator.resident": mh.allocator_resident,
        b"allocator-fragmentation.ratio": mh.allocator_frag,
        b"allocator-fragmentation.bytes": mh.allocator_frag_bytes,
        b"allocator-rss.ratio": mh.allocator_rss,
        b"allocator-rss.bytes": mh.allocator_rss_bytes,
        b"rss-overhead.ratio": mh.rss_extra,
        b"rss-overhead.bytes": mh.rss_extra_bytes,
        b"fragmentation": mh.total_frag,
        b"fragmentation.bytes": mh.total_frag_bytes,
    })
    return stats


EMPTY_REPORT = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't "
    "be used in these conditions. Please, leave for your mission on Earth and fill it with "
    "some data. The new Sam and I will be back to our programming as soon as I finished "
    "rebooting.\n")
NO_ISSUES_REPORT = ("Hi Sam, I can't find any memory issue in your instance. I can only "
                    "account for what occurs on this base.\n")
ISSUES_HEADER = "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
ISSUES_FOOTER = "I'm here to keep you safe, Sam. I want to help you.\n"
BIG_PEAK = (
    " * Peak memory: In the past this instance used more than 150% the memory that is "
    "currently using. The allocator is normally not able to release memory after a peak, so "
    "you can expect to see a big fragmentation ratio, however this is actually harmless and "
    "is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is "
    "currently bigger than expected, the memory will be used as soon as you fill the Redis "
    "instance with more data. If the memory peak was only occasional and you want to try to "
    "reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is "
    "to shutdown and restart the instance.\n\n")
BIG_CLIENT_BUFFERS = (
    " * Big client buffers: The clients output buffers in this instance are greater than "
    "200K per client (on average). This may result from different causes, like Pub/Sub "
    "clients subscribed to channels bot not receiving data fast enough, so that data piles "
    "on the Redis instance output buffer, or clients sending commands with large replies or "
    "very large sequences of commands in the same pipeline. Please use the CLIENT LIST "
    "command in order to investigate the issue if it causes problems in your instance, or to "
    "understand better why certain clients are using a big amount of memory.\n\n")
MANY_SCRIPTS = (
    " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). "
    "This may be because scripts are generated and `EVAL`ed, instead of being parameterized "
    "(with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called "
    "periodically, the scripts' caches may end up consuming most of your memory.\n\n")


def doctor_report(client: Client) -> str:
    """Redis's checks and texts. An instance is "empty" when it has no keys or holds less
    than 5MB beyond what it took at startup (the interpreter alone takes more than Redis's
    whole 5MB). The checks on the allocator's fragmentation and RSS overheads never fire:
    pyredis has no allocator figures of its own (its active and resident equal used_memory)
    and the interpreter's code makes most of its resident set, and there are no replicas
    whose buffers could grow."""
    server = client.server
    mh = memory_overhead(server)
    if not mh.total_keys or mh.total_allocated - mh.startup_allocated < 5 * 1024 * 1024:
        return EMPTY_REPORT
    issues = []
    if mh.peak_allocated / mh.total_allocated > 1.5:
        issues.append(BIG_PEAK)
    if mh.clients_normal // max(len(server.clients), 1) > 200 * 1024:
        issues.append(BIG_CLIENT_BUFFERS)
    if len(server.scripting.scripts) > 1000:
        issues.append(MANY_SCRIPTS)
    if not issues:
        return NO_ISSUES_REPORT
    return ISSUES_HEADER + "".join(issues) + ISSUES_FOOTER


@command("memory|doctor")
def memory_doctor(client: Client, argv: list[bytes]) -> Reply:
    return Verbatim(doctor_report(client).encode())


def pymalloc_stats() -> Optional[str]:
    """CPython's own allocator report (sys._debugmallocstats writes it to the C stderr),
    or None when pymalloc is not the allocator."""
    if not hasattr(sys, "_debugmallocstats"):
        return None
    with tempfile.TemporaryFile() as capture:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(capture.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode(errors="replace")
    return text if "Small block threshold" in text else None


@command("memory|malloc-stats")
def memory_malloc_stats(client: Client, argv: list[bytes]) -> Reply:
    text = pymalloc_stats()
    if text is None:
        return b"Stats not supported for the current allocator"
    return Verbatim(text.encode())


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def heap_in_use() -> int:
    """Bytes the interpreter's allocators have handed out and not got back: pymalloc's
    blocks in use and libc malloc's (its heap and its mmapped chunks). What a Python
    process holds beyond its code, as Redis's allocator counts what Redis holds."""
    total = 0
    text = pymalloc_stats()
    if text is not None:
        for line in text.splitlines():
            if line.startswith("# bytes in allocated blocks"):
                total += int(line.rsplit("=", 1)[1].strip().replace(",", ""))
    path = ctypes.util.find_library("c")
    mallinfo2 = getattr(ctypes.CDLL(path), "mallinfo2", None) if path else None
    if mallinfo2 is not None:
        mallinfo2.restype = _MallInfo2
        info = mallinfo2()
        total += info.uordblks + info.hblkhd
    return total


def _malloc_trim() -> None:
    """Give libc's free pages back to the system (jemalloc's purge, for glibc)."""
    path = ctypes.util.find_library("c")
    if path is None:
        return
    trim = getattr(ctypes.CDLL(path), "malloc_trim", None)
    if trim is not None:
        trim(0)


@command("memory|purge")
def memory_purge(client: Client, argv: list[bytes]) -> Reply:
    gc.collect()
    _malloc_trim()
    return OK


@command("memory|help")
def memory_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, (
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
    ))
