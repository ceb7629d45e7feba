"""String commands: what redis-py sees, replies byte for byte against the real redis-server,
and the side effects (TTLs, keyspace events, modified-key signals, the dirty counter) looked
at inside a live server."""
from __future__ import annotations

import re

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import RawConnection
from pyredis.commands.strings import LcsTable, string_encoding
from pyredis.types.integers import string2ll

DIFF_SETTINGS = settings(max_examples=50, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture])


def same_replies(raw, real_raw, *commands):
    """Run the commands on both servers; the replies must be the same bytes."""
    ours = [raw.execute(*cmd) for cmd in commands]
    theirs = [real_raw.execute(*cmd) for cmd in commands]
    assert ours == theirs, list(zip(commands, ours, theirs))
    return ours


# ---------------------------------------------------------------------------
# redis-py
# ---------------------------------------------------------------------------

def test_set_get_and_overwrite(r):
    assert r.get("k") is None
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.set("k", b"\x00\xffbinary") is True
    assert r.get("k") == b"\x00\xffbinary"
    assert r.set("empty", "") is True
    assert r.get("empty") == b""


def test_set_nx_xx_get(r):
    assert r.set("k", "1", nx=True) is True
    assert r.set("k", "2", nx=True) is None
    assert r.set("other", "1", xx=True) is None
    assert r.set("k", "3", xx=True) is True
    assert r.set("k", "4", get=True) == b"3"
    assert r.set("new", "x", get=True) is None
    assert r.set("k", "5", nx=True, get=True) == b"4"
    assert r.get("k") == b"4"
    assert r.set("missing", "5", xx=True, get=True) is None
    assert r.get("missing") is None


def test_setnx_setex_psetex(r):
    assert r.setnx("k", "a") is True
    assert r.setnx("k", "b") is False
    assert r.get("k") == b"a"
    assert r.execute_command("SETEX", "e", 100, "v") is True
    assert r.get("e") == b"v"
    assert r.psetex("p", 100000, "w") is True
    assert r.get("p") == b"w"
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'setex' command"):
        r.execute_command("SETEX", "e", 0, "v")
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'psetex' command"):
        r.psetex("e", -5, "v")


def test_getex_getdel_getset(r):
    r.set("k", "v")
    assert r.getex("k") == b"v"
    assert r.getex("k", ex=100) == b"v"
    assert r.getex("k", persist=True) == b"v"
    assert r.getex("missing", ex=100) is None
    assert r.getdel("k") == b"v"
    assert r.getdel("k") is None
    assert r.get("k") is None
    assert r.getset("g", "1") is None
    assert r.getset("g", "2") == b"1"
    assert r.get("g") == b"2"


def test_mget_mset_msetnx(r):
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget("a", "missing", "b") == [b"1", None, b"2"]
    assert r.msetnx({"c": "3", "d": "4"}) is True
    assert r.msetnx({"d": "x", "e": "5"}) is False
    assert r.mget("c", "d", "e") == [b"3", b"4", None]
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'mset'"):
        r.execute_command("MSET", "a", "1", "b")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'msetnx'"):
        r.execute_command("MSETNX", "a", "1", "b")


def test_append_strlen(r):
    assert r.append("k", "Hello") == 5
    assert r.append("k", " World") == 11
    assert r.get("k") == b"Hello World"
    assert r.strlen("k") == 11
    assert r.strlen("missing") == 0
    r.set("n", -555)
    assert r.strlen("n") == 4


def test_counters(r):
    assert r.incr("n") == 1
    assert r.incrby("n", 10) == 11
    assert r.decr("n") == 10
    assert r.decrby("n", 20) == -10
    assert r.get("n") == b"-10"
    r.set("big", 17179869184)
    assert r.incrby("big", 17179869184) == 34359738368
    r.set("max", 2**63 - 1)
    with pytest.raises(redis.ResponseError, match="increment or decrement would overflow"):
        r.incr("max")
    with pytest.raises(redis.ResponseError, match="decrement would overflow"):
        r.decrby("n", -2**63)
    for bad in (" 11", "11 ", "1.5", "abc", "007", ""):
        r.set("bad", bad)
        with pytest.raises(redis.ResponseError, match="not an integer or out of range"):
            r.incr("bad")


