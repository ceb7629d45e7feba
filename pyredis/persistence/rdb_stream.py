"""Streams in Redis's RDB: RDB_TYPE_STREAM_LISTPACKS_2 (Redis 7.0) written and read, and
RDB_TYPE_STREAM_LISTPACKS (Redis 5 to 6.2) read.

A stream is its nodes, each a 16-byte big-endian node ID and a listpack holding a master
entry (live count, deleted count, the master fields, 0) then the entries (flags, ID deltas
from the node ID, fields unless the master's, values, element count); then the length, the
last ID, and for version 2 the first ID, the greatest deleted ID and the entries added; then
the consumer groups with their PELs (ID, delivery time, delivery count) and consumers (name,
seen time, their PEL's IDs). Nodes are written with their live entries only.
"""
from __future__ import annotations

import struct
from typing import Any, Callable

from ..types.stream import (LISTPACK_INT, UINT64_MAX, Consumer, ConsumerGroup, PendingEntry,
                            StreamNode, StreamValue, id_delta)

TYPE_STREAM_LISTPACKS = 15
TYPE_STREAM_LISTPACKS_2 = 19

FLAG_DELETED = 1
FLAG_SAMEFIELDS = 2


# -- listpacks ------------------------------------------------------------------------------

def _backlen(size: int) -> bytes:
    """An element's length after it, 7 bits a byte, readable from the right."""
    if size <= 127:
        return bytes((size,))
    groups = []
    while size:
        groups.append(size & 127)
        size >>= 7
    groups.reverse()
    return bytes([groups[0]] + [g | 128 for g in groups[1:]])


def _int_element(value: int) -> bytes:
    if 0 <= value <= 127:
        body = bytes((value,))
    elif -4096 <= value <= 4095:
        value &= 0x1FFF
        body = bytes((0xC0 | (value >> 8), value & 0xFF))
    elif -32768 <= value <= 32767:
        body = b"\xf1" + value.to_bytes(2, "little", signed=True)
    elif -8388608 <= value <= 8388607:
        body = b"\xf2" + value.to_bytes(3, "little", signed=True)
    elif -2**31 <= value < 2**31:
        body = b"\xf3" + value.to_bytes(4, "little", signed=True)
    else:
        body = b"\xf4" + value.to_bytes(8, "little", signed=True)
    return body + _backlen(len(body))


def _string_element(value: bytes) -> bytes:
    if len(value) <= 20 and LISTPACK_INT.match(value) and -2**63 <= int(value) < 2**63:
        return _int_element(int(value))
    n = len(value)
    if n < 64:
        body = bytes((0x80 | n,)) + value
    elif n < 4096:
        body = bytes((0xE0 | (n >> 8), n & 0xFF)) + value
    else:
        body = b"\xf0" + struct.pack("<I", n) + value
    return body + _backlen(len(body))


