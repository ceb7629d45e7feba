"""HyperLogLog: the value type's algorithms (property tests), redis-py integration tests
(sync and asyncio), and differential tests against redis-server: the stored strings must be
byte for byte Redis's, sparse and dense, and PFCOUNT's estimates the same numbers."""
from __future__ import annotations

import asyncio
import random

import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st

from differential import assert_same, both
from helpers import ONE_IO_BACKEND
from pyredis.types import hll
from test_notifications import _events, servers  # noqa: F401 (servers: fixture)

# Register arrays from a seed (drawing 16384 values directly is too big an example), with
# a cap on the values so that sparse-like arrays of mostly zeros come up too.
registers = st.tuples(st.integers(0, 2**32), st.sampled_from([1, 2, 33, 64])).map(
    lambda seed_cap: bytes(b % seed_cap[1] for b in
                           random.Random(seed_cap[0]).randbytes(hll.REGISTERS)))
elements = st.lists(st.binary(max_size=40), max_size=300)


# -- the value type -----------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(registers)
def test_dense_packing_round_trips(regs):
    packed = hll.pack_dense(regs)
    assert len(packed) == hll.DENSE_SIZE - hll.HEADER_SIZE
    assert hll.unpack_dense(packed) == regs
    assert [hll.dense_get(packed, i) for i in range(0, hll.REGISTERS, 97)] == \
        list(regs[0::97])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=30), max_size=80))
def test_hashing_many_at_once_equals_one_by_one(items):
    items += [b"x" * 13] * 20     # a group large enough for the lane-parallel path
    assert hll.registers_and_counts(items) == [hll.register_and_count(i) for i in items]


@settings(max_examples=30, deadline=None)
@given(registers, registers)
def test_register_maximum(a, b):
    assert hll.max_registers(a, b) == bytes(map(max, a, b))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, hll.REGISTERS - 1), st.integers(0, 63)),
                max_size=200))
def test_dense_set_changes_one_register(writes):
    packed = bytearray(hll.DENSE_SIZE - hll.HEADER_SIZE)
    expected = bytearray(hll.REGISTERS)
    for index, value in writes:
        hll.dense_set(packed, index, value)
        expected[index] = value
    assert hll.unpack_dense(packed) == expected


@settings(max_examples=60, deadline=None)
@given(elements, st.sampled_from([30, 300, 3000]))
def test_sparse_and_dense_agree(items, max_bytes):
    sparse = hll.HyperLogLog(hll.new_value())
    dense = hll.HyperLogLog(hll.new_value())
    dense.to_dense()
    assert sparse.add(items, max_bytes) == dense.add(items, max_bytes)
    assert sparse.registers() == dense.registers()
    assert sparse.count() == dense.count()
    expected = bytearray(hll.REGISTERS)
    for item in items:
        index, count = hll.register_and_count(item)
        expected[index] = max(expected[index], count)
    assert sparse.registers() == expected
    # The string re-reads as the same registers, within the size limit while sparse.
    again = hll.HyperLogLog(sparse.to_bytes())
    assert again.registers() == expected
    if again.is_sparse:
        assert len(sparse.to_bytes()) <= max(max_bytes, len(hll.new_value()))


def test_estimator_edges():
    assert hll.estimate([hll.REGISTERS] + [0] * 63) == 0
    empty = hll.HyperLogLog(hll.new_value())
    assert empty.count() == 0
    assert hll.self_test(2, 1000, 3000) is None


def test_broken_sparse_bodies_are_reported():
    value = hll.new_value() + b"hello"
    with pytest.raises(hll.CorruptedHyperLogLog):
        hll.HyperLogLog(value).count()
    for bad in (b"HYLL", b"HYLX" + bytes(14), b"HYLL\x02" + bytes(13), b"HYLL\x00" + bytes(20)):
        with pytest.raises(hll.NotHyperLogLog):
            hll.check(bad)


# -- redis-py -----------------------------------------------------------------------------

def test_pfadd_pfcount_pfmerge(r):
    assert r.pfadd("h") == 1 and r.exists("h") == 1
    assert r.pfcount("h") == 0
    assert r.pfadd("h", "a", "b", "c") == 1
    assert r.pfadd("h", "a", "b", "c") == 0
    assert r.pfcount("h") == 3
    r.pfadd("g", "c", "d")
    assert r.pfcount("h", "g", "missing") == 4
    assert r.pfmerge("m", "h", "g") is True
    assert r.pfcount("m") == 4
    assert r.execute_command("PFDEBUG", "ENCODING", "m") == b"sparse"
    assert r.execute_command("PFDEBUG", "TODENSE", "m") == 1
    assert r.execute_command("PFDEBUG", "TODENSE", "m") == 0
    assert r.strlen("m") == hll.DENSE_SIZE
    assert len(r.execute_command("PFDEBUG", "GETREG", "m")) == hll.REGISTERS
    assert r.object("encoding", "m") == b"raw"
    r.set("s", "text")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE Key is not a valid HyperLogLog"):
        r.pfadd("s", "x")
    r.lpush("l", "x")
    with pytest.raises(redis.ResponseError, match="wrong kind of value"):
        r.pfcount("l")
    assert r.execute_command("PFSELFTEST") == b"OK"


def test_asyncio_client(server):
    async def main():
        client = redis.asyncio.Redis(port=server.port)
        try:
            await client.delete("ah")
            assert await client.pfadd("ah", *range(1000)) == 1
            count = await client.pfcount("ah")
            await client.pfmerge("ah2", "ah")
            return count, await client.pfcount("ah2")
        finally:
            await client.aclose()
    count, merged = asyncio.run(main())
    assert abs(count - 1000) < 50 and merged == count