def test_incrbyfloat(r):
    assert r.incrbyfloat("f", 1) == 1.0
    assert r.incrbyfloat("f", 0.25) == 1.25
    assert r.get("f") == b"1.25"
    r.set("f", "10.5")
    assert r.incrbyfloat("f", 0.1) == pytest.approx(10.6)
    assert r.get("f") == b"10.6"
    r.set("f", 1)
    with pytest.raises(redis.ResponseError, match="would produce NaN or Infinity"):
        r.incrbyfloat("f", "+inf")
    r.set("f", " 11")
    with pytest.raises(redis.ResponseError, match="value is not a valid float"):
        r.incrbyfloat("f", 1.0)


def test_getrange_setrange_substr(r):
    r.set("k", "Hello World")
    assert r.getrange("k", 0, 3) == b"Hell"
    assert r.getrange("k", -4, -1) == b"orld"
    assert r.getrange("k", 5, 3) == b""
    assert r.getrange("k", -5000, 10000) == b"Hello World"
    assert r.execute_command("SUBSTR", "k", 6, -1) == b"World"
    assert r.getrange("missing", 0, -1) == b""
    assert r.setrange("k", 6, "Redis") == 11
    assert r.get("k") == b"Hello Redis"
    assert r.setrange("new", 3, "x") == 4
    assert r.get("new") == b"\x00\x00\x00x"
    assert r.setrange("none", 5, "") == 0
    assert r.get("none") is None
    with pytest.raises(redis.ResponseError, match="offset is out of range"):
        r.setrange("k", -1, "x")
    with pytest.raises(redis.ResponseError, match="maximum allowed size"):
        r.setrange("k", 512 * 1024 * 1024 - 4, "world")