def node_listpack(node: StreamNode) -> bytes:
    """The node's listpack with its live entries (no tombstones)."""
    master_id = node.master_id
    elements = [_int_element(len(node.ids)), _int_element(0),
                _int_element(len(node.master_fields))]
    elements += [_string_element(f) for f in node.master_fields]
    elements.append(_int_element(0))
    count = 4 + len(node.master_fields)
    for stream_id, fields in zip(node.ids, node.entries):
        same = fields[::2] == node.master_fields
        elements.append(_int_element(FLAG_SAMEFIELDS if same else 0))
        elements.append(_int_element(id_delta(stream_id[0], master_id[0])))
        elements.append(_int_element(id_delta(stream_id[1], master_id[1])))
        if same:
            parts = fields[1::2]
            pieces = 3 + len(parts)
        else:
            elements.append(_int_element(len(fields) // 2))
            parts = fields
            pieces = 4 + len(fields)
        elements += [_string_element(p) for p in parts]
        elements.append(_int_element(pieces))
        count += pieces + 1
    body = b"".join(elements)
    return struct.pack("<IH", 6 + len(body) + 1, min(count, 65535)) + body + b"\xff"


# -- writing ----------------------------------------------------------------------------------

def _raw_id(stream_id: tuple[int, int]) -> bytes:
    return struct.pack(">QQ", *stream_id)


def encode_stream(stream: StreamValue, encode_length: Callable[[int], bytes],
                  encode_string: Callable[[bytes], bytes]) -> bytes:
    """The RDB_TYPE_STREAM_LISTPACKS_2 body of a stream."""
    parts = [encode_length(len(stream.nodes))]
    for node in stream.nodes:
        parts.append(encode_length(16) + _raw_id(node.master_id))
        listpack = node_listpack(node)
        parts.append(encode_length(len(listpack)) + listpack)
    for number in (stream.length, *stream.last_id, *stream.first_id,
                   *stream.max_deleted_id, stream.entries_added, len(stream.groups)):
        parts.append(encode_length(number))
    for name, group in stream.sorted_groups():
        parts.append(encode_string(name))
        parts.append(encode_length(group.last_id[0]) + encode_length(group.last_id[1]))
        entries_read = UINT64_MAX if group.entries_read is None else group.entries_read
        parts.append(encode_length(entries_read))
        parts.append(encode_length(len(group.pel)))
        for stream_id, nack in group.pel.items():
            parts.append(_raw_id(stream_id) + struct.pack("<q", nack.delivery_time)
                         + encode_length(nack.delivery_count))
        consumers = group.sorted_consumers()
        parts.append(encode_length(len(consumers)))
        for consumer in consumers:
            parts.append(encode_string(consumer.name) + struct.pack("<q", consumer.seen_time)
                         + encode_length(len(consumer.pel)))
            parts += [_raw_id(stream_id) for stream_id in consumer.pel]
    return b"".join(parts)


# -- reading ----------------------------------------------------------------------------------

def _read_node(master_id: tuple[int, int], items: list[bytes], error: type) -> StreamNode:
    """A node from its listpack's elements; tombstones are counted, not kept."""
    try:
        numbers = iter(items)
        live, deleted, field_count = int(next(numbers)), int(next(numbers)), \
            int(next(numbers))
        master_fields = tuple(next(numbers) for _ in range(field_count))
        if next(numbers) != b"0":
            raise error("bad stream master entry")
        node = StreamNode(master_id, master_fields)
        for flags_text in numbers:
            flags = int(flags_text)
            stream_id = ((master_id[0] + int(next(numbers))) & UINT64_MAX,
                         (master_id[1] + int(next(numbers))) & UINT64_MAX)
            if flags & FLAG_SAMEFIELDS:
                values = [next(numbers) for _ in range(field_count)]
                fields: tuple = tuple(x for pair in zip(master_fields, values) for x in pair)
            else:
                fields = tuple(next(numbers) for _ in range(2 * int(next(numbers))))
            next(numbers)     # the entry's element count
            node.add(stream_id, fields)
            if flags & FLAG_DELETED:
                node.remove_at(len(node.ids) - 1)
    except (StopIteration, ValueError) as exc:
        raise error("bad stream listpack") from exc
    if len(node.ids) != live or node.deleted != deleted:
        raise error("stream listpack counts do not match its entries")
    return node


def read_stream(reader: Any, kind: int, listpack_entries: Callable[[bytes], list[bytes]],
                error: type) -> StreamValue:
    """A stream of RDB type `kind` (15 or 19) from `reader` (rdb.Reader)."""
    stream = StreamValue()
    for _ in range(reader.length()):
        key = reader.string()
        if len(key) != 16:
            raise error("stream node key is not a stream ID")
        master_id = struct.unpack(">QQ", key)
        node = _read_node(master_id, listpack_entries(reader.string()), error)
        if node.ids:
            if stream.keys and master_id <= stream.keys[-1]:
                raise error("stream nodes out of order")
            stream.keys.append(master_id)
            stream.nodes.append(node)
    stream.length = reader.length()
    stream.last_id = (reader.length(), reader.length())
    if stream.length != sum(len(node.ids) for node in stream.nodes):
        raise error("stream length does not match its entries")
    if kind == TYPE_STREAM_LISTPACKS_2:
        stream.first_id = (reader.length(), reader.length())
        stream.max_deleted_id = (reader.length(), reader.length())
        stream.entries_added = reader.length()
    else:
        first = stream.first_entry()
        stream.first_id = first[0] if first else (0, 0)
        stream.entries_added = stream.length
    for _ in range(reader.length()):
        name = reader.string()
        last_id = (reader.length(), reader.length())
        if kind == TYPE_STREAM_LISTPACKS_2:
            entries_read = reader.length()
            read = None if entries_read == UINT64_MAX else entries_read
        else:
            read = stream.estimate_entries_read(last_id)
        if name in stream.groups:
            raise error("duplicate consumer group")
        group = stream.groups[name] = ConsumerGroup(last_id, read)
        for _ in range(reader.length()):
            stream_id = struct.unpack(">QQ", reader.take(16))
            delivery_time = struct.unpack("<q", reader.take(8))[0]
            group.pel[stream_id] = PendingEntry(None, delivery_time, reader.length())
        for _ in range(reader.length()):
            consumer_name = reader.string()
            if consumer_name in group.consumers:
                raise error("duplicate stream consumer")
            seen = struct.unpack("<q", reader.take(8))[0]
            consumer = group.consumers[consumer_name] = Consumer(consumer_name, seen)
            for _ in range(reader.length()):
                stream_id = struct.unpack(">QQ", reader.take(16))
                nack = group.pel.get(stream_id)
                if nack is None or nack.consumer is not None:
                    raise error("consumer PEL entry not in the group's PEL")
                nack.consumer = consumer
                consumer.pel[stream_id] = nack
        if any(nack.consumer is None for nack in group.pel.values()):
            raise error("group PEL entry without a consumer")
    return stream