# -- differential -------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, 50, 800, 3000, 20_000, 100_000])
@ONE_IO_BACKEND
def test_same_strings_and_estimates_as_redis(raw, real_raw, size):
    rng = random.Random(size)
    items = [b"%d:%f" % (i, rng.random()) for i in range(size)]
    batch = rng.choice([1, 10, 1000]) if size < 5000 else 1000
    both(raw, real_raw, "PFADD", "h")
    for start in range(0, size, batch):
        assert_same(raw, real_raw, "PFADD", "h", *items[start:start + batch])
        if start % (batch * 7) == 0:
            assert_same(raw, real_raw, "PFCOUNT", "h")
    for proto in (2, 3):
        both(raw, real_raw, "HELLO", proto)
        assert_same(raw, real_raw, "GET", "h")
        assert_same(raw, real_raw, "PFCOUNT", "h")
        assert_same(raw, real_raw, "PFDEBUG", "ENCODING", "h")
        assert_same(raw, real_raw, "PFCOUNT", "h", "other")
    assert_same(raw, real_raw, "GET", "h")


@ONE_IO_BACKEND
def test_merge_decode_and_registers_as_redis(raw, real_raw):
    rng = random.Random(7)
    for key, size in (("a", 40), ("b", 400), ("c", 4000)):
        assert_same(raw, real_raw, "PFADD", key, *[rng.random() for _ in range(size)])
    for args in (("PFDEBUG", "DECODE", "a"), ("PFMERGE", "m", "a", "b"), ("GET", "m"),
                 ("PFMERGE", "m", "c"), ("GET", "m"), ("PFMERGE", "n", "a", "nokey"),
                 ("GET", "n"), ("PFCOUNT", "a", "b", "c"), ("PFDEBUG", "GETREG", "b"),
                 ("GET", "b"), ("PFDEBUG", "DECODE", "b"), ("PFDEBUG", "DECODE", "nokey"),
                 ("PFDEBUG", "Whatever", "a"), ("PFDEBUG", "ENCODING", "a"),
                 ("SET", "s", "x" * 20), ("PFADD", "s", "1"), ("PFCOUNT", "s"),
                 ("PFMERGE", "s", "a"), ("PFMERGE", "a", "s"), ("PFDEBUG", "GETREG", "s"),
                 ("LPUSH", "l", "1"), ("PFADD", "l", "1"), ("PFCOUNT", "a", "l"),
                 ("SET", "i", "123"), ("PFCOUNT", "i"), ("PFADD", "new"), ("GET", "new"),
                 ("CONFIG", "SET", "hll-sparse-max-bytes", "100"),
                 ("PFADD", "small", *range(100)), ("PFDEBUG", "ENCODING", "small"),
                 ("GET", "small"), ("CONFIG", "SET", "hll-sparse-max-bytes", "3000")):
        assert_same(raw, real_raw, *args)


@ONE_IO_BACKEND
def test_corrupted_values_give_redis_errors(raw, real_raw):
    rng = random.Random(3)
    for trial in range(150):
        size = rng.choice([3, 30, 300, 3000])
        both(raw, real_raw, "DEL", "h")
        assert_same(raw, real_raw, "PFADD", "h", *[rng.random() for _ in range(size)])
        length = int(both(raw, real_raw, "STRLEN", "h")[0][1:-2])
        for _ in range(rng.randint(1, 5)):
            position = rng.randrange(length)
            assert_same(raw, real_raw, "SETRANGE", "h", position, bytes([rng.randrange(256)]))
        if trial % 10 == 0:
            assert_same(raw, real_raw, "APPEND", "h", "hello")
        assert_same(raw, real_raw, "PFCOUNT", "h")
        assert_same(raw, real_raw, "PFADD", "h", *[rng.random() for _ in range(20)])
        assert_same(raw, real_raw, "GET", "h")
        assert_same(raw, real_raw, "PFCOUNT", "h", "h")
        assert_same(raw, real_raw, "PFMERGE", "m", "h")
        assert_same(raw, real_raw, "GET", "m")


@ONE_IO_BACKEND
def test_dump_restore_between_servers(raw, real_raw):
    for size in (10, 5000):
        assert_same(raw, real_raw, "PFADD", "h%d" % size, *range(size))
        payload = real_raw.execute("DUMP", "h%d" % size)
        data = payload[payload.index(b"\r\n") + 2:-2]
        assert raw.execute("RESTORE", "copy", 0, data, "REPLACE") == b"+OK\r\n"
        assert raw.execute("GET", "copy") == real_raw.execute("GET", "h%d" % size)
        assert raw.execute("PFCOUNT", "copy") == real_raw.execute("PFCOUNT", "h%d" % size)
        ours = raw.execute("DUMP", "h%d" % size)
        data = ours[ours.index(b"\r\n") + 2:-2]
        assert real_raw.execute("RESTORE", "back", 0, data, "REPLACE") == b"+OK\r\n"
        assert real_raw.execute("GET", "back") == raw.execute("GET", "h%d" % size)
    before = raw.execute("GET", "h5000")
    assert raw.execute("DEBUG", "RELOAD") == b"+OK\r\n"
    assert raw.execute("GET", "h5000") == before


def test_keyspace_events_as_redis(servers):  # noqa: F811
    commands = [("PFADD", "h", "a"), ("PFADD", "h", "a"), ("PFCOUNT", "h"), ("PFADD", "g"),
                ("PFMERGE", "m", "h", "g"), ("PFMERGE", "m2", "nokey"),
                ("PFDEBUG", "TODENSE", "m"), ("PFCOUNT", "h", "g")]
    ours, theirs = servers
    assert _events(ours.port, commands) == _events(theirs.port, commands)