def test_lcs(r, protocol):
    r.mset({"a": "ohmytext", "b": "mynewtext"})
    assert r.lcs("a", "b") == b"mytext"
    assert r.lcs("a", "b", len=True) == 6
    as_decoded = dict if protocol == 3 else (lambda m: [w for pair in m.items() for w in pair])
    assert r.lcs("a", "b", idx=True) == as_decoded({
        b"matches": [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len": 6})
    assert r.lcs("a", "b", idx=True, minmatchlen=4, withmatchlen=True) == as_decoded({
        b"matches": [[[4, 7], [5, 8], 4]], b"len": 6})
    assert r.lcs("a", "missing") == b""
    with pytest.raises(redis.ResponseError, match="please just use IDX"):
        r.lcs("a", "b", len=True, idx=True)


# ---------------------------------------------------------------------------
# Byte for byte against redis-server
# ---------------------------------------------------------------------------

CASES = {
    "set options and conflicts": [
        ("SET", "k", "v", "NX", "XX"), ("SET", "k", "v", "XX", "NX"),
        ("SET", "k", "v", "EX", "10", "PX", "100"), ("SET", "k", "v", "EX"),
        ("SET", "k", "v", "KEEPTTL", "EX", "10"), ("SET", "k", "v", "EX", "10", "KEEPTTL"),
        ("SET", "k", "v", "PERSIST"), ("SET", "k", "v", "EX", "10", "EX", "20"),
        ("SET", "k", "v", "nx", "nx", "get", "get"), ("SET", "k", "v", "EXAT", "1", "PXAT", "1"),
        ("SET", "k", "v", "EX", "NX"), ("SET", "k", "v", "bogus"), ("SET", "k"),
        ("SET", "k", "v", "xx", "keepttl", "get"), ("GET", "k"),
    ],
    "set expire values": [
        ("SET", "k", "v", "EX", "0"), ("SET", "k", "v", "PX", "-1"),
        ("SET", "k", "v", "EX", "9223372036854775"), ("SET", "k", "v", "EX", "9223372036854776"),
        ("SET", "k", "v", "PX", "9223372036854775807"),
        ("SET", "k", "v", "EXAT", "9223372036854775"),
        ("SET", "k", "v", "PXAT", "9223372036854775807"), ("SET", "k", "v", "EX", "1.5"),
        ("SET", "k", "v", "EX", "abc"), ("SET", "k", "v", "EX", "99999999999999999999"),
        ("SET", "k", "v", "EX", "100", "GET"), ("SET", "k", "v", "EXAT", "1"), ("GET", "k"),
        ("SETEX", "k", "0", "v"), ("SETEX", "k", "x", "v"), ("PSETEX", "k", "-1", "v"),
        ("PSETEX", "k", "100000", "v"), ("SETEX", "k", "100", "v", "extra"),
    ],
    "setnx msetnx": [
        ("SETNX", "k", "1"), ("SETNX", "k", "2"), ("GET", "k"),
        ("MSETNX", "a", "1", "k", "2"), ("MGET", "a", "k"), ("MSETNX", "a", "1", "a", "2"),
        ("MGET", "a"), ("MSET", "a", "1", "b"), ("MSET", "x", "1", "x", "2"), ("GET", "x"),
        ("MSETNX", "a", "1", "b"), ("MSETNX",), ("MGET",),
    ],
    "getex options": [
        ("SET", "k", "v"), ("GETEX", "k", "EX", "10", "PX", "100"), ("GETEX", "k", "KEEPTTL"),
        ("GETEX", "k", "NX"), ("GETEX", "k", "GET"), ("GETEX", "k", "PERSIST", "EX", "10"),
        ("GETEX", "k", "EX", "10", "PERSIST"), ("GETEX", "k", "EX"), ("GETEX", "k", "EX", "0"),
        ("GETEX", "k", "EX", "abc"), ("GETEX", "nokey", "EX", "abc"),
        ("GETEX", "nokey", "EX", "-1"),
        ("GETEX", "k", "PX", "9223372036854775807"), ("GETEX", "k", "PERSIST", "PERSIST"),
        ("GETEX", "k", "EX", "100", "EX", "200"), ("GETEX", "k", "EXAT", "1"), ("GET", "k"),
        ("SET", "k", "v"), ("GETEX", "k", "PXAT", "1000"), ("STRLEN", "k"), ("GETEX",),
    ],
    "counters": [
        ("INCR", "n"), ("INCRBY", "n", "-5"), ("DECRBY", "n", "-9223372036854775808"),
        ("DECRBY", "n", "9223372036854775807"), ("DECR", "n"), ("DECR", "n"),
        ("INCRBY", "n", "9223372036854775807"), ("SET", "n", "9223372036854775807"),
        ("INCR", "n"), ("INCRBY", "n", "0"), ("SET", "n", "-9223372036854775808"), ("DECR", "n"),
        ("INCRBY", "n", "abc"), ("INCRBY", "n", "1.0"), ("INCRBY", "n", "+1"),
        ("INCRBY", "n", "9223372036854775808"), ("SET", "n", "0x10"), ("INCR", "n"),
        ("SET", "n", "-0"), ("INCR", "n"), ("SET", "n", "1\x00"), ("INCR", "n"),
        ("SET", "n", "10"), ("APPEND", "n", "5"), ("INCR", "n"), ("GET", "n"),
    ],
    "incrbyfloat formatting": [
        ("INCRBYFLOAT", "f", "10.5"), ("INCRBYFLOAT", "f", "3.0e3"), ("GET", "f"),
        ("INCRBYFLOAT", "f", "-3010.5"), ("INCRBYFLOAT", "g", "-0.0"), ("INCRBYFLOAT", "g", "-0"),
        ("INCRBYFLOAT", "h", "1e308"), ("INCRBYFLOAT", "h", "1e308"), ("INCRBYFLOAT", "i", "1e-20"),
        ("INCRBYFLOAT", "i", "-1e-20"), ("INCRBYFLOAT", "j", "5.0e3"), ("INCRBYFLOAT", "j", "1.1"),
        ("INCRBYFLOAT", "k", "0.1"), ("INCRBYFLOAT", "k", "0.2"), ("INCRBYFLOAT", "l", "1e4000"),
        ("INCRBYFLOAT", "m", "1.18973149535723176502e+4932"),
        ("INCRBYFLOAT", "m", "1e4932"), ("INCRBYFLOAT", "o", "3.6e-4951"),
        ("INCRBYFLOAT", "o", "1e-5000"), ("INCRBYFLOAT", "p", "0x1p-3"),
        ("INCRBYFLOAT", "p", "0X.8P1"),
        ("INCRBYFLOAT", "q", "inf"), ("INCRBYFLOAT", "q", "-Infinity"), ("INCRBYFLOAT", "q", "nan"),
        ("INCRBYFLOAT", "q", " 1"), ("INCRBYFLOAT", "q", "1 "), ("INCRBYFLOAT", "q", ""),
        ("INCRBYFLOAT", "q", "."), ("INCRBYFLOAT", "q", "1e"), ("INCRBYFLOAT", "q", "+.5"),
        ("INCRBYFLOAT", "q", "5."), ("INCRBYFLOAT", "q", "1_000"), ("INCRBYFLOAT", "q", "0x"),
        ("SET", "r", "inf"), ("INCRBYFLOAT", "r", "1"), ("SET", "r", "1e5000"),
        ("INCRBYFLOAT", "r", "1"), ("SET", "r", "0.000003814697265625"), ("INCRBYFLOAT", "r", "0"),
        ("SET", "r", "0.000011444091796875"), ("INCRBYFLOAT", "r", "0"),
        ("SET", "r", "-5"), ("INCRBYFLOAT", "r", "5e-18"), ("SET", "r", "1\x002"),
        ("INCRBYFLOAT", "r", "1"), ("INCRBYFLOAT", "r", "1", "2"),
        ("SET", "t", "17179869184"), ("INCRBYFLOAT", "t", "1.5"),
        ("SET", "t", "1" * 5119), ("INCRBYFLOAT", "t", "0"), ("INCRBYFLOAT", "t", "1" * 5120),
        ("INCRBYFLOAT", "u", "0." + "3" * 5000), ("INCRBYFLOAT", "v", "1e" + "0" * 30 + "5"),
    ],
    "append setrange getrange": [
        ("APPEND", "k", "123"), ("APPEND", "k", ""), ("APPEND", "k", "abc"), ("GET", "k"),
        ("SETRANGE", "k", "1", "xyz"), ("SETRANGE", "k", "10", "!"), ("GET", "k"),
        ("SETRANGE", "k", "0", ""), ("SETRANGE", "new", "0", ""), ("STRLEN", "new"),
        ("SETRANGE", "new", "-1", ""), ("SETRANGE", "new", "x", "a"),
        ("SETRANGE", "new", "9223372036854775807", "A"), ("SETRANGE", "new", "2147483647", "A"),
        ("SETRANGE", "new", "536870912", "A"), ("SETRANGE", "new", "536870911", ""),
        ("GETRANGE", "k", "0", "-1"), ("GETRANGE", "k", "-3", "-1"), ("GETRANGE", "k", "-1", "-3"),
        ("GETRANGE", "k", "3", "1"), ("GETRANGE", "k", "-100", "2"), ("GETRANGE", "k", "2", "100"),
        ("GETRANGE", "k", "0", "4294967297"), ("GETRANGE", "k", "x", "1"),
        ("SUBSTR", "k", "1", "2"),
        ("GETRANGE", "nope", "x", "1"), ("GETRANGE", "nope", "0", "1"), ("SET", "e", ""),
        ("GETRANGE", "e", "0", "-1"), ("GETRANGE", "e", "-1", "0"), ("STRLEN", "k"),
    ],
    "ttls kept and dropped": [
        ("SET", "k", "10", "EX", "100"), ("TTL", "k"), ("SET", "k", "11", "KEEPTTL"), ("TTL", "k"),
        ("INCR", "k"), ("TTL", "k"), ("INCRBYFLOAT", "k", "1.5"), ("TTL", "k"),
        ("APPEND", "k", "0"), ("TTL", "k"), ("SETRANGE", "k", "0", "9"), ("TTL", "k"),
        ("GETEX", "k", "EX", "200"), ("TTL", "k"), ("GETEX", "k"), ("TTL", "k"),
        ("GETEX", "k", "PERSIST"), ("TTL", "k"), ("SETEX", "k", "300", "v"), ("TTL", "k"),
        ("GETSET", "k", "w"), ("TTL", "k"), ("PSETEX", "k", "400000", "v"), ("TTL", "k"),
        ("MSET", "k", "x"), ("TTL", "k"), ("SET", "k", "v", "PX", "500000", "GET"), ("TTL", "k"),
        ("SET", "k", "v"), ("TTL", "k"), ("SET", "k", "v", "EXAT", "1"), ("EXISTS", "k"),
        ("SET", "k", "v", "PXAT", "99999999999999"), ("PEXPIRETIME", "k"),
        ("SET", "k", "v", "EXAT", "99999999999"), ("EXPIRETIME", "k"),
        ("GETEX", "k", "PXAT", "99999999999998"), ("PEXPIRETIME", "k"), ("GETDEL", "k"),
        ("EXISTS", "k"), ("TTL", "k"),
    ],
    "lcs options": [
        ("MSET", "a", "ohmytext", "b", "mynewtext"), ("LCS", "a", "b"), ("LCS", "a", "b", "LEN"),
        ("LCS", "a", "b", "IDX"), ("LCS", "a", "b", "idx", "withmatchlen"),
        ("LCS", "a", "b", "IDX", "MINMATCHLEN", "4"), ("LCS", "a", "b", "IDX", "MINMATCHLEN", "-4"),
        ("LCS", "a", "b", "IDX", "MINMATCHLEN"), ("LCS", "a", "b", "MINMATCHLEN", "x"),
        ("LCS", "a", "b", "LEN", "IDX"), ("LCS", "a", "b", "bogus"), ("LCS", "a"),
        ("LCS", "a", "missing"), ("LCS", "x", "y", "IDX"), ("LCS", "a", "a", "IDX", "WITHMATCHLEN"),
        ("LCS", "a", "b", "LEN", "WITHMATCHLEN", "MINMATCHLEN", "2"),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_replies_match_redis(raw, real_raw, name):
    same_replies(raw, real_raw, *CASES[name])


@pytest.mark.parametrize("proto", [2, 3])
def test_replies_match_redis_in_both_protocols(raw, real_raw, proto):
    raw.execute("HELLO", proto)
    real_raw.execute("HELLO", proto)
    same_replies(raw, real_raw, ("SET", "a", "ohmytext"),
                 ("SET", "b", "mynewtext"), ("LCS", "a", "b", "IDX", "WITHMATCHLEN"),
                 ("GET", "nope"), ("SET", "a", "v", "NX"), ("SET", "a", "w", "GET"),
                 ("MGET", "a", "nope"), ("GETEX", "nope"), ("GETDEL", "nope"),
                 ("INCRBYFLOAT", "f", "1.5"), ("GETSET", "nope", "1"))


def test_lcs_on_long_strings_matches_redis(raw, real_raw):
    rna1 = ("CACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGT"
            "CACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCT"
            "ATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTTCGTCCGGGTGTG")
    rna2 = "ATTAAAGGTTTATACCTTCC" + rna1[1:-16]
    same_replies(raw, real_raw, ("MSET", "x", rna1, "y", rna2), ("LCS", "x", "y"),
                 ("LCS", "x", "y", "LEN"), ("LCS", "x", "y", "IDX", "WITHMATCHLEN"),
                 ("LCS", "y", "x", "IDX", "MINMATCHLEN", "3"))


PROTO_MAX_BULK_LEN_COMMANDS = [
    ("SET", "k", "x" * 1000), ("APPEND", "k", "y" * 1047576), ("STRLEN", "k"),
    ("APPEND", "k", "z"), ("SETRANGE", "k", "1048575", "a"), ("SETRANGE", "k", "1048576", "a"),
    ("SETRANGE", "n", "1048576", "a"), ("STRLEN", "n"),
    ("SET", "a", "x" * 300), ("SET", "b", "y" * 900), ("LCS", "a", "b", "LEN"),
    ("SET", "b", "y" * 1000), ("LCS", "a", "b", "LEN"),
]


def test_proto_max_bulk_len_limits_match_redis(fresh, real_raw):
    """With proto-max-bulk-len at its 1mb minimum (set directly: CONFIG is another family's)."""
    fresh.server.config.set("proto-max-bulk-len", ["1048576"])
    real_raw.execute("CONFIG", "SET", "proto-max-bulk-len", "1048576")
    ours = RawConnection(fresh.port)
    try:
        for command in PROTO_MAX_BULK_LEN_COMMANDS:
            assert ours.execute(*command) == real_raw.execute(*command), command[:2]
    finally:
        ours.close()
        fresh.server.config.set("proto-max-bulk-len", ["512mb"])
        real_raw.execute("CONFIG", "SET", "proto-max-bulk-len", "512mb")


@pytest.mark.parametrize("value", [
    "0", "1", "-1", "123", "-123", "9223372036854775807", "-9223372036854775808",
    "9223372036854775808", "-9223372036854775809", "007", "-0", "+1", "1.0", " 1", "",
    "x" * 44, "x" * 45, "1" * 20, "1" * 21, "12345678901234567890", "a"])
def test_string_encoding_matches_redis(real_raw, value):
    real_raw.execute("SET", "k", value)
    expected = real_raw.execute("OBJECT", "ENCODING", "k")
    encoding = string_encoding(value.encode())
    assert b"$%d\r\n%s\r\n" % (len(encoding), encoding) == expected


# Sequences of string commands over three keys: each reply must be the same bytes.
_keys = st.sampled_from(["a", "b", "c"])
_values = st.one_of(st.sampled_from(["", "0", "1", "-1", "10", "1.5", "abc", "9223372036854775807",
                                     "-9223372036854775808", "1e3", "0x10", " 7"]),
                    st.text("ab1 ", max_size=6))
_ints = st.one_of(st.integers(-20, 20), st.sampled_from([2**63 - 1, -2**63, 2**62]))
_floats = st.one_of(st.sampled_from(["0.1", "-0.1", "1e10", "3.0e3", "-0", "5e-324", "inf",
                                     "1e400", "x"]),
                    st.floats(allow_nan=False, allow_infinity=False).map(repr))
_commands = st.one_of(
    st.tuples(st.just("SET"), _keys, _values),
    st.tuples(st.just("SET"), _keys, _values, st.sampled_from(["NX", "XX", "GET", "KEEPTTL"])),
    st.tuples(st.just("SET"), _keys, _values, st.sampled_from(["EX", "PX"]),
              st.sampled_from(["100", "100000", "0", "-1", "x"])),
    st.tuples(st.just("GET"), _keys),
    st.tuples(st.sampled_from(["GETDEL", "STRLEN", "INCR", "DECR", "GETEX"]), _keys),
    st.tuples(st.just("GETEX"), _keys, st.sampled_from(["PERSIST", "EX"]),
              st.sampled_from(["100", "0"])),
    st.tuples(st.sampled_from(["GETSET", "APPEND", "SETNX"]), _keys, _values),
    st.tuples(st.sampled_from(["INCRBY", "DECRBY"]), _keys, _ints),
    st.tuples(st.just("INCRBYFLOAT"), _keys, _floats),
    st.tuples(st.sampled_from(["GETRANGE", "SUBSTR"]), _keys, _ints, _ints),
    st.tuples(st.just("SETRANGE"), _keys, st.integers(-1, 12), _values),
    st.tuples(st.just("MGET"), _keys, _keys),
    st.tuples(st.sampled_from(["MSET", "MSETNX"]), _keys, _values, _keys, _values),
    st.tuples(st.just("LCS"), _keys, _keys, st.sampled_from(["LEN", "IDX", "WITHMATCHLEN"])),
    st.tuples(st.just("RPUSH"), _keys, _values),   # a list in the way: WRONGTYPE paths
)


@DIFF_SETTINGS
@given(st.lists(_commands, min_size=1, max_size=25))
def test_random_sequences_match_redis(raw, real_raw, commands):
    raw.execute("FLUSHALL")
    real_raw.execute("FLUSHALL")
    same_replies(raw, real_raw, *commands)


_decimals = st.builds(
    lambda sign, whole, frac, exp: sign + whole + frac + exp,
    st.sampled_from(["", "-", "+"]), st.text("0123456789", max_size=25),
    st.one_of(st.just(""), st.text("0123456789", max_size=25).map(lambda s: "." + s)),
    st.one_of(st.just(""), st.integers(-5000, 5000).map(lambda e: "e%d" % e),
              st.integers(-40, 40).map(lambda e: "E%+d" % e)))


@DIFF_SETTINGS
@given(_decimals, st.one_of(_decimals, _floats))
def test_incrbyfloat_parsing_and_formatting_match_redis(raw, real_raw, value, increment):
    same_replies(raw, real_raw, ("SET", "f", value), ("INCRBYFLOAT", "f", increment),
                 ("GET", "f"))


@DIFF_SETTINGS
@given(st.binary(max_size=40).map(lambda b: bytes(x % 4 + 65 for x in b)),
       st.binary(max_size=40).map(lambda b: bytes(x % 4 + 65 for x in b)),
       st.integers(0, 4))
def test_random_lcs_matches_redis(raw, real_raw, a, b, min_len):
    same_replies(raw, real_raw, ("MSET", "a", a, "b", b), ("LCS", "a", "b"),
                 ("LCS", "a", "b", "IDX", "WITHMATCHLEN", "MINMATCHLEN", min_len))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=30), st.binary(max_size=30))
def test_lcs_table_lengths(a, b):
    table = LcsTable(a, b)
    previous = [0] * (len(b) + 1)
    for i in range(len(a) + 1):
        row = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            if i and a[i - 1] == b[j - 1]:
                row[j] = previous[j - 1] + 1
            elif i:
                row[j] = max(previous[j], row[j - 1])
        assert [table.length(i, j) for j in range(len(b) + 1)] == row
        previous = row


# ---------------------------------------------------------------------------
# Inside a live server: TTLs, events, signals and dirty
# ---------------------------------------------------------------------------

SET_EVENT = ("$", "set", b"k")
EXPIRE_EVENT = ("g", "expire", b"k")

# (setup, command, reply, events, signals, dirty)
OK, NIL, V = b"+OK\r\n", b"$-1\r\n", b"$1\r\nv\r\n"
SIDE_EFFECTS = [
    ([], ("SET", "k", "v"), OK, [SET_EVENT], [b"k"], 1),
    ([], ("SET", "k", "v", "EX", "100"), OK, [SET_EVENT, EXPIRE_EVENT], [b"k"], 1),
    ([("SET", "k", "v")], ("SET", "k", "w", "NX"), NIL, [], [], 0),
    ([], ("SET", "k", "w", "XX", "GET"), NIL, [], [], 0),
    ([], ("SET", "k", "v", "EX", "0"), b"-ERR invalid expire time in 'set' command\r\n",
     [], [], 0),
    ([], ("SETNX", "k", "v"), b":1\r\n", [SET_EVENT], [b"k"], 1),
    ([], ("SETEX", "k", "100", "v"), OK, [SET_EVENT, EXPIRE_EVENT], [b"k"], 1),
    ([], ("PSETEX", "k", "100", "v"), OK, [SET_EVENT, EXPIRE_EVENT], [b"k"], 1),
    ([("SET", "k", "v")], ("GETEX", "k"), V, [], [], 0),
    ([("SET", "k", "v")], ("GETEX", "k", "PX", "5000"), V, [EXPIRE_EVENT], [b"k"], 1),
    ([("SET", "k", "v")], ("GETEX", "k", "EXAT", "1"), V, [("g", "del", b"k")], [b"k"], 1),
    ([("SET", "k", "v", "EX", "100")], ("GETEX", "k", "PERSIST"), V,
     [("g", "persist", b"k")], [b"k"], 1),
    ([("SET", "k", "v")], ("GETEX", "k", "PERSIST"), V, [], [], 0),
    ([("SET", "k", "v")], ("GETDEL", "k"), V, [("g", "del", b"k")], [b"k"], 1),
    ([], ("GETDEL", "k"), NIL, [], [], 0),
    ([("SET", "k", "v")], ("GETSET", "k", "w"), V, [SET_EVENT], [b"k"], 1),
    ([], ("MSET", "k", "1", "j", "2"), OK, [SET_EVENT, ("$", "set", b"j")], [b"k", b"j"], 2),
    ([], ("MSETNX", "k", "1", "j", "2"), b":1\r\n", [SET_EVENT, ("$", "set", b"j")],
     [b"k", b"j"], 2),
    ([("SET", "j", "v")], ("MSETNX", "k", "1", "j", "2"), b":0\r\n", [], [], 0),
    ([], ("APPEND", "k", "ab"), b":2\r\n", [("$", "append", b"k")], [b"k"], 1),
    ([("SET", "k", "v")], ("SETRANGE", "k", "3", "x"), b":4\r\n", [("$", "setrange", b"k")],
     [b"k"], 1),
    ([("SET", "k", "v")], ("SETRANGE", "k", "3", ""), b":1\r\n", [], [], 0),
    ([], ("INCR", "k"), b":1\r\n", [("$", "incrby", b"k")], [b"k"], 1),
    ([], ("DECRBY", "k", "5"), b":-5\r\n", [("$", "incrby", b"k")], [b"k"], 1),
    ([], ("INCRBYFLOAT", "k", "1.5"), b"$3\r\n1.5\r\n", [("$", "incrbyfloat", b"k")],
     [b"k"], 1),
    ([("SET", "k", "x")], ("INCR", "k"), b"-ERR value is not an integer or out of range\r\n",
     [], [], 0),
    ([("SET", "k", "v")], ("GET", "k"), V, [], [], 0),
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


def test_ttls_set_kept_and_dropped(fresh):
    client = fresh.client
    client.set("k", "v", ex=100)
    assert 99000 < fresh.ttl_ms(b"k") <= 100000
    client.set("k", "v", px=5000)
    assert 4000 < fresh.ttl_ms(b"k") <= 5000
    exat = fresh.server.clock.ms() // 1000 + 1000
    client.set("k", "v", exat=exat)
    assert fresh.server.dbs[0].expires[b"k"] == exat * 1000
    client.set("k", "v", pxat=exat * 1000 + 7)
    assert fresh.server.dbs[0].expires[b"k"] == exat * 1000 + 7
    client.set("k", "10", keepttl=True)
    assert fresh.server.dbs[0].expires[b"k"] == exat * 1000 + 7
    for command in (("INCRBYFLOAT", "k", "0"), ("SETRANGE", "k", "0", "1"),
                    ("APPEND", "k", "0"), ("INCR", "k"), ("DECRBY", "k", "3")):
        client.execute_command(*command)
        assert fresh.server.dbs[0].expires[b"k"] == exat * 1000 + 7, command
    client.set("k", "v")
    assert fresh.ttl_ms(b"k") is None
    client.execute_command("SETEX", "k", 100, "v")
    client.getset("k", "w")
    assert fresh.ttl_ms(b"k") is None
    client.execute_command("SETEX", "k", 100, "v")
    client.mset({"k": "w"})
    assert fresh.ttl_ms(b"k") is None
    client.set("k", "v")
    client.getex("k", exat=exat)
    assert fresh.server.dbs[0].expires[b"k"] == exat * 1000
    client.getex("k", persist=True)
    assert fresh.ttl_ms(b"k") is None


def test_expired_key_counts_as_missing(fresh):
    client = fresh.client
    client.set("k", "old", pxat=1)
    assert client.setnx("k", "new") is True
    assert client.get("k") == b"new"
    client.set("k", "old", pxat=1)
    assert client.incr("k") == 1
    client.set("k", "old", pxat=1)
    assert client.append("k", "x") == 1


WRONG_TYPE_COMMANDS = [
    ("SET", "k", "v", "GET"), ("SET", "s", "v", "GET"), ("SET", "s", "v", "GET", "EX", "-1"),
    ("SET", "s", "v", "GET", "NX"), ("GET", "s"),
    ("MGET", "k", "s", "nope"), ("GETSET", "s", "1"), ("GETDEL", "s"), ("GETEX", "s"),
    ("GETEX", "s", "EX", "-1"), ("APPEND", "s", "x"), ("STRLEN", "s"), ("INCR", "s"),
    ("INCRBY", "s", "x"), ("DECRBY", "s", "1"), ("INCRBYFLOAT", "s", "1"),
    ("INCRBYFLOAT", "s", "x"), ("GETRANGE", "s", "0", "1"), ("GETRANGE", "s", "x", "1"),
    ("SETRANGE", "s", "0", "x"), ("SETRANGE", "s", "0", ""), ("SETRANGE", "s", "-1", ""),
    ("LCS", "k", "s"), ("LCS", "s", "k", "LEN", "bogus"), ("SETNX", "s", "v"),
    ("MSETNX", "s", "v"), ("SET", "s", "v", "XX"), ("GET", "s"),
]


@pytest.mark.parametrize("command", WRONG_TYPE_COMMANDS, ids=" ".join)
def test_wrong_type_replies_match_redis(raw, real_raw, command):
    """Against a key holding a list."""
    same_replies(raw, real_raw, ("SET", "k", "v"), ("RPUSH", "s", "1"), command, ("LLEN", "s"))


_NUMBER_LIKE = st.one_of(st.integers(-2**64, 2**64).map(lambda i: b"%d" % i),
                         st.integers(0, 2000).map(lambda i: b"%d" % i),
                         st.from_regex(rb"[-+ 0-9a]{0,21}", fullmatch=True))


@given(_NUMBER_LIKE, st.booleans())
def test_string2ll_reads_only_canonical_64_bit_integers(raw, mutable):
    canonical = re.fullmatch(rb"-?(0|[1-9][0-9]*)", raw) is not None and raw != b"-0" \
        and -2**63 <= int(raw) < 2**63
    assert string2ll(bytearray(raw) if mutable else raw) == (int(raw) if canonical else None)
