"""Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO) and strings
changed in place (APPEND, SETRANGE and the bit commands keep a bytearray that grows in place):
redis-py, replies byte for byte against the real redis-server, keyspace events compared with
it, and what the commands do inside a live server."""
from __future__ import annotations

import socket

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from differential import parse_reply, unordered
from helpers import RawConnection
from pyredis.commands.bitmaps import get_field, set_field

DIFF_SETTINGS = settings(max_examples=50, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture])


def same_replies(raw, real_raw, *commands):
    """Run the commands on both servers; the replies must be the same bytes."""
    ours = [raw.execute(*cmd) for cmd in commands]
    theirs = [real_raw.execute(*cmd) for cmd in commands]
    assert ours == theirs, [c for c in zip(commands, ours, theirs) if c[1] != c[2]]
    return ours


# ---------------------------------------------------------------------------
# redis-py
# ---------------------------------------------------------------------------

def test_setbit_getbit(r):
    assert r.setbit("k", 7, 1) == 0
    assert r.get("k") == b"\x01"
    assert r.setbit("k", 7, 1) == 1
    assert r.setbit("k", 0, 1) == 0
    assert r.get("k") == b"\x81"
    assert r.getbit("k", 0) == 1 and r.getbit("k", 1) == 0 and r.getbit("k", 1000) == 0
    assert r.setbit("k", 23, 1) == 0
    assert r.get("k") == b"\x81\x00\x01"
    assert r.setbit("k", 0, 0) == 1
    assert r.getbit("missing", 3) == 0
    r.set("n", "1")                       # "1" is 0x31: bits 2, 3 and 7
    assert [r.getbit("n", i) for i in range(8)] == [0, 0, 1, 1, 0, 0, 0, 1]
    with pytest.raises(redis.ResponseError, match="bit offset is not an integer or out of range"):
        r.setbit("k", -1, 1)
    with pytest.raises(redis.ResponseError, match="bit is not an integer or out of range"):
        r.execute_command("SETBIT", "k", 1, 2)   # redis-py's setbit sends 0 or 1 only
    r.rpush("l", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.setbit("l", 0, 1)


def test_bitcount_and_bitpos(r):
    r.set("s", "foobar")
    assert r.bitcount("s") == 26
    assert r.bitcount("s", 0, 0) == 4
    assert r.bitcount("s", 1, 1) == 6
    assert r.bitcount("s", 1, 1, "BYTE") == 6
    assert r.bitcount("s", 5, 30, "BIT") == 17
    assert r.bitcount("s", -2, -1) == 7
    assert r.bitcount("missing") == 0
    r.set("p", b"\xff\xf0\x00")
    assert r.bitpos("p", 0) == 12
    assert r.bitpos("p", 1, 2) == -1
    assert r.bitpos("p", 0, 2) == 16
    assert r.bitpos("p", 1, 7, -1, "BIT") == 7
    assert r.bitpos("p", 0, 0, 11, "BIT") == -1
    r.set("z", b"\x00\x00")
    assert r.bitpos("z", 1) == -1
    assert r.bitpos("missing", 0) == 0 and r.bitpos("missing", 1) == -1


def test_bitop(r):
    r.set("a", b"\x0f\xff")
    r.set("b", b"\xf0")
    assert r.bitop("AND", "d", "a", "b") == 2
    assert r.get("d") == b"\x00\x00"
    assert r.bitop("OR", "d", "a", "b") == 2
    assert r.get("d") == b"\xff\xff"
    assert r.bitop("XOR", "d", "a", "b", "missing") == 2
    assert r.get("d") == b"\xff\xff"
    assert r.bitop("NOT", "d", "b") == 1
    assert r.get("d") == b"\x0f"
    r.expire("d", 100)
    assert r.bitop("AND", "d", "missing") == 0
    assert r.exists("d") == 0
    with pytest.raises(redis.ResponseError, match="BITOP NOT must be called with a single"):
        r.bitop("NOT", "d", "a", "b")


def test_bitfield(r):
    field = r.bitfield("f")
    assert field.set("i8", 0, -100).get("u4", 0).incrby("u2", 100, 1).execute() == [0, 9, 1]
    assert r.bitfield("f").overflow("SAT").incrby("i8", 0, -200).execute() == [-128]
    assert r.bitfield("f").overflow("FAIL").incrby("u2", 100, 3).execute() == [None]
    assert r.bitfield("f").overflow("WRAP").incrby("u2", 100, 3).execute() == [0]
    assert r.bitfield("f").set("u8", "#1", 200).get("u8", 8).execute() == [0, 200]
    assert r.bitfield_ro("f", "u8", 8, items=[("i8", 8)]) == [200, -56]
    assert r.bitfield("missing").get("i16", 0).execute() == [0]
    assert r.exists("missing") == 0
    with pytest.raises(redis.ResponseError, match="Invalid bitfield type"):
        r.bitfield("f").get("u64", 0).execute()
    with pytest.raises(redis.ResponseError, match="BITFIELD_RO only supports the GET"):
        r.execute_command("BITFIELD_RO", "f", "SET", "u8", "0", "1")


def test_bit_commands_on_strings_written_otherwise(r):
    r.set("k", "12")
    r.append("k", "34")
    assert r.bitcount("k") == 13
    assert r.setbit("k", 7, 0) == 1
    assert r.get("k") == b"0234"
    assert r.bitfield("k").incrby("u8", 0, 1).execute() == [0x31]
    assert r.get("k") == b"1234"
    assert r.incr("k") == 1235
    assert r.setrange("k", 4, "x") == 5
    assert r.get("k") == b"1235x"


# ---------------------------------------------------------------------------
# Replies byte for byte against redis-server
# ---------------------------------------------------------------------------

CASES = {
    "setbit getbit": [
        ("SETBIT", "k", "0", "1"), ("SETBIT", "k", "0", "1"), ("SETBIT", "k", "100", "0"),
        ("GET", "k"), ("STRLEN", "k"), ("GETBIT", "k", "0"), ("GETBIT", "k", "1"),
        ("GETBIT", "k", "99999"), ("GETBIT", "nope", "0"), ("OBJECT", "ENCODING", "k"),
        ("SETBIT", "k", "-1", "1"), ("SETBIT", "k", "x", "1"), ("SETBIT", "k", "1", "-1"),
        ("SETBIT", "k", "1", "2"), ("SETBIT", "k", "1", "x"), ("SETBIT", "k", "1", ""),
        ("SETBIT", "k", "4294967296", "1"), ("SETBIT", "k", "4294967296", "x"),
        ("SETBIT", "k", "9223372036854775808", "1"), ("SETBIT", "k", "#1", "1"),
        ("SETBIT", "k", " 1", "1"), ("SETBIT", "k", "01", "1"), ("GETBIT", "k", "-1"),
        ("GETBIT", "k", "4294967296"), ("GETBIT", "k", "x"), ("SETBIT", "k", "1"),
        ("SET", "i", "12"), ("OBJECT", "ENCODING", "i"), ("GETBIT", "i", "2"),
        ("SETBIT", "i", "6", "1"), ("GET", "i"), ("OBJECT", "ENCODING", "i"),
        ("SET", "e", "hello"), ("SETBIT", "e", "1", "0"), ("OBJECT", "ENCODING", "e"),
    ],
    "bitcount": [
        ("SET", "s", "foobar"), ("BITCOUNT", "s"), ("BITCOUNT", "s", "0", "-1"),
        ("BITCOUNT", "s", "1", "1"), ("BITCOUNT", "s", "-3", "-2"), ("BITCOUNT", "s", "4", "2"),
        ("BITCOUNT", "s", "-1", "-3"), ("BITCOUNT", "s", "-1", "-3", "bogus"),
        ("BITCOUNT", "s", "0", "1", "bogus"), ("BITCOUNT", "s", "0"),
        ("BITCOUNT", "s", "0", "1", "BYTE", "x"), ("BITCOUNT", "s", "x", "1"),
        ("BITCOUNT", "s", "0", "x"), ("BITCOUNT", "s", "5", "30", "BIT"),
        ("BITCOUNT", "s", "5", "30", "bit"), ("BITCOUNT", "s", "0", "-1", "BIT"),
        ("BITCOUNT", "s", "-9", "-2", "BIT"), ("BITCOUNT", "s", "7", "7", "BIT"),
        ("BITCOUNT", "s", "9", "8", "BIT"), ("BITCOUNT", "s", "-100", "100"),
        ("BITCOUNT", "s", "-9223372036854775808", "9223372036854775807", "BIT"),
        ("BITCOUNT", "s", "9223372036854775808", "1"), ("BITCOUNT", "nope", "x", "y"),
        ("BITCOUNT", "nope", "1"), ("SET", "e", ""), ("BITCOUNT", "e"),
        ("BITCOUNT", "e", "0", "-1", "BIT"), ("SET", "i", "-1234"), ("BITCOUNT", "i", "1", "2"),
    ],
    "bitpos": [
        ("SET", "p", b"\xff\xf0\x00"), ("BITPOS", "p", "0"), ("BITPOS", "p", "1"),
        ("BITPOS", "p", "1", "2"), ("BITPOS", "p", "0", "2"), ("BITPOS", "p", "0", "0", "1"),
        ("BITPOS", "p", "0", "0", "0"), ("BITPOS", "p", "0", "-1"), ("BITPOS", "p", "1", "-2"),
        ("BITPOS", "p", "0", "3"), ("BITPOS", "p", "1", "7", "-1", "BIT"),
        ("BITPOS", "p", "0", "0", "11", "BIT"), ("BITPOS", "p", "0", "0", "12", "BIT"),
        ("BITPOS", "p", "0", "5", "5", "bit"), ("BITPOS", "p", "1", "12", "23", "BIT"),
        ("BITPOS", "p", "0", "13", "14", "BIT"), ("BITPOS", "p", "1", "3", "2", "BIT"),
        ("BITPOS", "p", "1", "-30", "-20", "BIT"), ("BITPOS", "p", "0", "0", "-1", "BYTE"),
        ("BITPOS", "p", "2"), ("BITPOS", "p", "x"), ("BITPOS", "p", "-1"),
        ("BITPOS", "p", "1", "x"), ("BITPOS", "p", "1", "0", "x"),
        ("BITPOS", "p", "1", "0", "x", "bogus"), ("BITPOS", "p", "1", "x", "0", "bogus"),
        ("BITPOS", "p", "1", "0", "1", "bogus"), ("BITPOS", "p", "1", "0", "1", "BIT", "x"),
        ("BITPOS", "nope", "0"), ("BITPOS", "nope", "1"), ("BITPOS", "nope", "1", "x", "y"),
        ("BITPOS", "nope", "2"), ("SET", "e", ""), ("BITPOS", "e", "0"), ("BITPOS", "e", "1"),
        ("BITPOS", "e", "0", "0"), ("SET", "z", b"\x00\x00\x00"), ("BITPOS", "z", "1"),
        ("BITPOS", "z", "0", "1"), ("SET", "o", b"\xff" * 20), ("BITPOS", "o", "0"),
        ("BITPOS", "o", "0", "3"), ("BITPOS", "o", "0", "3", "-1"), ("BITPOS", "o", "1", "3"),
    ],
    "bitop": [
        ("SET", "a", b"\x0f\xff\x01"), ("SET", "b", b"\xf0"), ("BITOP", "AND", "d", "a", "b"),
        ("GET", "d"), ("OBJECT", "ENCODING", "d"), ("BITOP", "or", "d", "a", "b"), ("GET", "d"),
        ("BITOP", "Xor", "d", "a", "b", "nope"), ("GET", "d"), ("BITOP", "NOT", "d", "a"),
        ("GET", "d"), ("BITOP", "NOT", "d", "a", "b"), ("BITOP", "NOT", "d", "nope"),
        ("EXISTS", "d"), ("BITOP", "AND", "d", "nope"), ("BITOP", "bogus", "d", "a"),
        ("BITOP", "ANDX", "d", "a"), ("SET", "d", "v", "EX", "100"),
        ("BITOP", "OR", "d", "a"), ("TTL", "d"), ("BITOP", "AND", "a", "a", "b"), ("GET", "a"),
        ("SET", "i", "123"), ("BITOP", "OR", "d", "i"), ("GET", "d"),
        ("OBJECT", "ENCODING", "d"), ("SET", "e", ""), ("BITOP", "OR", "d", "e", "e"),
        ("EXISTS", "d"), ("BITOP", "AND", "d", "b", "e"), ("GET", "d"),
    ],
    "bitfield": [
        ("BITFIELD", "f"), ("BITFIELD", "f", "GET", "u8", "0"), ("EXISTS", "f"),
        ("BITFIELD", "f", "SET", "i8", "0", "-100", "GET", "u4", "0", "INCRBY", "u2", "100",
         "1", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-200"),
        ("GET", "f"), ("OBJECT", "ENCODING", "f"),
        ("BITFIELD", "f", "SET", "u8", "0", "-1", "OVERFLOW", "SAT", "SET", "u8", "8", "-1",
         "OVERFLOW", "FAIL", "SET", "u8", "16", "-1", "GET", "u32", "0"),
        ("BITFIELD", "f", "SET", "i8", "#3", "5", "GET", "i8", "#3", "GET", "u8", "#3"),
        ("BITFIELD", "f", "OVERFLOW", "WRAP", "INCRBY", "u3", "5", "9", "INCRBY", "i3", "5", "9"),
        ("BITFIELD", "f", "overflow", "sat", "incrby", "u3", "5", "-99", "get", "u3", "5"),
        ("BITFIELD", "f", "GET", "i64", "0", "GET", "u63", "1", "GET", "i1", "0"),
        ("BITFIELD", "f", "GET", "u64", "0"), ("BITFIELD", "f", "GET", "i65", "0"),
        ("BITFIELD", "f", "GET", "u0", "0"), ("BITFIELD", "f", "GET", "x8", "0"),
        ("BITFIELD", "f", "GET", "U8", "0"), ("BITFIELD", "f", "GET", "", "0"),
        ("BITFIELD", "f", "GET", "u08", "0"), ("BITFIELD", "f", "GET", "u8", "-1"),
        ("BITFIELD", "f", "GET", "u8", "#-1"), ("BITFIELD", "f", "GET", "u8", "#"),
        ("BITFIELD", "f", "GET", "u8", "x"), ("BITFIELD", "f", "GET", "u8"),
        ("BITFIELD", "f", "SET", "u8", "0"), ("BITFIELD", "f", "SET", "u8", "0", "x"),
        ("BITFIELD", "f", "INCRBY", "u8", "0", "9223372036854775808"),
        ("BITFIELD", "f", "OVERFLOW"), ("BITFIELD", "f", "OVERFLOW", "bogus", "GET", "u8", "0"),
        ("BITFIELD", "f", "GET", "u8", "0", "bogus"), ("BITFIELD", "f", "bogus"),
        ("BITFIELD", "f", "OVERFLOW", "FAIL"), ("BITFIELD", "f", "GET", "u8", "0", "OVERFLOW"),
        ("BITFIELD", "f", "GET", "u8", "99999"), ("BITFIELD", "f", "GET", "i64", "#1"),
        ("BITFIELD", "f", "GET", "u8", "#9223372036854775807"),
        ("BITFIELD", "f", "INCRBY", "u8", "0"), ("BITFIELD", "f", "incrby", "u8", "0", "1.5"),
        ("BITFIELD", "f", "OVERFLOW", "SAT", "OVERFLOW", "wrap", "INCRBY", "u2", "100", "5"),
        ("BITFIELD", "f", "OVERFLOW", "SAT", "GET", "u8", "0", "OVERFLOW", "x"),
        ("BITFIELD", "f", "GET", "u8", "0", "GET"), ("BITFIELD", "f", "SET", "x8", "0", "1"),
        ("BITFIELD", "f", "GET", "i64", "#144115188075855872"),
        ("BITFIELD", "f", "SET", "u8", "4294967296", "1"),
        ("BITFIELD", "f", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1"),
        ("BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0",
         "9223372036854775807", "INCRBY", "i64", "0", "9223372036854775807"),
        ("BITFIELD", "f", "OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775808",
         "SET", "i8", "0", "-9223372036854775700", "SET", "i8", "0", "9223372036854775807"),
        ("BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u63", "0", "-1", "SET", "i64", "0", "-1"),
        ("GET", "f"), ("BITFIELD_RO", "f"), ("BITFIELD_RO", "f", "GET", "u8", "0"),
        ("BITFIELD_RO", "f", "SET", "u8", "0", "1"), ("BITFIELD_RO", "f", "GET", "u64", "0"),
        ("BITFIELD_RO", "f", "OVERFLOW", "SAT", "GET", "u8", "0"),
        ("BITFIELD_RO", "nope", "GET", "u8", "0"), ("BITFIELD", "n", "OVERFLOW", "FAIL",
                                                    "INCRBY", "u2", "0", "7"),
        ("EXISTS", "n"), ("GET", "n"), ("SET", "i", "100"), ("BITFIELD", "i", "GET", "u8", "0"),
        ("OBJECT", "ENCODING", "i"), ("BITFIELD", "i", "INCRBY", "u8", "0", "1"), ("GET", "i"),
        ("OBJECT", "ENCODING", "i"),
    ],
    "wrong type": [
        ("RPUSH", "l", "x"), ("SETBIT", "l", "0", "1"), ("SETBIT", "l", "x", "1"),
        ("GETBIT", "l", "0"), ("GETBIT", "l", "x"), ("BITCOUNT", "l"), ("BITCOUNT", "l", "x"),
        ("BITPOS", "l", "1"), ("BITPOS", "l", "2"), ("BITOP", "AND", "d", "l"),
        ("BITOP", "AND", "l", "nope"), ("BITOP", "OR", "l", "nope"), ("TYPE", "l"),
        ("SET", "d", "v"), ("BITOP", "AND", "d", "d", "l"), ("GET", "d"),
        ("BITFIELD", "l", "GET", "u8", "0"), ("BITFIELD", "l", "SET", "u8", "0", "1"),
        ("BITFIELD", "l"), ("BITFIELD", "l", "GET", "u64", "0"), ("BITFIELD_RO", "l"),
        ("BITFIELD_RO", "l", "SET", "u8", "0", "1"), ("LLEN", "l"),
    ],
    "arity": [
        ("SETBIT", "k", "1"), ("GETBIT", "k"), ("BITCOUNT",), ("BITPOS", "k"),
        ("BITOP", "AND", "d"), ("BITFIELD",), ("BITFIELD_RO",),
    ],
    "introspection": [
        ("COMMAND", "INFO", "setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield",
         "bitfield_ro"),
        ("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "GET", "u8", "0"),
        ("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "OVERFLOW", "SAT", "GET", "u8", "0"),
        ("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "INCRBY", "u8", "0", "1"),
        ("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "bogus"),
        ("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k"),
        ("COMMAND", "GETKEYSANDFLAGS", "bitop", "AND", "d", "a", "b"),
        ("COMMAND", "GETKEYS", "bitfield_ro", "k", "GET", "u8", "0"),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_replies_match_redis(raw, real_raw, name):
    same_replies(raw, real_raw, *CASES[name])


@pytest.mark.parametrize("proto", [2, 3])
def test_replies_match_redis_in_both_protocols(raw, real_raw, proto):
    raw.execute("HELLO", proto)
    real_raw.execute("HELLO", proto)
    same_replies(raw, real_raw, ("SETBIT", "k", "5", "1"), ("APPEND", "k", "xyz"),
                 ("GET", "k"), ("GETRANGE", "k", "1", "2"), ("MGET", "k", "nope"),
                 ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9", "GET", "i8", "0"),
                 ("BITFIELD_RO", "nope", "GET", "u8", "0"), ("BITPOS", "k", "1"),
                 ("BITCOUNT", "k", "0", "-1", "BIT"))


# Random sequences of string and bit commands over three keys, then the dataset's digest.
_keys = st.sampled_from(["a", "b", "c"])
_small = st.integers(-20, 20)
_range_ints = st.one_of(_small, st.sampled_from([2**63 - 1, -2**63, 100, -100]))
_bit_offsets = st.one_of(st.integers(0, 90), st.sampled_from(["-1", "x", "4294967296"]))
_units = st.sampled_from(["BIT", "BYTE", "bit", "bogus"])
_values = st.one_of(st.sampled_from(["", "0", "12", "-5", "foobar", "\xff\x00"]),
                    st.binary(max_size=6))
_types = st.one_of(st.builds(lambda s, n: f"{s}{n}", st.sampled_from("iu"),
                             st.integers(1, 64)),
                   st.sampled_from(["u64", "i65", "x8"]))
_field_offsets = st.one_of(st.integers(0, 80), st.integers(0, 9).map(lambda n: f"#{n}"),
                           st.just("-1"))
_field_values = st.one_of(st.integers(-300, 300),
                          st.integers(0, 63).map(lambda n: 2**n),
                          st.integers(0, 63).map(lambda n: -2**n),
                          st.sampled_from([2**63 - 1, -2**63]))
_field_ops = st.lists(st.one_of(
    st.tuples(st.just("GET"), _types, _field_offsets),
    st.tuples(st.sampled_from(["SET", "INCRBY"]), _types, _field_offsets, _field_values),
    st.tuples(st.just("OVERFLOW"), st.sampled_from(["WRAP", "SAT", "FAIL", "bogus"])),
), max_size=4).map(lambda ops: [word for op in ops for word in op])

_bit_commands = st.one_of(
    st.tuples(st.just("SETBIT"), _keys, _bit_offsets, st.sampled_from(["0", "1", "2"])),
    st.tuples(st.just("GETBIT"), _keys, _bit_offsets),
    st.tuples(st.just("BITCOUNT"), _keys),
    st.tuples(st.just("BITCOUNT"), _keys, _range_ints, _range_ints),
    st.tuples(st.just("BITCOUNT"), _keys, _range_ints, _range_ints, _units),
    st.tuples(st.just("BITPOS"), _keys, st.sampled_from(["0", "1"])),
    st.tuples(st.just("BITPOS"), _keys, st.sampled_from(["0", "1"]), _range_ints),
    st.tuples(st.just("BITPOS"), _keys, st.sampled_from(["0", "1"]), _range_ints, _range_ints),
    st.tuples(st.just("BITPOS"), _keys, st.sampled_from(["0", "1"]), _range_ints, _range_ints,
              _units),
    st.builds(lambda op, keys: ("BITOP", op, *keys), st.sampled_from(["AND", "OR", "XOR", "NOT"]),
              st.lists(_keys, min_size=2, max_size=4)),
    st.builds(lambda key, ops: ("BITFIELD", key, *ops), _keys, _field_ops),
    st.builds(lambda key, ops: ("BITFIELD_RO", key, *ops), _keys, _field_ops),
    st.tuples(st.sampled_from(["SET", "APPEND"]), _keys, _values),
    st.tuples(st.just("SETRANGE"), _keys, st.integers(0, 12), _values),
    st.tuples(st.sampled_from(["GET", "STRLEN", "INCR"]), _keys),
    st.tuples(st.just("OBJECT"), st.just("ENCODING"), _keys),
    st.tuples(st.just("RPUSH"), _keys, st.just("x")),   # a list in the way: WRONGTYPE paths
)


@DIFF_SETTINGS
@given(st.lists(_bit_commands, min_size=1, max_size=25))
def test_random_sequences_match_redis(raw, real_raw, commands):
    raw.execute("FLUSHALL")
    real_raw.execute("FLUSHALL")
    same_replies(raw, real_raw, *commands, ("DEBUG", "DIGEST"))


@DIFF_SETTINGS
@given(st.data())
def test_bitfield_arithmetic_matches_redis(raw, real_raw, data):
    """SET then INCRBY twice on one field, near its limits, under each OVERFLOW mode."""
    signed = data.draw(st.booleans())
    bits = data.draw(st.integers(1, 64 if signed else 63))
    low, high = (-2**(bits - 1), 2**(bits - 1) - 1) if signed else (0, 2**bits - 1)
    near = st.one_of(st.integers(-3, 3), st.integers(low - 3, low + 3),
                     st.integers(high - 3, high + 3), st.integers(-2**63, 2**63 - 1),
                     st.sampled_from([-2**63, 2**63 - 1]))
    in_range = near.filter(lambda v: -2**63 <= v < 2**63)
    kind = f"{'i' if signed else 'u'}{bits}"
    offset = data.draw(st.integers(0, 20))
    command = ["BITFIELD", "f", "OVERFLOW", data.draw(st.sampled_from(["WRAP", "SAT", "FAIL"])),
               "SET", kind, offset, data.draw(in_range)]
    for _ in range(2):
        command += ["INCRBY", kind, offset, data.draw(in_range)]
    raw.execute("DEL", "f")
    real_raw.execute("DEL", "f")
    same_replies(raw, real_raw, ("SET", "f", data.draw(st.binary(max_size=4))), command,
                 ("GET", "f"), ("BITFIELD_RO", "f", "GET", kind, offset))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=12), st.integers(0, 100), st.integers(1, 64), st.integers(0, 2**64))
def test_field_round_trip(data, offset, bits, number):
    """set_field then get_field read back the low bits; nothing else changes."""
    value = bytearray(data) + bytes((offset + bits) // 8 + 1)
    before = bytes(value)
    set_field(value, offset, bits, number)
    assert get_field(value, offset, bits, False) == number % 2**bits
    as_int = int.from_bytes(value, "big")
    size = len(value) * 8
    mask = (2**bits - 1) << (size - offset - bits)
    assert as_int & ~mask == int.from_bytes(before, "big") & ~mask


PROTO_MAX_BULK_LEN_COMMANDS = [
    ("SETBIT", "k", 8 * 1048576, "1"), ("SETBIT", "k", 8 * 1048576 - 1, "1"), ("STRLEN", "k"),
    ("GETBIT", "k", 8 * 1048576), ("GETBIT", "k", 8 * 1048576 - 1),
    ("BITFIELD", "k", "GET", "u8", 8 * 1048576), ("BITFIELD", "k", "SET", "u8", "#131071", "1"),
    ("BITFIELD", "k", "SET", "i64", "#131072", "1"), ("BITFIELD", "k", "GET", "i64", "#131071"),
    ("BITFIELD", "k", "INCRBY", "i64", 8 * 1048576 - 1, "1"), ("STRLEN", "k"),
]


def test_proto_max_bulk_len_limits_match_redis(fresh, real_raw):
    """With proto-max-bulk-len at its 1mb minimum (set directly: CONFIG is another family's):
    bit offsets must address a byte below it."""
    fresh.server.config.set("proto-max-bulk-len", ["1048576"])
    real_raw.execute("CONFIG", "SET", "proto-max-bulk-len", "1048576")
    ours = RawConnection(fresh.port)
    try:
        for command in PROTO_MAX_BULK_LEN_COMMANDS:
            assert ours.execute(*command) == real_raw.execute(*command), command
    finally:
        ours.close()
        fresh.server.config.set("proto-max-bulk-len", ["512mb"])
        real_raw.execute("CONFIG", "SET", "proto-max-bulk-len", "512mb")


# ---------------------------------------------------------------------------
# Strings changed in place: every reader and the generic commands
# ---------------------------------------------------------------------------

# Keys made "raw" by in-place writes, an untouched one, and a list to SORT.
IN_PLACE_SETUP = [
    ("SET", "k", "12"), ("APPEND", "k", "34"), ("SETRANGE", "r", "2", "hello"),
    ("SETBIT", "b", "9", "1"), ("SET", "f", "1.5"), ("APPEND", "f", "0"),
    ("BITFIELD", "bf", "SET", "u8", "0", "65"), ("SET", "plain", "x"),
    ("RPUSH", "l", "3", "1", "2"), ("MSET", "w_1", "30", "w_2", "10", "w_3", "20"),
    ("APPEND", "w_1", "0"), ("APPEND", "v_1", "one"), ("APPEND", "v_2", "two"),
    ("SETRANGE", "v_3", "0", "three"),
]
IN_PLACE_CASES = {
    "readers": [("GET", "k"), ("GET", "r"), ("GET", "b"), ("GET", "bf"), ("STRLEN", "r"),
                ("GETRANGE", "r", "1", "4"), ("SUBSTR", "k", "-2", "-1"),
                ("MGET", "k", "r", "b", "plain", "l", "nope"), ("LCS", "k", "r"),
                ("LCS", "r", "v_3", "IDX"), ("GETBIT", "b", "9"), ("BITCOUNT", "r"),
                ("BITPOS", "b", "1"), ("BITFIELD_RO", "bf", "GET", "u8", "0")],
    "getters that write": [("SET", "k", "v", "GET"), ("GET", "k"), ("GETSET", "r", "w"),
                           ("GETEX", "b", "PXAT", "99999999999999"), ("PEXPIRETIME", "b"), ("GETDEL", "bf"),
                           ("EXISTS", "bf"), ("OBJECT", "ENCODING", "r")],
    "counters": [("INCR", "k"), ("OBJECT", "ENCODING", "k"), ("INCRBY", "k", "-5"),
                 ("DECR", "k"), ("DECRBY", "k", "2"), ("GET", "k"), ("INCRBYFLOAT", "f", "1"),
                 ("GET", "f"), ("OBJECT", "ENCODING", "f"), ("INCR", "r")],
    "writers": [("APPEND", "k", "5"), ("SETRANGE", "k", "6", "x"), ("GET", "k"),
                ("SETRANGE", "k", "0", ""), ("SETNX", "k", "v"), ("MSETNX", "k", "v", "z", "v"),
                ("SET", "r", "v", "NX"), ("SET", "r", "12"), ("OBJECT", "ENCODING", "r"),
                ("APPEND", "r", ""), ("OBJECT", "ENCODING", "r"), ("SETRANGE", "r", "0", ""),
                ("OBJECT", "ENCODING", "r"), ("SETRANGE", "r", "0", "3"),
                ("OBJECT", "ENCODING", "r"), ("GET", "r")],
    "generic": [("TYPE", "k"), ("EXISTS", "k", "r", "b"), ("OBJECT", "ENCODING", "b"),
                ("OBJECT", "REFCOUNT", "k"), ("EXPIREAT", "k", "99999999999"), ("EXPIRETIME", "k"),
                ("PERSIST", "k"), ("TTL", "k"), ("TOUCH", "k", "r"), ("RENAME", "k", "k2"),
                ("GET", "k2"), ("OBJECT", "ENCODING", "k2"), ("RENAMENX", "r", "k2"),
                ("COPY", "r", "r2"), ("OBJECT", "ENCODING", "r2"), ("APPEND", "r", "!"),
                ("GET", "r2"), ("GET", "r"), ("COPY", "b", "b1", "DB", "1"), ("MOVE", "r", "1"),
                ("SELECT", "1"), ("GET", "r"), ("OBJECT", "ENCODING", "b1"), ("SELECT", "0"),
                ("DEL", "k2"), ("UNLINK", "b"), ("DBSIZE",), ("DEBUG", "DIGEST"),
                ("DEBUG", "DIGEST-VALUE", "v_1", "w_1", "r2")],
    "sort by and get": [("SORT", "l", "BY", "w_*"), ("SORT", "l", "BY", "w_*", "GET", "v_*",
                                                       "GET", "#"),
                        ("SORT", "l", "BY", "w_*", "GET", "v_*", "STORE", "dst"),
                        ("APPEND", "v_1", "-changed"), ("LRANGE", "dst", "0", "-1"),
                        ("SORT_RO", "l", "GET", "v_*", "ALPHA")],
    "transaction": [("MULTI",), ("GET", "k"), ("APPEND", "k", "5"), ("GET", "k"),
                    ("SETBIT", "k", "0", "1"), ("GET", "k"), ("EXEC",)],
    "reload": [("DEBUG", "RELOAD"), ("OBJECT", "ENCODING", "k"), ("OBJECT", "ENCODING", "r"),
               ("OBJECT", "ENCODING", "f"), ("GET", "r"), ("APPEND", "k", "5"),
               ("OBJECT", "ENCODING", "k"), ("DEBUG", "DIGEST")],
}


@pytest.mark.parametrize("name", sorted(IN_PLACE_CASES))
def test_strings_changed_in_place_match_redis(raw, real_raw, name):
    same_replies(raw, real_raw, *IN_PLACE_SETUP)
    same_replies(raw, real_raw, *IN_PLACE_CASES[name])


def test_scan_and_keys_see_strings_changed_in_place(raw, real_raw):
    same_replies(raw, real_raw, *IN_PLACE_SETUP)
    for command in (("SCAN", "0", "TYPE", "string", "COUNT", "1000"), ("KEYS", "*"),
                    ("SCAN", "0", "TYPE", "list", "COUNT", "1000")):
        ours, theirs = raw.execute(*command), real_raw.execute(*command)
        assert unordered(parse_reply(ours)) == unordered(parse_reply(theirs)), command


def test_debug_object_of_strings_changed_in_place(raw, real_raw):
    """DEBUG OBJECT's encoding and serialized length (the rest is the process's own)."""
    same_replies(raw, real_raw, *IN_PLACE_SETUP)

    def fields(conn, key):
        words = conn.execute("DEBUG", "OBJECT", key).split()
        return [w for w in words if w.startswith((b"encoding:", b"serializedlength:"))]
    for key in ("k", "r", "b", "f", "plain"):
        assert fields(raw, key) == fields(real_raw, key), key


# ---------------------------------------------------------------------------
# Inside a live server: in-place growth, copies, events, signals and dirty
# ---------------------------------------------------------------------------

def test_appends_grow_one_bytearray_in_place(fresh):
    client, data = fresh.client, fresh.server.dbs[0].data
    client.append("k", "a")
    assert type(data[b"k"]) is bytes          # a new key is stored as SET would store it
    client.append("k", "b")
    grown = data[b"k"]
    assert type(grown) is bytearray
    pipe = client.pipeline(transaction=False)
    for _ in range(20000):
        pipe.append("k", b"x" * 100)
    pipe.execute()
    assert data[b"k"] is grown                # the same object: never copied
    assert len(grown) == 2 + 20000 * 100
    for command in (("SETRANGE", "k", "5", "yy"), ("SETBIT", "k", "3", "1"),
                    ("BITFIELD", "k", "INCRBY", "u8", "0", "1"), ("SETRANGE", "k", "3000000", "z")):
        client.execute_command(*command)
        assert data[b"k"] is grown, command
    assert client.strlen("k") == 3000001
    client.set("k", "v")
    assert type(data[b"k"]) is bytes


def test_readers_never_share_a_bytearray(fresh):
    """What outlives the command (a COPY, SORT STORE's list elements) is its own object."""
    client, db = fresh.client, fresh.server.dbs[0]
    client.setrange("k", 0, "value")
    client.copy("k", "c")
    assert type(db.data[b"c"]) is bytearray and db.data[b"c"] is not db.data[b"k"]
    client.rpush("l", "k")
    client.sort("l", by="nosort", get="*", store="dst")
    assert [type(e) for e in db.data[b"dst"]] == [bytes]
    client.append("k", "!")
    assert client.get("c") == b"value" and client.lrange("dst", 0, -1) == [b"value"]


def test_big_mget_reply_is_a_snapshot(fresh):
    """An MGET reply big enough to be encoded while the socket drains holds the values as
    they were: APPENDs from another client meanwhile do not show in it."""
    keys = [f"k{i}" for i in range(1100)]
    pipe = fresh.client.pipeline(transaction=False)
    for key in keys:
        pipe.setrange(key, 0, b"v" * 10000)
    pipe.execute()
    reader = RawConnection(fresh.port, timeout=60)
    try:
        reader.send("MGET", *keys)            # 11 MB: more than the socket buffers take
        # Its first bytes arriving (peeked, not read) tell that MGET ran before the APPENDs.
        assert reader.sock.recv(1, socket.MSG_PEEK) == b"*"
        pipe = fresh.client.pipeline(transaction=False)
        for key in keys:
            pipe.append(key, "!")
        assert pipe.execute() == [10001] * len(keys)
        kind, values = parse_reply(reader.read_reply())
        assert kind == b"*" and values == [(b"$", b"v" * 10000)] * len(keys)
    finally:
        reader.close()


# (setup, command, reply, events, signals, dirty): "new" events are left out.
SIDE_EFFECTS = [
    ([], ("SETBIT", "k", "3", "1"), b":0\r\n", [("$", "setbit", b"k")], [b"k"], 1),
    ([("SETBIT", "k", "3", "1")], ("SETBIT", "k", "3", "1"), b":1\r\n", [], [], 0),
    ([("SETBIT", "k", "3", "1")], ("SETBIT", "k", "30", "0"), b":0\r\n",
     [("$", "setbit", b"k")], [b"k"], 1),
    ([], ("SETBIT", "k", "x", "1"), b"-ERR bit offset is not an integer or out of range\r\n",
     [], [], 0),
    ([], ("BITFIELD", "k", "SET", "u8", "0", "0", "SET", "u8", "8", "1"), b"*2\r\n:0\r\n:0\r\n",
     [("$", "setbit", b"k")], [b"k"], 2),
    ([("SET", "k", "ab")], ("BITFIELD", "k", "SET", "u8", "0", "97", "INCRBY", "u8", "8", "1"),
     b"*2\r\n:97\r\n:99\r\n", [("$", "setbit", b"k")], [b"k"], 1),
    ([("SET", "k", "ab")], ("BITFIELD", "k", "SET", "u8", "0", "97"), b"*1\r\n:97\r\n",
     [], [], 0),
    ([], ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "7"), b"*1\r\n$-1\r\n",
     [], [], 0),
    ([], ("BITFIELD", "k", "GET", "u8", "0"), b"*1\r\n:0\r\n", [], [], 0),
    ([("SET", "a", "x")], ("BITOP", "NOT", "d", "a"), b":1\r\n", [("$", "set", b"d")],
     [b"d"], 1),
    ([("SET", "d", "x")], ("BITOP", "AND", "d", "nope"), b":0\r\n", [("g", "del", b"d")],
     [b"d"], 1),
    ([], ("BITOP", "AND", "d", "nope"), b":0\r\n", [], [], 0),
    ([("SET", "k", "a")], ("APPEND", "k", "b"), b":2\r\n", [("$", "append", b"k")], [b"k"], 1),
    ([("SET", "k", "a"), ("APPEND", "k", "b")], ("APPEND", "k", "c"), b":3\r\n",
     [("$", "append", b"k")], [b"k"], 1),
    ([("SET", "k", "abc")], ("SETRANGE", "k", "1", "x"), b":3\r\n",
     [("$", "setrange", b"k")], [b"k"], 1),
    ([("SET", "k", "abc")], ("SETRANGE", "k", "1", ""), b":3\r\n", [], [], 0),
]


@pytest.mark.parametrize("setup,command,reply,events,signals,dirty", SIDE_EFFECTS,
                         ids=[" ".join(case[1]) for case in SIDE_EFFECTS])
def test_events_signals_and_dirty(fresh, setup, command, reply, events, signals, dirty):
    for args in setup:
        fresh.client.execute_command(*args)
    got, got_events, got_signals, got_dirty = fresh.run(*command)
    assert got == reply
    assert got_events == events
    assert got_signals == signals
    assert got_dirty == dirty


def test_in_place_writes_keep_the_ttl(fresh):
    client, expires = fresh.client, fresh.server.dbs[0].expires
    client.set("k", "abc", px=100000)
    when = expires[b"k"]
    for command in (("APPEND", "k", "d"), ("APPEND", "k", "e"), ("SETRANGE", "k", "9", "x"),
                    ("SETBIT", "k", "1", "1"), ("BITFIELD", "k", "SET", "u8", "#20", "1")):
        client.execute_command(*command)
        assert expires[b"k"] == when, command


def test_watch_sees_in_place_writes(r):
    for command in (("APPEND", "k", "x"), ("SETRANGE", "k", "0", "y"), ("SETBIT", "k", "0", "1"),
                    ("BITFIELD", "k", "INCRBY", "u8", "0", "1")):
        r.set("k", "ab")
        r.append("k", "c")
        with r.pipeline() as pipe:
            pipe.watch("k")
            r.execute_command(*command)
            pipe.multi()
            pipe.get("k")
            with pytest.raises(redis.WatchError):
                pipe.execute()


def test_keyspace_events_match_redis(raw, real_raw):
    """The events each bit and in-place command publishes, compared with redis-server."""
    commands = [
        ("SETBIT", "k", "3", "1"), ("SETBIT", "k", "3", "1"), ("SETBIT", "k", "30", "0"),
        ("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "7"),
        ("BITFIELD", "f", "SET", "u8", "0", "0"), ("BITFIELD", "f", "SET", "u8", "8", "1"),
        ("BITFIELD", "f", "GET", "u8", "0"), ("BITOP", "AND", "d", "k"),
        ("BITOP", "AND", "d", "nope"), ("BITOP", "OR", "d", "nope"), ("APPEND", "a", "x"),
        ("APPEND", "a", "y"), ("SETRANGE", "a", "0", "z"), ("SETRANGE", "n", "3", "z"),
        ("SETRANGE", "n", "0", ""), ("GETBIT", "nope", "0"), ("BITCOUNT", "nope"),
    ]
    seen = []
    for conn in (raw, real_raw):
        conn.execute("CONFIG", "SET", "notify-keyspace-events", "KEA")
        listener = RawConnection(conn.sock.getpeername()[1])
        try:
            listener.execute("PSUBSCRIBE", "__keyevent@0__:*")
            listener.execute("SUBSCRIBE", "mark")
            events = []
            for command in commands:
                conn.execute(*command)
                conn.execute("PUBLISH", "mark", "end")
                while True:
                    _, message = parse_reply(listener.read_reply())
                    if message[1][1] == b"mark":
                        break
                    events.append((command[0], message[2][1], message[3][1]))
            seen.append(events)
        finally:
            listener.close()
            conn.execute("CONFIG", "SET", "notify-keyspace-events", "")
    assert seen[0] == seen[1]
