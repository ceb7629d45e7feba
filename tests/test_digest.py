"""DEBUG DIGEST and DIGEST-VALUE: the same digest as redis-server for the same dataset."""
from __future__ import annotations

import pytest

from differential import assert_same

WORKLOADS = {
    "strings": [("SET", "s", "hello"), ("SET", "n", "12345"), ("SET", "big", "x" * 100),
                ("APPEND", "a", "xy"), ("SETBIT", "bits", "100", "1"), ("INCRBYFLOAT", "f", "1.5")],
    "lists": [("RPUSH", "l", "a", "b", "3"), ("LPUSH", "l", "z"),
              ("RPUSH", "big", *[f"e{i}" for i in range(200)])],
    "sets": [("SADD", "i", "3", "1", "2"), ("SADD", "s", "b", "a", "c"),
             ("SADD", "big", *[f"m{i}" for i in range(600)])],
    "zsets": [("ZADD", "z", "1", "a", "2.5", "b", "-inf", "c", "inf", "d", "0", "e"),
              ("ZADD", "big", *[x for i in range(200) for x in (f"{i / 7}", f"m{i}")]),
              ("ZADD", "neg", "-0", "x", "1e300", "y")],
    "hashes": [("HSET", "h", "f", "v", "n", "1"),
               ("HSET", "big", *[x for i in range(200) for x in (f"f{i}", "v" * i)])],
    "streams": [("XADD", "x", "1-1", "a", "1"), ("XADD", "x", "2-5", "a", "2", "b", "3"),
                ("XADD", "x", "3-0", "c", "4"), ("XDEL", "x", "2-5"),
                ("XGROUP", "CREATE", "x", "g", "0"),
                ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"),
                ("XADD", "empty", "5-5", "f", "v"), ("XDEL", "empty", "5-5")],
    "hll": [("PFADD", "sparse", "a", "b", "c"),
            ("PFADD", "dense", *[f"e{i}" for i in range(3000)])],
    "geo": [("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
             "Catania")],
    "expiry": [("SET", "e", "v", "EX", "1000"), ("SET", "p", "v"), ("RPUSH", "le", "a"),
               ("PEXPIREAT", "le", "99999999999999")],
    "dbs": [("SET", "k", "v"), ("SELECT", "5"), ("SET", "k", "v"), ("SELECT", "0")],
}


@pytest.mark.parametrize("name", WORKLOADS)
def test_digest_as_redis(raw, real_raw, name):
    commands = WORKLOADS[name]
    for command in commands:
        assert_same(raw, real_raw, *command) if command[0] != "XREADGROUP" else \
            (raw.execute(*command), real_raw.execute(*command))
    assert_same(raw, real_raw, "DEBUG", "DIGEST")
    keys = sorted({c[1] for c in commands if c[0] not in ("SELECT", "XGROUP", "XREADGROUP")})
    assert_same(raw, real_raw, "DEBUG", "DIGEST-VALUE", *keys, "missing")


def test_digest_of_an_empty_dataset(raw, real_raw):
    assert raw.execute("DEBUG", "DIGEST") == b"+" + b"0" * 40 + b"\r\n"
    assert_same(raw, real_raw, "DEBUG", "DIGEST")
    assert_same(raw, real_raw, "DEBUG", "DIGEST-VALUE")
    assert_same(raw, real_raw, "DEBUG", "DIGEST", "x")


def test_digest_follows_content_not_history(raw, real_raw):
    """Equal datasets built differently have equal digests; a list's order counts."""
    for conn in (raw, real_raw):
        conn.execute("RPUSH", "l", "a", "b")
        conn.execute("SADD", "s", "x", "y")
    first = raw.execute("DEBUG", "DIGEST")
    for conn in (raw, real_raw):
        conn.execute("FLUSHALL")
        conn.execute("LPUSH", "l", "b", "a")
        conn.execute("SADD", "s", "y", "x")
    assert raw.execute("DEBUG", "DIGEST") == first
    assert_same(raw, real_raw, "DEBUG", "DIGEST")
    raw.execute("LMOVE", "l", "l", "LEFT", "RIGHT")
    assert raw.execute("DEBUG", "DIGEST") != first
