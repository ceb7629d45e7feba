"""The stream value: entries by ID in a sorted list of small nodes, and consumer groups.

Redis keeps a stream as a radix tree of listpacks, each listpack holding up to
stream-node-max-entries entries (or stream-node-max-bytes bytes) after the ID it is keyed
by. Here `keys` is the sorted list of the nodes' first IDs and `nodes` the nodes, so XADD
appends to the last node (amortised O(1)), a range starts with a bisection over the keys and
one inside a node (O(log n + M)), XDEL touches one node, and trimming drops whole nodes from
the head. A node counts its deleted entries and estimates its listpack size as Redis encodes
it, because both decide when Redis starts a new node, and whole nodes are what approximate
trimming (`~`) removes.

IDs are (ms, seq) pairs of 64-bit unsigned integers. A consumer group keeps its last
delivered ID, its entries-read counter (None when unknown), its pending entries list (PEL:
ID -> PendingEntry, ordered) and its consumers, each with its own ordered PEL sharing the
group's PendingEntry objects.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Any, Iterator, Optional

from sortedcontainers import SortedDict

from . import register_type
from .integers import INT64_MAX, INT64_MIN

StreamID = tuple[int, int]
Fields = tuple  # field, value, field, value ... (bytes), never changed once added
Entry = tuple[StreamID, Fields]

UINT64_MAX = 2**64 - 1
MIN_ID: StreamID = (0, 0)
MAX_ID: StreamID = (UINT64_MAX, UINT64_MAX)
LISTPACK_MAX_SIZE = 1 << 30        # Redis's STREAM_LISTPACK_MAX_SIZE


def format_id(stream_id: StreamID) -> bytes:
    return b"%d-%d" % stream_id


def increment_id(stream_id: StreamID) -> Optional[StreamID]:
    """The next ID, None past the last possible one."""
    ms, seq = stream_id
    if seq < UINT64_MAX:
        return ms, seq + 1
    if ms < UINT64_MAX:
        return ms + 1, 0
    return None


def decrement_id(stream_id: StreamID) -> Optional[StreamID]:
    """The previous ID, None before 0-0."""
    ms, seq = stream_id
    if seq:
        return ms, seq - 1
    if ms:
        return ms - 1, UINT64_MAX
    return None


# -- listpack sizes -------------------------------------------------------------------------

LISTPACK_INT = re.compile(rb"(?:0|-?[1-9][0-9]{0,19})\Z")
_INT_START = frozenset(b"-0123456789"[i:i + 1] for i in range(11))


def _backlen_size(length: int) -> int:
    if length <= 127:
        return 1
    if length < 16383:
        return 2
    if length < 2097151:
        return 3
    if length < 268435455:
        return 4
    return 5


def _int_size(value: int) -> int:
    """Bytes of an integer element of a listpack (encoding, data and back length)."""
    if 0 <= value <= 127:
        size = 1
    elif -4096 <= value <= 4095:
        size = 2
    elif -32768 <= value <= 32767:
        size = 3
    elif -8388608 <= value <= 8388607:
        size = 4
    elif -2**31 <= value < 2**31:
        size = 5
    else:
        size = 9
    return size + 1


def listpack_string_size(value: bytes) -> int:
    """Bytes of a string element: listpacks store strings that read as integers as such."""
    if len(value) <= 20 and value[:1] in _INT_START and LISTPACK_INT.match(value):
        number = int(value)
        if INT64_MIN <= number <= INT64_MAX:
            return _int_size(number)
    n = len(value)
    size = n + (1 if n < 64 else 2 if n < 4096 else 5)
    return size + _backlen_size(size)


def id_delta(a: int, b: int) -> int:
    """a - b as the int64 a listpack stores for an ID part (unsigned subtraction, read
    signed)."""
    d = (a - b) & UINT64_MAX
    return d - 2**64 if d > INT64_MAX else d


class StreamNode:
    """One listpack's worth of entries. `ids`/`entries` hold the live ones; `deleted` counts
    the tombstones Redis leaves in the listpack, `entry_bytes` what all of them take."""

    __slots__ = ("master_id", "master_fields", "ids", "entries", "deleted", "entry_bytes",
                 "last_added", "fixed_bytes")

    def __init__(self, master_id: StreamID, master_fields: tuple) -> None:
        self.master_id = master_id
        self.master_fields = master_fields
        # Header, end, and the master entry's parts that never change (fields count,
        # fields, terminator).
        self.fixed_bytes = (7 + _int_size(len(master_fields))
                            + sum(listpack_string_size(f) for f in master_fields) + _int_size(0))
        self.ids: list[StreamID] = []
        self.entries: list[Fields] = []
        self.deleted = 0
        self.entry_bytes = 0
        self.last_added = master_id     # the last ID in the listpack, tombstones included

    def listpack_bytes(self) -> int:
        """The listpack's size: header, master entry (count, deleted, fields, 0), entries."""
        return (self.fixed_bytes + _int_size(len(self.ids)) + _int_size(self.deleted)
                + self.entry_bytes)

    def add(self, stream_id: StreamID, fields: Fields) -> None:
        same = fields[::2] == self.master_fields
        size = (_int_size(2 if same else 0)
                + _int_size(id_delta(stream_id[0], self.master_id[0]))
                + _int_size(id_delta(stream_id[1], self.master_id[1])))
        if same:
            size += sum(listpack_string_size(v) for v in fields[1::2])
            pieces = 3 + len(fields) // 2
        else:
            size += _int_size(len(fields) // 2) + sum(listpack_string_size(p) for p in fields)
            pieces = 4 + len(fields)
        self.entry_bytes += size + _int_size(pieces)
        self.ids.append(stream_id)
        self.entries.append(fields)
        self.last_added = stream_id

    def remove_at(self, index: int, count: int = 1) -> None:
        del self.ids[index:index + count]
        del self.entries[index:index + count]
        self.deleted += count

    def copy(self) -> "StreamNode":
        node = StreamNode(self.master_id, self.master_fields)
        node.ids = list(self.ids)
        node.entries = list(self.entries)
        node.deleted = self.deleted
        node.entry_bytes = self.entry_bytes
        node.last_added = self.last_added
        node.fixed_bytes = self.fixed_bytes
        return node


# -- consumer groups -----------------------------------------------------------------------

class PendingEntry:
    """An entry delivered to a consumer and not acknowledged yet (Redis's streamNACK)."""

    __slots__ = ("consumer", "delivery_time", "delivery_count")

    def __init__(self, consumer: Optional["Consumer"], delivery_time: int,
                 delivery_count: int = 1) -> None:
        self.consumer = consumer
        self.delivery_time = delivery_time      # unix ms
        self.delivery_count = delivery_count


class Consumer:
    __slots__ = ("name", "seen_time", "pel")

    def __init__(self, name: bytes, seen_time: int) -> None:
        self.name = name
        self.seen_time = seen_time              # unix ms of its last read or claim
        self.pel: SortedDict = SortedDict()     # StreamID -> PendingEntry


class ConsumerGroup:
    __slots__ = ("last_id", "entries_read", "pel", "consumers")

    def __init__(self, last_id: StreamID, entries_read: Optional[int]) -> None:
        self.last_id = last_id
        self.entries_read = entries_read        # None: not known (Redis's -1)
        self.pel: SortedDict = SortedDict()     # StreamID -> PendingEntry
        self.consumers: dict[bytes, Consumer] = {}

    def sorted_consumers(self) -> list[Consumer]:
        """Consumers in name order, as Redis's radix tree lists them."""
        return [self.consumers[name] for name in sorted(self.consumers)]

    def add_consumer(self, name: bytes, now_ms: int) -> Optional[Consumer]:
        """A new consumer; None if one has that name."""
        if name in self.consumers:
            return None
        consumer = self.consumers[name] = Consumer(name, now_ms)
        return consumer

    def delete_consumer(self, consumer: Consumer) -> int:
        """Remove a consumer and its pending entries from the group: how many it had."""
        for stream_id in consumer.pel:
            del self.pel[stream_id]
        del self.consumers[consumer.name]
        return len(consumer.pel)

    def acknowledge(self, stream_id: StreamID) -> bool:
        nack = self.pel.pop(stream_id, None)
        if nack is None:
            return False
        if nack.consumer is not None:
            nack.consumer.pel.pop(stream_id, None)
        return True

    def deliver(self, stream_id: StreamID, consumer: Consumer, now_ms: int) -> None:
        """Record a new delivery of `stream_id` to `consumer` (XREADGROUP with `>`): a
        pending entry another consumer held moves over with its count reset."""
        nack = self.pel.get(stream_id)
        if nack is None:
            nack = self.pel[stream_id] = PendingEntry(consumer, now_ms)
        else:
            if nack.consumer is not None:
                nack.consumer.pel.pop(stream_id, None)
            nack.consumer = consumer
            nack.delivery_time = now_ms
            nack.delivery_count = 1
        consumer.pel[stream_id] = nack

    def assign(self, stream_id: StreamID, nack: PendingEntry, consumer: Consumer) -> None:
        """Give a pending entry to `consumer` (XCLAIM, XAUTOCLAIM)."""
        if nack.consumer is not consumer:
            if nack.consumer is not None:
                nack.consumer.pel.pop(stream_id, None)
            consumer.pel[stream_id] = nack
            nack.consumer = consumer

    def copy(self) -> "ConsumerGroup":
        group = ConsumerGroup(self.last_id, self.entries_read)
        for name, consumer in self.consumers.items():
            duplicate = group.consumers[name] = Consumer(name, consumer.seen_time)
            for stream_id, nack in consumer.pel.items():
                copied = PendingEntry(duplicate, nack.delivery_time, nack.delivery_count)
                duplicate.pel[stream_id] = copied
                group.pel[stream_id] = copied
        return group


# -- the stream -------------------------------------------------------------------------------

class StreamValue:
    __slots__ = ("keys", "nodes", "length", "last_id", "first_id", "max_deleted_id",
                 "entries_added", "groups")

    type_name = b"stream"

    def __init__(self) -> None:
        self.keys: list[StreamID] = []          # each node's master ID, ascending
        self.nodes: list[StreamNode] = []
        self.length = 0
        self.last_id: StreamID = MIN_ID         # the last ID ever added (or XSETID)
        self.first_id: StreamID = MIN_ID        # the first live entry's ID, 0-0 when empty
        self.max_deleted_id: StreamID = MIN_ID  # the greatest ID removed by XDEL
        self.entries_added = 0
        self.groups: dict[bytes, ConsumerGroup] = {}

    def __len__(self) -> int:
        return self.length

    def encoding(self, config: Any) -> bytes:
        return b"stream"

    # -- adding ---------------------------------------------------------------------------

    def append(self, stream_id: StreamID, fields: Fields, node_max_bytes: int,
               node_max_entries: int) -> None:
        """Add an entry whose ID is greater than last_id (the caller checked), in the tail
        node unless Redis would start a new one."""
        node = self.nodes[-1] if self.nodes else None
        if node is not None:
            if node_max_bytes == 0 or node_max_bytes > LISTPACK_MAX_SIZE:
                node_max_bytes = LISTPACK_MAX_SIZE
            if node.listpack_bytes() + sum(len(p) for p in fields) >= node_max_bytes:
                node = None
            elif node_max_entries and len(node.ids) + node.deleted >= node_max_entries:
                node = None
        if node is None:
            node = StreamNode(stream_id, tuple(fields[::2]))
            self.keys.append(stream_id)
            self.nodes.append(node)
        node.add(stream_id, tuple(fields))
        self.length += 1
        self.entries_added += 1
        self.last_id = stream_id
        if self.length == 1:
            self.first_id = stream_id

    def next_auto_id(self, now_ms: int) -> Optional[StreamID]:
        """The ID of `XADD *`: the time, or the last ID's next sequence when the clock did
        not move past it; None when the IDs are exhausted."""
        if now_ms > self.last_id[0]:
            return now_ms, 0
        return increment_id(self.last_id)

    # -- reading --------------------------------------------------------------------------

    def _locate(self, stream_id: StreamID) -> tuple[int, int]:
        """(node index, position in it) of the first live entry >= stream_id, or past the
        end (len(nodes), 0)."""
        n = bisect_right(self.keys, stream_id) - 1
        if n < 0:
            n = 0
        nodes = self.nodes
        while n < len(nodes):
            ids = nodes[n].ids
            i = bisect_left(ids, stream_id)
            if i < len(ids):
                return n, i
            n += 1
        return n, 0

    def range(self, start: StreamID, end: StreamID, count: int = 0,
              reverse: bool = False) -> Iterator[Entry]:
        """Entries with start <= ID <= end, ascending (descending if reverse), at most
        `count` of them (0: all)."""
        if start > end:
            return
        emitted = 0
        nodes = self.nodes
        if not reverse:
            n, i = self._locate(start)
            while n < len(nodes):
                node = nodes[n]
                ids, entries = node.ids, node.entries
                while i < len(ids):
                    stream_id = ids[i]
                    if stream_id > end:
                        return
                    yield stream_id, entries[i]
                    emitted += 1
                    if emitted == count:
                        return
                    i += 1
                n, i = n + 1, 0
        else:
            n = bisect_right(self.keys, end) - 1
            if n < 0:
                return
            i = bisect_right(nodes[n].ids, end) - 1
            while n >= 0:
                node = nodes[n]
                ids, entries = node.ids, node.entries
                while i >= 0:
                    stream_id = ids[i]
                    if stream_id < start:
                        return
                    yield stream_id, entries[i]
                    emitted += 1
                    if emitted == count:
                        return
                    i -= 1
                n -= 1
                if n >= 0:
                    i = len(nodes[n].ids) - 1

    def get(self, stream_id: StreamID) -> Optional[Fields]:
        n, i = self._locate(stream_id)
        if n < len(self.nodes) and self.nodes[n].ids[i] == stream_id:
            return self.nodes[n].entries[i]
        return None

    def first_entry(self) -> Optional[Entry]:
        return next(self.range(MIN_ID, MAX_ID), None)

    def last_entry(self) -> Optional[Entry]:
        return next(self.range(MIN_ID, MAX_ID, reverse=True), None)

    def last_valid_id(self) -> StreamID:
        """The last live entry's ID (0-0 when empty)."""
        entry = self.last_entry()
        return entry[0] if entry is not None else MIN_ID

    def __iter__(self) -> Iterator[Entry]:
        return self.range(MIN_ID, MAX_ID)

    # -- removing -------------------------------------------------------------------------

    def delete(self, stream_id: StreamID) -> bool:
        """XDEL of one ID: True if the entry existed."""
        n, i = self._locate(stream_id)
        if n >= len(self.nodes) or self.nodes[n].ids[i] != stream_id:
            return False
        node = self.nodes[n]
        node.remove_at(i)
        if not node.ids:
            del self.nodes[n]
            del self.keys[n]
        self.length -= 1
        if stream_id > self.max_deleted_id:
            self.max_deleted_id = stream_id
        if not self.length:
            self.first_id = MIN_ID
        elif stream_id == self.first_id:
            self.first_id = self.first_entry()[0]  # type: ignore[index]  # entries remain
        return True

    def trim(self, maxlen: Optional[int] = None, minid: Optional[StreamID] = None,
             approx: bool = False, limit: int = 0) -> int:
        """Remove entries from the head until at most `maxlen` remain, or none below `minid`
        is left (Redis's streamTrim): whole nodes first; with `approx`, only whole nodes.
        `limit` (0: none) bounds how many entries may go. Returns how many went."""
        deleted = 0
        drop = 0                     # leading nodes removed whole
        nodes = self.nodes
        while drop < len(nodes):
            if maxlen is not None and self.length <= maxlen:
                break
            node = nodes[drop]
            entries = len(node.ids)
            if limit and deleted + entries > limit:
                break
            if maxlen is not None:
                whole = self.length - entries >= maxlen
            else:
                whole = node.last_added < minid   # type: ignore[operator]  # minid is given
            if whole:
                drop += 1
                self.length -= entries
                deleted += entries
                continue
            if approx:
                break
            if maxlen is not None:
                count = self.length - maxlen
            else:
                count = bisect_left(node.ids, minid)  # type: ignore[type-var]  # minid is given
            node.remove_at(0, count)
            self.length -= count
            deleted += count
            if not node.ids:
                drop += 1
            break
        if drop:
            del nodes[:drop]
            del self.keys[:drop]
        if not self.length:
            self.first_id = MIN_ID
        elif deleted:
            self.first_id = nodes[0].ids[0]
        return deleted

    # -- consumer groups: lag and entries read -------------------------------------------

    def has_tombstones(self, start: Optional[StreamID]) -> bool:
        """Whether entries from `start` (None: the beginning) on may include deleted ones
        (Redis's streamRangeHasTombstones, which only knows the greatest deleted ID)."""
        if not self.length or self.max_deleted_id == MIN_ID:
            return False
        if self.first_id > self.max_deleted_id:
            return False
        return (start or MIN_ID) <= self.max_deleted_id

    def estimate_entries_read(self, stream_id: StreamID) -> Optional[int]:
        """How many entries were ever added up to `stream_id`, when that can be known (Redis's
        streamEstimateDistanceFromFirstEverEntry); None when it cannot."""
        if not self.entries_added:
            return 0
        if not self.length and stream_id <= self.last_id:
            return self.entries_added
        if stream_id == self.last_id:
            return self.entries_added
        if stream_id > self.last_id:
            return None
        if self.max_deleted_id == MIN_ID or self.max_deleted_id < self.first_id:
            if stream_id < self.first_id:
                return self.entries_added - self.length
            if stream_id == self.first_id:
                return self.entries_added - self.length + 1
        return None

    def lag(self, group: ConsumerGroup) -> Optional[int]:
        """Entries not delivered to the group yet, None when not known."""
        if not self.entries_added:
            return 0
        if group.entries_read is not None and not self.has_tombstones(group.last_id):
            return self.entries_added - group.entries_read
        entries_read = self.estimate_entries_read(group.last_id)
        return None if entries_read is None else self.entries_added - entries_read

    def advance_group(self, group: ConsumerGroup, stream_id: StreamID) -> None:
        """The group was served `stream_id`, past its last delivered ID."""
        if group.entries_read is not None and not self.has_tombstones(stream_id):
            group.entries_read += 1
        elif self.entries_added:
            group.entries_read = self.estimate_entries_read(stream_id)
        group.last_id = stream_id

    def sorted_groups(self) -> list[tuple[bytes, ConsumerGroup]]:
        """The groups in name order, as Redis's radix tree lists them."""
        return sorted(self.groups.items())

    # -- whole value ----------------------------------------------------------------------

    def digest_fields(self) -> Iterator[tuple[bytes, Fields]]:
        """The entries as DEBUG DIGEST mixes them: IDs written "ms.seq"."""
        for (ms, seq), fields in self:
            yield b"%d.%d" % (ms, seq), fields

    def node_count(self) -> int:
        return len(self.nodes)

    def free_effort(self) -> int:
        """About how many allocations freeing the stream takes (UNLINK's choice of freeing
        later), as Redis estimates it: its nodes, and each group with a PEL the size of the
        first group's."""
        effort = len(self.nodes)
        if self.groups:
            first = next(iter(self.groups.values()))
            effort += len(self.groups) * (1 + len(first.pel))
        return effort

    def copy(self) -> "StreamValue":
        duplicate = StreamValue()
        duplicate.keys = list(self.keys)
        duplicate.nodes = [node.copy() for node in self.nodes]
        duplicate.length = self.length
        duplicate.last_id = self.last_id
        duplicate.first_id = self.first_id
        duplicate.max_deleted_id = self.max_deleted_id
        duplicate.entries_added = self.entries_added
        duplicate.groups = {name: group.copy() for name, group in self.groups.items()}
        return duplicate


register_type(StreamValue, b"stream")
