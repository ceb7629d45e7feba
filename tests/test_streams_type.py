"""The stream value against a naive model (a dict of ID -> fields): adding, ranges, deletion
and trimming, whatever the node sizes; consumer group bookkeeping."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyredis.types.stream import (MAX_ID, MIN_ID, ConsumerGroup, StreamValue, decrement_id,
                                  increment_id)

ids = st.tuples(st.integers(0, 50), st.integers(0, 3))
operations = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(1, 3), st.sampled_from([b"a", b"b", b"12"])),
    st.tuples(st.just("del"), ids),
    st.tuples(st.just("maxlen"), st.integers(0, 30), st.booleans()),
    st.tuples(st.just("minid"), ids, st.booleans()),
), max_size=120)


def _check(stream: StreamValue, model: dict) -> None:
    expected = sorted(model.items())
    assert list(stream) == expected
    assert len(stream) == len(model)
    assert stream.first_id == (expected[0][0] if expected else MIN_ID)
    assert list(stream.range(MIN_ID, MAX_ID, reverse=True)) == expected[::-1]
    for node in stream.nodes:
        assert node.ids, "no empty node is kept"
    assert stream.keys == sorted(stream.keys)


@settings(max_examples=300, deadline=None)
@given(operations, st.integers(1, 6), st.sampled_from([0, 60, 200]))
def test_stream_matches_model(ops, node_entries, node_bytes):
    stream = StreamValue()
    model: dict = {}
    clock = 0
    for op in ops:
        if op[0] == "add":
            clock += op[1]
            new_id = stream.next_auto_id(clock)
            fields = (b"f", op[2]) if op[1] != 2 else (b"g", op[2], b"h", b"x")
            stream.append(new_id, fields, node_bytes, node_entries)
            model[new_id] = fields
        elif op[0] == "del":
            existed = op[1] in model
            assert stream.delete(op[1]) == existed
            model.pop(op[1], None)
        elif op[0] == "maxlen":
            removed = stream.trim(maxlen=op[1], approx=op[2])
            if not op[2]:
                assert len(stream) == min(len(model), op[1])
            assert removed == len(model) - len(stream)
            for key in sorted(model)[:removed]:
                del model[key]
        else:
            removed = stream.trim(minid=op[1], approx=op[2])
            below = [k for k in sorted(model) if k < op[1]]
            assert removed <= len(below)
            if not op[2]:
                assert removed == len(below)
            for key in below[:removed]:
                del model[key]
        _check(stream, model)


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, min_size=1, max_size=40, unique=True), ids, ids,
       st.integers(0, 5), st.booleans())
def test_ranges(keys, start, end, count, reverse):
    stream = StreamValue()
    for stream_id in sorted(keys):
        stream.append(stream_id, (b"f", b"v"), 0, 3)
    expected = [k for k in sorted(keys) if start <= k <= end]
    if reverse:
        expected.reverse()
    if count:
        expected = expected[:count]
    assert [e[0] for e in stream.range(start, end, count, reverse)] == expected


def test_id_arithmetic():
    assert increment_id((1, 2**64 - 1)) == (2, 0)
    assert increment_id(MAX_ID) is None
    assert decrement_id((2, 0)) == (1, 2**64 - 1)
    assert decrement_id(MIN_ID) is None


def test_approximate_trim_removes_whole_nodes_only():
    stream = StreamValue()
    for i in range(1, 26):
        stream.append((i, 0), (b"f", b"v"), 0, 10)
    assert stream.trim(maxlen=12, approx=True) == 10
    assert len(stream) == 15
    assert stream.trim(maxlen=12) == 3


def test_node_size_follows_stream_node_max_bytes():
    stream = StreamValue()
    for i in range(1, 11):
        stream.append((i, 0), (b"field", b"x" * 30), 100, 0)
    assert stream.node_count() > 1
    assert all(node.listpack_bytes() < 140 for node in stream.nodes)


def test_group_pel_and_copy_are_independent():
    stream = StreamValue()
    for i in range(1, 4):
        stream.append((i, 0), (b"f", b"v"), 0, 100)
    group = stream.groups[b"g"] = ConsumerGroup(MIN_ID, 0)
    alice = group.add_consumer(b"alice", 1000)
    bob = group.add_consumer(b"bob", 1000)
    assert group.add_consumer(b"alice", 1000) is None
    for stream_id, _ in stream.range(MIN_ID, MAX_ID):
        stream.advance_group(group, stream_id)
        group.deliver(stream_id, alice, 1000)
    assert group.entries_read == 3 and stream.lag(group) == 0
    group.assign((2, 0), group.pel[(2, 0)], bob)
    assert list(alice.pel) == [(1, 0), (3, 0)] and list(bob.pel) == [(2, 0)]
    duplicate = stream.copy()
    assert group.acknowledge((1, 0)) and not group.acknowledge((1, 0))
    copied = duplicate.groups[b"g"]
    assert list(copied.pel) == [(1, 0), (2, 0), (3, 0)]
    assert copied.pel[(2, 0)] is copied.consumers[b"bob"].pel[(2, 0)]
    assert group.delete_consumer(bob) == 1 and list(group.pel) == [(3, 0)]


def test_lag_with_tombstones():
    stream = StreamValue()
    for i in range(1, 6):
        stream.append((i, 0), (b"f", b"v"), 0, 100)
    group = ConsumerGroup(MIN_ID, 0)
    assert stream.lag(group) == 5
    stream.delete((3, 0))
    assert stream.lag(group) is None
    stream.advance_group(group, (1, 0))
    assert group.entries_read is None
    assert stream.estimate_entries_read((5, 0)) == 5


def test_free_effort_counts_nodes_and_groups():
    stream = StreamValue()
    for i in range(1, 11):
        stream.append((i, 0), (b"f", b"v"), 0, 2)
    group = stream.groups[b"g"] = ConsumerGroup(MIN_ID, 0)
    group.deliver((1, 0), group.add_consumer(b"c", 0), 0)
    stream.groups[b"h"] = ConsumerGroup(MIN_ID, 0)
    assert stream.free_effort() == 5 + 2 * 2
